use std::path::Path;

use base64::Engine;

use super::*;
use crate::analysis::{self, Captured};
use crate::providers::{RequestView, Secret, VerifyOptions, flovi};
use crate::store::{NewDelivery, StoreOptions};

fn registry(dir: &Path) -> Registry {
    // A key file first, so tests never reach for the developer's keyring.
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    std::fs::write(dir.join(crate::secrets::KEY_FILE), key).unwrap();
    Registry::open(Store::open(dir, StoreOptions::default()).unwrap(), dir).unwrap()
}

fn endpoint_id(registry: &Registry, name: &str) -> i64 {
    registry.settings().unwrap().into_iter().find(|e| e.name == name).unwrap().id
}

/// Stores a request as the listener would, analysed with the endpoint's settings.
async fn capture(
    registry: &Registry,
    endpoint: &str,
    headers: Vec<(String, String)>,
    body: &str,
    received_at_ms: i64,
) -> i64 {
    let id = endpoint_id(registry, endpoint);
    let runtimes = registry.runtimes().unwrap();
    let runtime = runtimes.iter().find(|r| r.settings.id == id);
    let headers: Vec<(Vec<u8>, Vec<u8>)> =
        headers.into_iter().map(|(n, v)| (n.into_bytes(), v.into_bytes())).collect();
    let path = format!("/{endpoint}");
    let captured = Captured {
        method: "POST",
        path: &path,
        headers: &headers,
        body: Some(body.as_bytes()),
        received_at_ms,
    };
    let (provider, analysis) = analysis::analyse(runtime, &captured);
    let writer = registry.store().writer().unwrap();
    writer
        .insert(NewDelivery {
            received_at: received_at_ms,
            method: "POST".into(),
            path,
            query: Some("src=test".into()),
            target: None,
            http_version: "HTTP/1.1".into(),
            headers,
            body: Some(bytes::Bytes::from(body.to_owned())),
            body_size: body.len() as u64,
            remote_addr: None,
            via_tunnel: None,
            endpoint_id: Some(id),
            endpoint: Some(endpoint.into()),
            provider: provider.map(|p| p.as_str().to_owned()),
            response_status: 200,
            response_latency_us: 0,
            analysis,
        })
        .await
        .unwrap()
        .id
}

fn sample_headers(
    provider: ProviderId,
    event: &str,
    secret: &[u8],
    now: i64,
) -> (Vec<(String, String)>, String) {
    let sample = sample::find(provider, event).unwrap();
    let mut headers = vec![("Host".to_owned(), "hooks.example".to_owned())];
    headers.extend(sample.signed_headers(&[secret], now));
    headers.push(("Content-Length".to_owned(), sample.body.len().to_string()));
    (headers, sample.body)
}

/// Verifies a built request with the provider, at `now`, with `secrets`.
fn verify(
    provider: ProviderId,
    request: &OutboundRequest,
    secrets: &[&[u8]],
    header: Option<&str>,
    now: i64,
) -> crate::providers::Verification {
    let headers: Vec<(Vec<u8>, Vec<u8>)> =
        request.headers.iter().map(|(n, v)| (n.clone().into_bytes(), v.clone())).collect();
    let view =
        RequestView { method: &request.method, path: "/x", headers: &headers, body: &request.body };
    let secrets = Secret::ranked(secrets.iter().map(|s| s.to_vec()));
    let mut options = VerifyOptions::new(&secrets, now);
    options.signature_header = header;
    providers::provider(provider).verify(&view, &options)
}

fn spec(delivery_id: i64, options: ReplayOptions) -> ReplaySpec {
    ReplaySpec {
        delivery_id,
        url: "http://127.0.0.1:9/hooks?src=test".into(),
        edits: ReplayEdits::default(),
        options,
    }
}

const OLD_MS: i64 = 1_700_000_000_000;

#[tokio::test]
async fn fleiko_resign_gives_a_fresh_timestamp_that_verifies_with_both_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let fleiko = endpoint_id(&registry, "fleiko");
    registry.set_secrets(fleiko, &["whsec_new".into(), "whsec_old".into()]).unwrap();
    let (headers, body) =
        sample_headers(ProviderId::Fleiko, "job.created", b"whsec_new", OLD_MS / 1000);
    let id = capture(&registry, "fleiko", headers, &body, OLD_MS).await;
    let now = now_secs();

    let kept = build(&registry, &spec(id, ReplayOptions::default())).unwrap();
    assert_eq!(kept.request.body, body.as_bytes());
    let stale = verify(ProviderId::Fleiko, &kept.request, &[b"whsec_new"], None, now);
    assert!(!stale.is_valid(), "the old timestamp is outside the window: {stale:?}");
    assert!(matches!(stale.reason, Some(providers::FailureReason::TimestampOutsideWindow { .. })));

    let edits = ReplayEdits {
        body: Some(body.replace("\"job.created\"", "\"job.created\" ").into_bytes()),
        ..ReplayEdits::default()
    };
    let options = ReplayOptions { resign: true, also_previous: true, ..ReplayOptions::default() };
    let built = build(&registry, &ReplaySpec { edits, ..spec(id, options) }).unwrap();
    for secret in [&b"whsec_new"[..], b"whsec_old"] {
        let v = verify(ProviderId::Fleiko, &built.request, &[secret], None, now);
        assert!(v.is_valid(), "{v:?}");
        assert!(v.signed_at.unwrap() >= now - 5);
    }
    let signatures: Vec<_> = built
        .request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("x-fleiko-signature"))
        .collect();
    assert_eq!(signatures.len(), 1, "one header with a v1 per secret");
    assert_eq!(String::from_utf8_lossy(&signatures[0].1).matches("v1=").count(), 2);
    let timestamp = header_text(&built.request.headers, fleiko::TIMESTAMP_HEADER).unwrap();
    assert!(timestamp.parse::<i64>().unwrap() >= now - 5);
    assert!(built.notes.iter().any(|n| n.contains("current and previous")), "{:?}", built.notes);
}

#[tokio::test]
async fn new_ids_and_bumped_attempts_are_signed_too() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let fleiko = endpoint_id(&registry, "fleiko");
    registry.set_secrets(fleiko, &["s3cret".into()]).unwrap();
    let now = now_secs();
    let (headers, body) = sample_headers(ProviderId::Fleiko, "test.ping", b"s3cret", now);
    let id = capture(&registry, "fleiko", headers, &body, now * 1000).await;
    let options = ReplayOptions {
        resign: true,
        new_delivery_id: true,
        bump_attempt: true,
        ..ReplayOptions::default()
    };
    let built = build(&registry, &spec(id, options)).unwrap();
    let delivery = header_text(&built.request.headers, fleiko::DELIVERY_HEADER).unwrap();
    assert!(
        delivery.starts_with("dlv_") && delivery != "dlv_01HZX3Y8R0T2V4X6Z8B0D2F4H6",
        "{delivery}"
    );
    assert_eq!(header_text(&built.request.headers, fleiko::ATTEMPT_HEADER).as_deref(), Some("2"));
    let payload: serde_json::Value = serde_json::from_slice(&built.request.body).unwrap();
    assert_ne!(payload["id"], "3f9e2d71-4c8b-4a05-b6e3-8d1f7a2c9b54");
    assert_eq!(built.sent_event_id.as_deref(), payload["id"].as_str());
    assert!(verify(ProviderId::Fleiko, &built.request, &[b"s3cret"], None, now).is_valid());
    // The rest of the body is untouched, byte for byte.
    let original = String::from_utf8(built.request.body.clone())
        .unwrap()
        .replace(payload["id"].as_str().unwrap(), "3f9e2d71-4c8b-4a05-b6e3-8d1f7a2c9b54");
    assert_eq!(original, body);
}

#[tokio::test]
async fn flovi_and_flowella_digests_cover_the_edited_body() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let flowella = endpoint_id(&registry, "flowella");
    let flovi_id = endpoint_id(&registry, "flovi");
    registry.set_secrets(flowella, &["fw".into()]).unwrap();
    registry.set_secrets(flovi_id, &["fv".into()]).unwrap();
    let now = now_secs();

    // Flowella signed in a custom header: the re-signed digest goes there too.
    let sample = sample::find(ProviderId::Flowella, "message.sent").unwrap();
    let mut headers = sample.headers.clone();
    let digest =
        providers::provider(ProviderId::Flowella).sign(sample.body.as_bytes(), &[b"fw"], now);
    headers.push(("X-Hub-Custom-Sig".into(), digest[0].1.clone()));
    let id = capture(&registry, "flowella", headers, &sample.body, now * 1000).await;
    let edits = ReplayEdits {
        body: Some(br#"{"id":"evt_x","type":"message.sent"}"#.to_vec()),
        ..ReplayEdits::default()
    };
    let options = ReplayOptions { resign: true, ..ReplayOptions::default() };
    let built = build(&registry, &ReplaySpec { edits, ..spec(id, options) }).unwrap();
    assert!(header_text(&built.request.headers, "X-Hub-Custom-Sig").is_some());
    assert!(header_text(&built.request.headers, flowella::SIGN_HEADER).is_none());
    let v = verify(ProviderId::Flowella, &built.request, &[b"fw"], Some("X-Hub-Custom-Sig"), now);
    assert!(v.is_valid(), "{v:?}");

    let sample = sample::find(ProviderId::Flovi, "reservation_status_change.taken").unwrap();
    let mut headers = sample.headers.clone();
    headers.extend(providers::provider(ProviderId::Flovi).sign(
        sample.body.as_bytes(),
        &[b"fv"],
        now,
    ));
    let id = capture(&registry, "flovi", headers, &sample.body, now * 1000).await;
    let edits = ReplayEdits {
        body: Some(sample.body.replace("taken", "driving").into_bytes()),
        ..ReplayEdits::default()
    };
    let kept = build(
        &registry,
        &ReplaySpec { edits: edits.clone(), ..spec(id, ReplayOptions::default()) },
    )
    .unwrap();
    assert!(!verify(ProviderId::Flovi, &kept.request, &[b"fv"], None, now).is_valid());
    assert!(kept.notes.iter().any(|n| n.contains("original signature was kept")));
    let built = build(&registry, &ReplaySpec { edits, ..spec(id, options) }).unwrap();
    assert!(verify(ProviderId::Flovi, &built.request, &[b"fv"], None, now).is_valid());
    assert_eq!(
        built
            .request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(flovi::SIGNATURE_HEADER))
            .count(),
        1
    );
}

#[tokio::test]
async fn resigning_keeps_the_captured_signature_form() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let flovi_id = endpoint_id(&registry, "flovi");
    let flowella_id = endpoint_id(&registry, "flowella");
    registry.set_secrets(flovi_id, &["fv".into()]).unwrap();
    registry.set_secrets(flowella_id, &["fw".into()]).unwrap();
    let now = now_secs();
    let options = ReplayOptions { resign: true, ..ReplayOptions::default() };
    let edited = br#"{"event":"reservation_state_changed","state":"driving"}"#.to_vec();
    let signature = |built: &BuiltReplay, name: &str| -> Vec<(String, String)> {
        built
            .request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    };
    let digest = |secret: &str, body: &[u8]| {
        let signed = providers::provider(ProviderId::Flovi).sign(body, &[secret.as_bytes()], 0);
        signed[0].1.trim_start_matches("sha256=").to_owned()
    };

    // Flovi, captured as the docs' text describes it: lower-case name, bare hex.
    let sample = sample::find(ProviderId::Flovi, "reservation_status_change.taken").unwrap();
    let mut headers = sample.headers.clone();
    headers.push(("x-hub-signature".into(), digest("fv", sample.body.as_bytes())));
    let id = capture(&registry, "flovi", headers, &sample.body, now * 1000).await;
    let edits = ReplayEdits { body: Some(edited.clone()), ..ReplayEdits::default() };
    let built =
        build(&registry, &ReplaySpec { edits: edits.clone(), ..spec(id, options) }).unwrap();
    assert_eq!(
        signature(&built, "x-hub-signature"),
        [("x-hub-signature".to_owned(), digest("fv", &edited))]
    );
    assert!(verify(ProviderId::Flovi, &built.request, &[b"fv"], None, now).is_valid());
    assert!(built.notes.iter().any(|n| n.contains("bare hex")), "{:?}", built.notes);

    // The user picks the other form by editing the header: that is what is kept.
    let picked = ReplayEdits {
        set_headers: vec![("X-Hub-Signature".into(), "SHA256=00".into())],
        ..edits.clone()
    };
    let built = build(&registry, &ReplaySpec { edits: picked, ..spec(id, options) }).unwrap();
    assert_eq!(
        signature(&built, "x-hub-signature"),
        [("x-hub-signature".to_owned(), format!("SHA256={}", digest("fv", &edited)))]
    );
    assert!(verify(ProviderId::Flovi, &built.request, &[b"fv"], None, now).is_valid());

    // Captured with the prefix: the prefix stays.
    let mut headers = sample.headers.clone();
    headers.push((
        "X-Hub-Signature".into(),
        format!("sha256={}", digest("fv", sample.body.as_bytes())),
    ));
    let id = capture(&registry, "flovi", headers, &sample.body, now * 1000).await;
    let built =
        build(&registry, &ReplaySpec { edits: edits.clone(), ..spec(id, options) }).unwrap();
    assert_eq!(
        signature(&built, "x-hub-signature"),
        [("X-Hub-Signature".to_owned(), format!("sha256={}", digest("fv", &edited)))]
    );

    // Flowella signs bare hex; a captured `sha256=` in its header is kept, name and all.
    let sample = sample::find(ProviderId::Flowella, "message.sent").unwrap();
    let mut headers = sample.headers.clone();
    headers.push((
        "x-flowella-signature".into(),
        format!("sha256={}", digest("fw", sample.body.as_bytes())),
    ));
    let id = capture(&registry, "flowella", headers, &sample.body, now * 1000).await;
    let built = build(&registry, &ReplaySpec { edits, ..spec(id, options) }).unwrap();
    assert_eq!(
        signature(&built, flowella::SIGN_HEADER),
        [("x-flowella-signature".to_owned(), format!("sha256={}", digest("fw", &edited)))]
    );
    let v = verify(ProviderId::Flowella, &built.request, &[b"fw"], None, now);
    assert!(v.is_valid(), "{v:?}");
}

#[test]
fn digest_forms_are_read_and_written_back() {
    let hex = "ab".repeat(32);
    let bare = DigestForm::of(&hex).unwrap();
    assert_eq!(bare.write(&format!("sha256={hex}")), hex);
    let upper = DigestForm::of(&format!(" SHA256={} ", hex.to_uppercase())).unwrap();
    assert_eq!(upper.write(&hex), format!("SHA256={}", hex.to_uppercase()));
    assert_eq!(DigestForm::of("v1=zz"), None);
    assert_eq!(DigestForm::of("not hex"), None);
    assert_eq!(DigestForm::of(""), None);
    let picked = DigestForm::of("sha256=").unwrap();
    assert_eq!(picked.write(&hex), format!("sha256={hex}"));
}

#[tokio::test]
async fn resigning_without_a_secret_says_how_to_set_one() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let (headers, body) = sample_headers(ProviderId::Fleiko, "job.created", b"x", 1);
    let id = capture(&registry, "fleiko", headers, &body, OLD_MS).await;
    let options = ReplayOptions { resign: true, ..ReplayOptions::default() };
    let err = build(&registry, &spec(id, options)).unwrap_err();
    assert!(err.to_string().contains("has no secret"), "{err}");
    let err = build(
        &registry,
        &ReplaySpec { url: "ftp://x".into(), ..spec(id, ReplayOptions::default()) },
    )
    .unwrap_err();
    assert!(err.to_string().contains("http://"), "{err}");
}

#[tokio::test]
async fn a_replay_to_a_dead_port_is_recorded_and_the_target_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let (headers, body) = sample_headers(ProviderId::Fleiko, "job.created", b"x", 1);
    let id = capture(&registry, "fleiko", headers, &body, OLD_MS).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = target_url(&format!("http://127.0.0.1:{port}/wh"), Some("src=test"));
    let result = replay(
        &registry,
        &ReplaySpec { url, ..spec(id, ReplayOptions::default()) },
        SendOptions::default(),
    )
    .await
    .unwrap();
    assert!(!result.ok);
    assert!(result.record.error.as_deref().unwrap().contains("nothing is listening"));
    assert_eq!(result.record.delivery_id, Some(id));
    assert!(result.record.url.ends_with("/wh?src=test"));
    let listed = list_replays(registry.store(), Some(id), 10).unwrap();
    assert_eq!(listed, std::slice::from_ref(&result.record));
    let fleiko = endpoint_id(&registry, "fleiko");
    assert_eq!(
        remembered_target(registry.store(), fleiko).unwrap(),
        Some(format!("http://127.0.0.1:{port}/wh"))
    );
    let diff = diff::diff_stored(
        registry.store(),
        diff::DiffSide::Delivery(id),
        diff::DiffSide::Outbound(result.record.id),
    )
    .unwrap();
    assert!(diff.headers.is_empty(), "hop-by-hop headers do not count: {:?}", diff.headers);
    assert_eq!(diff.body, diff::BodyDiff::Same);
    assert_eq!(diff.request_line.as_deref(), Some("POST /fleiko?src=test → POST /wh?src=test"));
}

#[test]
fn target_urls_take_the_delivery_query_unless_they_have_one() {
    assert_eq!(target_url("http://h/x", Some("a=1")), "http://h/x?a=1");
    assert_eq!(target_url("http://h/x?b=2", Some("a=1")), "http://h/x?b=2");
    assert_eq!(target_url(" http://h/x ", None), "http://h/x");
}

#[test]
fn set_header_replaces_every_spelling_once() {
    let mut headers = vec![
        ("A".to_owned(), b"1".to_vec()),
        ("x-b".to_owned(), b"2".to_vec()),
        ("X-B".to_owned(), b"3".to_vec()),
    ];
    set_header(&mut headers, "X-b", b"9".to_vec());
    set_header(&mut headers, "C", b"4".to_vec());
    assert_eq!(
        headers,
        [
            ("A".to_owned(), b"1".to_vec()),
            ("x-b".to_owned(), b"9".to_vec()),
            ("C".to_owned(), b"4".to_vec())
        ]
    );
}

#[tokio::test]
async fn every_sample_of_every_provider_verifies_when_sent() {
    for info in sample::list() {
        let sample = sample::find(info.provider, &info.event).unwrap();
        let request = sample::request(&sample, "http://127.0.0.1:9/", &[b"k"], None);
        let v = verify(info.provider, &request, &[b"k"], None, now_secs());
        assert!(v.is_valid(), "{} {}: {v:?}", info.provider, info.event);
    }
    let err = sample::find(ProviderId::Fleiko, "nope").unwrap_err().to_string();
    assert!(err.contains("job.created") && err.contains("test.ping"), "{err}");
}

#[tokio::test]
async fn the_editor_starts_from_a_draft_and_invalid_json_needs_send_raw() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let fleiko = endpoint_id(&registry, "fleiko");
    registry.set_secrets(fleiko, &["a".into(), "b".into()]).unwrap();
    let (headers, body) = sample_headers(ProviderId::Fleiko, "job.created", b"a", 1);
    let id = capture(&registry, "fleiko", headers, &body, OLD_MS).await;
    let draft = form::draft(&registry, id).unwrap();
    assert_eq!(draft.url, "http://localhost:3000/fleiko?src=test");
    assert!(!draft.remembered && draft.json && draft.can_resign && draft.has_previous_secret);
    assert_eq!(draft.body.as_deref(), Some(body.as_str()));
    assert_eq!(draft.provider, Some(ProviderId::Fleiko));
    remember_target(registry.store(), fleiko, "http://127.0.0.1:4000/wh").unwrap();
    let draft = form::draft(&registry, id).unwrap();
    assert_eq!(draft.url, "http://127.0.0.1:4000/wh?src=test");
    assert!(draft.remembered);

    let mut request = form::ReplayRequest {
        delivery_id: id,
        url: draft.url.clone(),
        method: draft.method.clone(),
        headers: draft.headers.clone(),
        body: Some("{\"id\": ".into()),
        options: ReplayOptions::default(),
        send_raw: false,
        timeout_secs: None,
    };
    let err = form::spec(registry.store(), &request).unwrap_err().to_string();
    assert!(err.contains("not valid JSON") && err.contains("send raw"), "{err}");
    request.send_raw = true;
    let (spec, send) = form::spec(registry.store(), &request).unwrap();
    assert_eq!(spec.edits.body.as_deref(), Some(&b"{\"id\": "[..]));
    assert_eq!(send.timeout, crate::outbound::DEFAULT_TIMEOUT);
    request.timeout_secs = Some(-1.0);
    assert!(form::spec(registry.store(), &request).is_err());
}

#[tokio::test]
async fn several_deliveries_replay_in_the_order_given() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let mut ids = Vec::new();
    for event in ["job.created", "job.assigned", "job.completed"] {
        let (headers, body) = sample_headers(ProviderId::Fleiko, event, b"x", 1);
        ids.push(capture(&registry, "fleiko", headers, &body, OLD_MS).await);
    }
    let order = [ids[2], ids[0], ids[1]];
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}/wh?ignored=1");
    let results =
        replay_in_order(&registry, &order, &base, ReplayOptions::default(), SendOptions::default())
            .await
            .unwrap();
    let sources: Vec<_> = results.iter().map(|r| r.record.delivery_id.unwrap()).collect();
    assert_eq!(sources, order);
    assert!(results.iter().all(|r| !r.ok && r.record.url.ends_with("/wh?src=test")));
    let recorded: Vec<_> = list_replays(registry.store(), None, 0)
        .unwrap()
        .into_iter()
        .rev()
        .map(|r| r.delivery_id.unwrap())
        .collect();
    assert_eq!(recorded, order, "recorded in the order sent");
    assert!(
        replay_in_order(&registry, &[], &base, ReplayOptions::default(), SendOptions::default())
            .await
            .is_err()
    );
}
