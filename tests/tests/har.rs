//! HAR files through the real CLI. What browsers and other tools write imports: a leading
//! byte-order mark, times with offsets, forms given only as `params`; entries for what never
//! crossed a network (`data:` images, extensions' files) are skipped with a note. What does not
//! describe a request is refused naming the entry, and nothing is imported: a URL without a
//! host, a date that does not exist. An export of real captures, binary and bodiless ones included, imports
//! back byte for byte, whichever way its base64 is marked.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Output;

use base64::Engine;
use hookscope_e2e::{Serve, cli, exchange, list_json, post, request, show};
use serde_json::{Value, json};

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn import(data: &Path, file: &Path) -> Output {
    cli(&["import", file.to_str().unwrap(), "--data-dir", data.to_str().unwrap()])
}

fn har(entries: Vec<Value>) -> Value {
    json!({ "log": { "version": "1.2", "creator": { "name": "WebInspector", "version": "537.36" },
        "pages": [], "entries": entries } })
}

fn get(url: &str, started: &str) -> Value {
    json!({
        "startedDateTime": started,
        "time": 12.5,
        "request": { "method": "GET", "url": url, "httpVersion": "HTTP/1.1",
            "headers": [{ "name": "Host", "value": "shop.example" }], "queryString": [],
            "cookies": [], "headersSize": -1, "bodySize": 0 },
        "response": { "status": 200, "statusText": "OK", "content": { "size": 2, "text": "{}" } },
    })
}

fn form(url: &str, mime: &str, params: Value) -> Value {
    let mut entry = get(url, "2024-05-01T10:00:01.000Z");
    entry["request"]["method"] = "POST".into();
    entry["request"]["postData"] = json!({ "mimeType": mime, "params": params });
    entry
}

#[test]
fn a_browser_har_with_a_byte_order_mark_offsets_and_forms_imports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("chrome.har");
    let doc = har(vec![
        get("https://shop.example/api/orders?page=2", "2024-05-01T12:00:00.250+02:00"),
        form(
            "https://shop.example/login",
            "application/x-www-form-urlencoded",
            json!([{ "name": "user", "value": "åsa & co" }, { "name": "tag", "value": "a=b" },
                { "name": "tag", "value": "100%" }]),
        ),
        form(
            "https://shop.example/upload",
            "multipart/form-data; boundary=----WebKitFormBoundary",
            json!([{ "name": "file", "value": "GIF89a", "fileName": "a.gif",
                "contentType": "image/gif" }]),
        ),
    ]);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(serde_json::to_string_pretty(&doc).unwrap().as_bytes());
    std::fs::write(&file, &bytes).unwrap();

    let out = import(&data, &file);
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("#1..#3"), "{printed}");
    assert!(
        printed.contains("log.entries[1] (#2): body rebuilt from postData.params"),
        "{printed}"
    );
    assert!(
        printed.contains(
            "log.entries[2] (#3): postData holds only params, and they describe a \
             multipart form"
        ),
        "{printed}"
    );
    assert!(!printed.contains("log.entries[0]"), "nothing to say about the GET: {printed}");

    assert_eq!(show(&data, 2, &["--raw"]), b"user=%C3%A5sa+%26+co&tag=a%3Db&tag=100%25");
    assert!(show(&data, 3, &["--raw"]).is_empty());
    let upload = String::from_utf8(show(&data, 3, &[])).unwrap();
    assert!(upload.contains("summary    postData holds only params"), "{upload}");

    // 12:00:00.250 at +02:00 is 10:00:00.250 UTC, in the JSON and as the CLI prints it.
    let listed = list_json(&data, &[]);
    let first = listed.iter().find(|d| d["id"] == 1).unwrap();
    assert_eq!(first["receivedAt"], 1_714_557_600_250i64);
    assert_eq!((&first["path"], &first["query"]), (&json!("/api/orders"), &json!("page=2")));
    let human = String::from_utf8(show(&data, 1, &[])).unwrap();
    assert!(human.contains("received   2024-05-01 10:00:00.250"), "{human}");
}

#[test]
fn an_entry_without_an_absolute_url_or_a_real_date_is_refused_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = || get("https://shop.example/ok", "2024-05-01T10:00:00Z");
    let first = dir.path().join("first.har");
    std::fs::write(&first, har(vec![good()]).to_string()).unwrap();
    assert!(import(&data, &first).status.success());
    let cases = [
        (get("/webhooks/fleiko", "2024-05-01T10:00:00Z"), "request.url \"/webhooks/fleiko\""),
        (get("shop.example/hook", "2024-05-01T10:00:00Z"), "is not an absolute URL"),
        (get("not a url", "2024-05-01T10:00:00Z"), "is not an absolute URL"),
        (get("https:///hook", "2024-05-01T10:00:00Z"), "no scheme://host"),
        (get("localhost:8080/hook", "2024-05-01T10:00:00Z"), "no scheme://host"),
        (get("https://shop.example/x", "2024-13-01T10:00:00Z"), "'month'"),
        (get("https://shop.example/x", "2024-04-31T10:00:00Z"), "'day'"),
        (get("https://shop.example/x", "2024-05-01T25:00:00Z"), "'hour'"),
    ];
    for (bad, expect) in cases {
        let file = dir.path().join("bad.har");
        let doc = har(vec![good(), good(), good(), bad]);
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = import(&data, &file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{expect}: {stderr}");
        assert!(stderr.contains("log.entries[3]: "), "{expect}: {stderr}");
        assert!(stderr.contains(expect), "{expect}: {stderr}");
        assert!(stderr.contains("nothing was imported"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    assert_eq!(list_json(&data, &[]).len(), 1, "nothing stored past the first import");
}

#[test]
fn a_data_url_entry_between_webhooks_is_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("firefox.har");
    let hook = |path: &str| {
        let mut entry = get(&format!("https://hooks.example{path}"), "2024-05-01T10:00:00Z");
        entry["request"]["method"] = "POST".into();
        entry["request"]["postData"] = json!({ "mimeType": "application/json", "text": "{}" });
        entry
    };
    // As Firefox records an inline image: method GET, no response body worth a request.
    let image = get("data:image/gif;base64,R0lGODlhAQABAAAAACw=", "2024-05-01T10:00:00Z");
    std::fs::write(&file, har(vec![hook("/a"), image, hook("/b")]).to_string()).unwrap();

    let out = import(&data, &file);
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines,
        [
            "imported 2 deliveries as #1..#2; skipped 1 entry that was no request Hookscope \
             could have received",
            "log.entries[1]: data: URL skipped: not a request Hookscope could have received",
        ],
        "{printed}"
    );
    let listed = list_json(&data, &[]);
    let mut paths: Vec<&str> = listed.iter().map(|d| d["path"].as_str().unwrap()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["/a", "/b"]);

    // Two skipped read in the plural.
    let blob = get("blob:https://app.example/5e1b", "2024-05-01T10:00:00Z");
    let image = get("data:,", "2024-05-01T10:00:00Z");
    std::fs::write(&file, har(vec![blob, hook("/c"), image]).to_string()).unwrap();
    let out = import(&data, &file);
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.starts_with("imported 1 delivery as #3; skipped 2 entries that were no request"),
        "{printed}"
    );
    assert!(printed.contains("log.entries[0]: blob: URL skipped"), "{printed}");
    assert!(printed.contains("log.entries[2]: data: URL skipped"), "{printed}");
}

#[test]
fn exported_captures_import_byte_exactly_with_base64_marked_either_way() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let serve = Serve::start(&data, &[]);
    let binary: Vec<u8> =
        [b"\xff\xfe\x00binary\x80".as_slice(), &(0..=255u8).collect::<Vec<_>>()].concat();
    let headers: [(&str, &[u8]); 1] = [("Content-Type", b"application/octet-stream")];
    assert_eq!(post(&serve, "/hook/bin", &headers, &binary).status, 200);
    let mut stream = serve.connect();
    let answer = exchange(&mut stream, &request("GET", "/hook/poll?x=1", &[], b"")).unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(post(&serve, "/hook/text", &[], "grüße".as_bytes()).status, 200);

    let file = dir.path().join("out.har");
    let d = data.to_str().unwrap();
    let out = cli(&["export", "--format", "har", "--out", file.to_str().unwrap(), "--data-dir", d]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let request = |i: usize| doc["log"]["entries"][i]["request"].clone();
    let post_data = request(0)["postData"].clone();
    assert_eq!(
        (&post_data["encoding"], &post_data["_encoding"]),
        (&json!("base64"), &json!("base64"))
    );
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(post_data["text"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, binary);
    assert_eq!(request(1)["method"], "GET");
    assert!(request(1).get("postData").is_none(), "{}", request(1));
    assert_eq!(request(2)["postData"]["text"], "grüße");
    assert!(request(2)["postData"].get("encoding").is_none());

    // As exported, as the exporter wrote it before (`encoding` only), and as tools that keep
    // to HAR 1.2's custom fields write it (`_encoding` only).
    let mut older = doc.clone();
    older["log"]["entries"][0]["request"]["postData"].as_object_mut().unwrap().remove("_encoding");
    let mut custom = doc.clone();
    custom["log"]["entries"][0]["request"]["postData"].as_object_mut().unwrap().remove("encoding");
    for (name, doc) in [("exported", &doc), ("older", &older), ("custom", &custom)] {
        let into = dir.path().join(name);
        let file = dir.path().join(format!("{name}.har"));
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = import(&into, &file);
        assert!(out.status.success(), "{name}: {}", text(&out));
        assert_eq!(show(&into, 1, &["--raw"]), binary, "{name}");
        assert!(show(&into, 2, &["--raw"]).is_empty(), "{name}");
        assert_eq!(show(&into, 3, &["--raw"]), "grüße".as_bytes(), "{name}");
        let poll = list_json(&into, &[]).into_iter().find(|d| d["id"] == 2).unwrap();
        assert_eq!((&poll["method"], &poll["query"]), (&json!("GET"), &json!("x=1")), "{name}");
    }
}
