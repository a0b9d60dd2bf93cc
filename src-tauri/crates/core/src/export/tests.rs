use std::path::Path;

use base64::Engine;

use super::*;
use crate::store::{DeliveryAnalysis, StoreOptions};

fn registry(dir: &Path) -> Registry {
    // A key file first, so tests never reach for the developer's keyring.
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    std::fs::write(dir.join(crate::secrets::KEY_FILE), key).unwrap();
    Registry::open(Store::open(dir, StoreOptions::default()).unwrap(), dir).unwrap()
}

fn new_delivery(path: &str, headers: Vec<(Vec<u8>, Vec<u8>)>, body: Vec<u8>) -> NewDelivery {
    NewDelivery {
        received_at: 1_700_000_000_123,
        method: "POST".into(),
        path: path.into(),
        query: Some("x=1".into()),
        target: None,
        http_version: "HTTP/1.1".into(),
        headers,
        body_size: body.len() as u64,
        body: Some(body.into()),
        remote_addr: None,
        via_tunnel: None,
        endpoint_id: None,
        endpoint: None,
        provider: None,
        response_status: 503,
        response_latency_us: 1500,
        analysis: DeliveryAnalysis::default(),
    }
}

#[tokio::test]
async fn har_round_trips_bytes_and_header_order_without_secrets() {
    let from = tempfile::tempdir().unwrap();
    let source = registry(from.path());
    let fleiko = source.store().read(|c| crate::store::endpoints::find(c, "fleiko")).unwrap();
    source.set_secrets(fleiko, &["whsec_do_not_export".into()]).unwrap();
    let all_bytes: Vec<u8> = (0..=255).collect();
    let headers = vec![
        (b"Host".to_vec(), b"127.0.0.1:8787".to_vec()),
        (b"x-b".to_vec(), b"2".to_vec()),
        (b"X-A".to_vec(), b"1".to_vec()),
        (b"x-b".to_vec(), b"3".to_vec()),
        (b"X-Latin1".to_vec(), vec![b'c', 0xe9]),
    ];
    let writer = source.store().writer().unwrap();
    let binary = writer.insert(new_delivery("/fleiko", headers.clone(), all_bytes.clone())).await;
    let text =
        writer.insert(new_delivery("/other", headers[..4].to_vec(), "{\"é\":1}\n".into())).await;
    let ids = [binary.unwrap().id, text.unwrap().id];

    let har = export(source.store(), &[], ExportFormat::Har).unwrap();
    assert!(!har.contains("whsec_do_not_export"));
    let doc: serde_json::Value = serde_json::from_str(&har).unwrap();
    assert_eq!(doc["log"]["version"], "1.2");
    assert_eq!(doc["log"]["entries"][0]["request"]["postData"]["encoding"], "base64");
    assert_eq!(doc["log"]["entries"][0]["request"]["postData"]["_encoding"], "base64");
    assert_eq!(doc["log"]["entries"][1]["request"]["postData"]["text"], "{\"é\":1}\n");

    let to = tempfile::tempdir().unwrap();
    let target = registry(to.path());
    let report = import_har(&target, har.as_bytes(), "test.har").await.unwrap();
    assert_eq!(report.ids.len(), 2);
    let before = load(source.store(), &ids).unwrap();
    let after = load(target.store(), &report.ids).unwrap();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.body, b.body);
        assert_eq!(a.headers, b.headers);
        assert_eq!((&a.method, &a.path, &a.query), (&b.method, &b.path, &b.query));
        assert_eq!((a.received_at, a.response_status), (b.received_at, b.response_status));
    }
    assert_eq!(after[0].endpoint.as_deref(), Some("fleiko"), "routed like a capture");
    assert_eq!(after[0].provider.as_deref(), Some("fleiko"));
    for id in &report.ids {
        assert!(target.store().read(|c| crate::store::rules::is_imported(c, *id)).unwrap());
    }
    assert!(!source.store().read(|c| crate::store::rules::is_imported(c, ids[0])).unwrap());
}

#[tokio::test]
async fn non_utf8_bodies_round_trip_in_either_marking_and_bodiless_requests_have_no_post_data() {
    let from = tempfile::tempdir().unwrap();
    let source = registry(from.path());
    let writer = source.store().writer().unwrap();
    let host = (b"Host".to_vec(), b"example.test".to_vec());
    // Not UTF-8: a lone continuation byte, an overlong NUL, a truncated sequence.
    let binary = vec![b'{', 0x80, 0xc0, 0x80, b'"', 0xe2, 0x82];
    let mut get = new_delivery("/poll", vec![host.clone()], Vec::new());
    get.method = "GET".into();
    let ids = [
        writer.insert(new_delivery("/bin", vec![host.clone()], binary.clone())).await.unwrap().id,
        writer.insert(get).await.unwrap().id,
        writer.insert(new_delivery("/empty", vec![host], Vec::new())).await.unwrap().id,
    ];
    let har = export(source.store(), &ids, ExportFormat::Har).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&har).unwrap();
    let requests: Vec<&serde_json::Value> =
        (0..3).map(|i| &doc["log"]["entries"][i]["request"]).collect();
    let post = &requests[0]["postData"];
    assert_eq!((&post["encoding"], &post["_encoding"]), (&"base64".into(), &"base64".into()));
    let text = post["text"].as_str().unwrap();
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(text).unwrap(), binary);
    for request in &requests[1..] {
        assert!(request.get("postData").is_none(), "no body, no postData: {request}");
        assert_eq!(request["bodySize"], 0);
    }

    // What this exporter writes, what it wrote before (`encoding` only) and what other tools
    // write (`_encoding` only) all import to the same bytes.
    let mut older = doc.clone();
    older["log"]["entries"][0]["request"]["postData"].as_object_mut().unwrap().remove("_encoding");
    let mut others = doc.clone();
    others["log"]["entries"][0]["request"]["postData"].as_object_mut().unwrap().remove("encoding");
    for doc in [doc, older, others] {
        let to = tempfile::tempdir().unwrap();
        let target = registry(to.path());
        let report = import_har(&target, doc.to_string().as_bytes(), "t.har").await.unwrap();
        let after = load(target.store(), &report.ids).unwrap();
        assert_eq!(after[0].body.as_deref(), Some(binary.as_slice()));
        assert_eq!((after[1].method.as_str(), after[1].body.as_deref()), ("GET", Some(&b""[..])));
        assert_eq!(after[2].body.as_deref(), Some(&b""[..]));
        assert!(report.notes.is_empty(), "{:?}", report.notes);
    }
}

#[tokio::test]
async fn an_import_of_text_with_a_byte_order_mark_reports_form_bodies_it_rebuilt_or_could_not() {
    let dir = tempfile::tempdir().unwrap();
    let target = registry(dir.path());
    let har = serde_json::json!({"log": {"entries": [
        {"request": {"method": "POST", "url": "http://h/form", "postData": {
            "mimeType": "application/x-www-form-urlencoded",
            "params": [{"name": "q", "value": "a&b c"}, {"name": "q", "value": "é"}]}}},
        {"request": {"method": "POST", "url": "http://h/upload", "postData": {
            "mimeType": "multipart/form-data",
            "params": [{"name": "f", "value": "x", "fileName": "f.txt"}]}}},
    ]}});
    // As the app's import command hands it over: the whole file, mark and all.
    let text = format!("\u{feff}{har}");
    let report = import_har(&target, text.as_bytes(), "chrome.har").await.unwrap();
    assert_eq!(report.imported, 2);
    let after = load(target.store(), &report.ids).unwrap();
    assert_eq!(after[0].body.as_deref(), Some(&b"q=a%26b+c&q=%C3%A9"[..]));
    assert_eq!(after[1].body.as_deref(), Some(&b""[..]));
    let notes: Vec<(u64, Option<i64>, &str)> =
        report.notes.iter().map(|n| (n.index, n.id, n.message.as_str())).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!((notes[0].0, notes[0].1), (0, Some(report.ids[0])));
    assert!(notes[0].2.contains("rebuilt from postData.params"), "{notes:?}");
    assert_eq!((notes[1].0, notes[1].1), (1, Some(report.ids[1])));
    assert!(notes[1].2.contains("multipart form"), "{notes:?}");
    let summary = |id: i64| {
        target
            .store()
            .read(|c| {
                Ok(c.query_row("SELECT summary FROM deliveries WHERE id = ?1", [id], |r| {
                    r.get::<_, Option<String>>(0)
                })?)
            })
            .unwrap()
    };
    assert_eq!(summary(report.ids[1]).as_deref(), Some(notes[1].2), "the list shows why");
}

#[tokio::test]
async fn an_import_skips_entries_for_no_network_request_and_counts_only_what_it_imported() {
    let dir = tempfile::tempdir().unwrap();
    let target = registry(dir.path());
    let har = serde_json::json!({"log": {"entries": [
        {"request": {"method": "GET", "url": "data:image/png;base64,iVBORw0KGgo="}},
        {"request": {"method": "POST", "url": "http://h/one", "postData": {"text": "1"}}},
        {"request": {"method": "GET", "url": "chrome-extension://abc/inject.js"}},
        {"request": {"method": "POST", "url": "https://h/two", "postData": {
            "mimeType": "application/x-www-form-urlencoded",
            "params": [{"name": "a", "value": "b"}]}},
         "response": {"status": 202, "headers": [], "content": {"text": "taken"}}},
        {"request": {"method": "GET", "url": "about:blank"}},
    ]}});
    let bytes = har.to_string().into_bytes();
    let report = import_har(&target, &bytes, "firefox.har").await.unwrap();
    assert_eq!((report.imported, report.skipped, report.ids.len()), (2, 3, 2));
    let after = load(target.store(), &report.ids).unwrap();
    assert_eq!((after[0].path.as_str(), after[1].path.as_str()), ("/one", "/two"));
    let answer = after[1].response.as_ref().expect("the answer goes with its own entry");
    assert_eq!((answer.status, &answer.body[..]), (202, &b"taken"[..]));
    assert!(after[0].response.is_none());
    let notes: Vec<(u64, Option<i64>, &str)> =
        report.notes.iter().map(|n| (n.index, n.id, n.message.as_str())).collect();
    let skipped = |scheme: &str| {
        format!("{scheme}: URL skipped: not a request Hookscope could have received")
    };
    assert_eq!(notes.len(), 4, "{notes:?}");
    assert_eq!(notes[0], (0, None, skipped("data").as_str()));
    assert_eq!(notes[1], (2, None, skipped("chrome-extension").as_str()));
    assert_eq!((notes[2].0, notes[2].1), (3, Some(report.ids[1])), "indexes in log.entries");
    assert!(notes[2].2.contains("rebuilt from postData.params"), "{notes:?}");
    assert_eq!(notes[3], (4, None, skipped("about").as_str()));

    // Pruned down to one: the note on the entry kept still names its delivery.
    let options = ImportOptions { retention: 1, ..ImportOptions::default() };
    let report = import_har_from(&target, bytes.as_slice(), "again.har", &options).unwrap();
    assert_eq!((report.imported, report.skipped, report.ids.len()), (2, 3, 1));
    let on_kept: Vec<_> =
        report.notes.iter().filter_map(|n| n.id.map(|id| (n.index, id))).collect();
    assert_eq!(on_kept, vec![(3, report.ids[0])]);
    assert_eq!(load(target.store(), &report.ids).unwrap()[0].path, "/two");

    // A file of nothing else imports nothing, and says why.
    let only = serde_json::json!({"log": {"entries": [
        {"request": {"method": "GET", "url": "blob:https://h/1"}}]}});
    let report = import_har(&target, only.to_string().as_bytes(), "only.har").await.unwrap();
    assert_eq!((report.imported, report.skipped, report.ids.len()), (0, 1, 0));
    assert_eq!(report.notes[0].message, skipped("blob"));
}

#[test]
fn json_and_curl_cover_every_delivery() {
    let d = ExportedDelivery {
        id: 4,
        received_at: 0,
        method: "POST".into(),
        path: "/p".into(),
        query: None,
        target: None,
        http_version: "HTTP/1.1".into(),
        headers: vec![(b"Content-Type".to_vec(), b"application/json".to_vec())],
        body: Some(vec![0xff]),
        body_size: 1,
        endpoint: None,
        provider: None,
        response_status: Some(200),
        response_latency_us: None,
        response: None,
        forward_response: None,
    };
    let json: serde_json::Value =
        serde_json::from_str(&render(std::slice::from_ref(&d), ExportFormat::Json)).unwrap();
    assert_eq!(json[0]["bodyBase64"], "/w==");
    assert_eq!(json[0]["bodyText"], serde_json::Value::Null);
    let curl = render(&[d.clone(), d], ExportFormat::Curl);
    assert_eq!(curl.matches("# delivery 4").count(), 2);
}

fn request(target: Option<&str>, headers: &[(&str, &str)]) -> ExportedDelivery {
    ExportedDelivery {
        id: 1,
        received_at: 0,
        method: "POST".into(),
        path: "/hook".into(),
        query: Some("q=1".into()),
        target: target.map(str::to_owned),
        http_version: "HTTP/1.1".into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect(),
        body: Some(Vec::new()),
        body_size: 0,
        endpoint: None,
        provider: None,
        response_status: Some(200),
        response_latency_us: None,
        response: None,
        forward_response: None,
    }
}

#[test]
fn the_url_is_an_absolute_target_else_rebuilt_from_host_else_from_localhost() {
    // HTTP/2: no Host, the authority in the target.
    let h2 = request(Some("http://127.0.0.1:9/hook?q=1"), &[("content-type", "text/plain")]);
    assert_eq!(h2.url(), "http://127.0.0.1:9/hook?q=1");
    // Absolute-form HTTP/1: the target names its host, whatever Host says.
    let absolute = request(Some("http://Example.test:81/hook?q=1"), &[("Host", "other.test")]);
    assert_eq!(absolute.url(), "http://Example.test:81/hook?q=1");
    let https = request(Some("https://example.test/hook?q=1"), &[("Host", "example.test")]);
    assert_eq!(https.url(), "https://example.test/hook?q=1");
    // Targets that are not absolute URLs (authority-form, asterisk-form, a path) leave it to Host.
    for target in ["example.test:443", "*", "/hook?q=1", "http:///hook", "1http://h/"] {
        let d = request(Some(target), &[("Host", "example.test")]);
        assert_eq!(d.url(), "http://example.test/hook?q=1", "{target}");
    }
    assert_eq!(request(None, &[("host", "h.test:8787")]).url(), "http://h.test:8787/hook?q=1");
    assert_eq!(request(None, &[]).url(), "http://localhost/hook?q=1");
    assert_eq!(request(Some("*"), &[]).url(), "http://localhost/hook?q=1");
}

#[test]
fn an_imported_url_is_kept_as_the_target_only_when_host_would_not_rebuild_it() {
    let with_host = request(None, &[("Host", "example.test")]);
    assert_eq!(with_host.target_for("http://example.test/hook?q=1"), None);
    assert_eq!(with_host.target_for("http://example.test/hook?q=1#top"), None);
    let other = with_host.target_for("http://127.0.0.1:9/hook?q=1#top");
    assert_eq!(other.as_deref(), Some("http://127.0.0.1:9/hook?q=1"), "fragment never sent");
    let https = with_host.target_for("https://example.test/hook?q=1");
    assert_eq!(https.as_deref(), Some("https://example.test/hook?q=1"));
    let no_host = request(None, &[]);
    let kept = no_host.target_for("http://127.0.0.1:9/hook?q=1");
    assert_eq!(kept.as_deref(), Some("http://127.0.0.1:9/hook?q=1"));
}

#[tokio::test]
async fn an_http2_or_absolute_form_delivery_exports_its_own_url_and_keeps_it_through_import() {
    let from = tempfile::tempdir().unwrap();
    let source = registry(from.path());
    let writer = source.store().writer().unwrap();
    let mut h2 =
        new_delivery("/h2", vec![(b"content-type".to_vec(), b"text/plain".to_vec())], b"a".into());
    h2.http_version = "HTTP/2.0".into();
    h2.target = Some("http://127.0.0.1:9/h2?x=1".into());
    let mut absolute =
        new_delivery("/abs", vec![(b"Host".to_vec(), b"other.test".to_vec())], b"b".into());
    absolute.target = Some("http://example.test:81/abs?x=1".into());
    let plain =
        new_delivery("/plain", vec![(b"Host".to_vec(), b"example.test".to_vec())], b"c".into());
    let mut ids = Vec::new();
    for d in [h2, absolute, plain] {
        ids.push(writer.insert(d).await.unwrap().id);
    }
    let urls = |store: &Store, ids: &[i64]| -> Vec<String> {
        let har: serde_json::Value =
            serde_json::from_str(&export(store, ids, ExportFormat::Har).unwrap()).unwrap();
        let entries = har["log"]["entries"].as_array().unwrap();
        entries.iter().map(|e| e["request"]["url"].as_str().unwrap().to_owned()).collect()
    };
    let expected = [
        "http://127.0.0.1:9/h2?x=1",
        "http://example.test:81/abs?x=1",
        "http://example.test/plain?x=1",
    ];
    assert_eq!(urls(source.store(), &ids), expected);
    let curl = export(source.store(), &ids[..1], ExportFormat::Curl).unwrap();
    assert!(curl.contains("'http://127.0.0.1:9/h2?x=1'"), "{curl}");
    let json = export(source.store(), &ids[..1], ExportFormat::Json).unwrap();
    assert!(json.contains("\"url\": \"http://127.0.0.1:9/h2?x=1\""), "{json}");

    let har = export(source.store(), &ids, ExportFormat::Har).unwrap();
    let to = tempfile::tempdir().unwrap();
    let copy = registry(to.path());
    let report = import_har(&copy, har.as_bytes(), "h2.har").await.unwrap();
    assert_eq!(urls(copy.store(), &report.ids), expected, "the same URLs after a round trip");
    let targets: Vec<String> =
        report.ids.iter().map(|&id| copy.store().detail(id).unwrap().target).collect();
    // Stored only where Host, path and query do not spell the URL.
    assert_eq!(targets, [expected[0], expected[1], "/plain?x=1"]);
    let after = load(copy.store(), &report.ids).unwrap();
    assert_eq!(after[0].http_version, "HTTP/2.0");
    assert_eq!(after[2].target, None);
}
