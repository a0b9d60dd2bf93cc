use super::*;
use crate::providers::tests::{OwnedRequest, secrets, verify};
use crate::providers::{Fleiko, Flowella};

const NOW: i64 = 1_717_420_800;
const BODY: &str = r#"{"id":"evt_1","type":"test.ping","created":1717420800,"company_id":"co_1","api_version":"1","data":{}}"#;

fn v1(secret: &str, t: i64, body: &str) -> String {
    hex::encode(signature::hmac_sha256(
        secret.as_bytes(),
        &[t.to_string().as_bytes(), b".", body.as_bytes()],
    ))
}

fn check(sig: &str, timestamp: Option<&str>, body: &str, keys: &[&str], now: i64) -> Verification {
    let mut headers = vec![("X-Fleiko-Signature", sig)];
    if let Some(ts) = timestamp {
        headers.push(("X-Fleiko-Timestamp", ts));
    }
    verify(ProviderId::Fleiko, &OwnedRequest::new(&headers, body), &secrets(keys), now)
}

#[test]
fn valid_with_matching_timestamp_header() {
    let sig = format!("t={NOW},v1={}", v1("k", NOW, BODY));
    let v = check(&sig, Some(&NOW.to_string()), BODY, &["k"], NOW + 10);
    assert!(v.is_valid(), "{v:?}");
    assert_eq!(v.signed_at, Some(NOW));
    assert_eq!(v.matched_secret.as_deref(), Some("current"));
    assert_eq!(v.matched_signature, Some(v1("k", NOW, BODY)));
    assert!(v.notes.is_empty(), "{:?}", v.notes);
}

#[test]
fn walks_every_v1_during_a_rotation() {
    let sig = format!("t={NOW},v1={},v1={}", v1("old", NOW, BODY), v1("new", NOW, BODY));
    let v = check(&sig, Some(&NOW.to_string()), BODY, &["new"], NOW);
    assert!(v.is_valid());
    assert!(v.notes.iter().any(|n| n.contains("2nd of 2 v1")), "{:?}", v.notes);

    // The no-overlap reading: only the old secret signed; it is still configured as previous.
    let sig = format!("t={NOW},v1={}", v1("old", NOW, BODY));
    let v = check(&sig, Some(&NOW.to_string()), BODY, &["new", "old"], NOW);
    assert!(v.is_valid());
    assert_eq!(v.matched_secret.as_deref(), Some("previous"));
    assert!(v.notes.iter().any(|n| n.contains("rotation")));
}

#[test]
fn spaces_after_commas_are_tolerated_with_a_note() {
    let sig = format!("t={NOW}, v1={}, v0=abc", v1("k", NOW, BODY));
    let v = check(&sig, Some(&NOW.to_string()), BODY, &["k"], NOW);
    assert!(v.is_valid(), "{v:?}");
    assert!(v.notes.iter().any(|n| n.contains("spaces after commas")), "{:?}", v.notes);
    assert!(v.notes.iter().any(|n| n.contains("v0")), "{:?}", v.notes);
}

#[test]
fn uppercase_hex_is_noted() {
    let sig = format!("t={NOW},v1={}", v1("k", NOW, BODY).to_ascii_uppercase());
    let v = check(&sig, Some(&NOW.to_string()), BODY, &["k"], NOW);
    assert!(v.is_valid());
    assert!(v.notes.iter().any(|n| n.contains("uppercase")));
}

#[test]
fn timestamp_outside_the_window_in_the_past_and_the_future() {
    let sig = format!("t={NOW},v1={}", v1("k", NOW, BODY));
    let v = check(&sig, Some(&NOW.to_string()), BODY, &["k"], NOW + 301);
    assert_eq!(
        v.reason,
        Some(FailureReason::TimestampOutsideWindow { skew_secs: 301, tolerance_secs: 300 })
    );
    assert_eq!(v.matched_secret.as_deref(), Some("current"));
    assert!(v.explanation.contains("301 s in the past"), "{}", v.explanation);

    let v = check(&sig, Some(&NOW.to_string()), BODY, &["k"], NOW - 400);
    assert_eq!(
        v.reason,
        Some(FailureReason::TimestampOutsideWindow { skew_secs: -400, tolerance_secs: 300 })
    );
    assert!(v.explanation.contains("400 s in the future"), "{}", v.explanation);

    // Exactly at the edge is still inside; a configured tolerance widens it.
    assert!(check(&sig, Some(&NOW.to_string()), BODY, &["k"], NOW + 300).is_valid());
    let keys = secrets(&["k"]);
    let req = OwnedRequest::new(&[("X-Fleiko-Signature", &sig)], BODY);
    let mut opts = VerifyOptions::new(&keys, NOW + 1000);
    opts.tolerance_secs = 3600;
    assert!(Fleiko.verify(&req.view(), &opts).is_valid());
}

#[test]
fn timestamp_header_must_equal_t() {
    let sig = format!("t={NOW},v1={}", v1("k", NOW, BODY));
    let v = check(&sig, Some("1717420999"), BODY, &["k"], NOW);
    assert_eq!(
        v.reason,
        Some(FailureReason::TimestampMismatch {
            header_t: NOW,
            timestamp_header: "1717420999".into()
        })
    );
    assert!(v.explanation.contains("X-Fleiko-Timestamp"));
}

#[test]
fn body_changed_and_wrong_secret() {
    let sig = format!("t={NOW},v1={}", v1("k", NOW, BODY));
    let v = check(&sig, Some(&NOW.to_string()), &format!("{BODY}\n"), &["k"], NOW);
    assert_eq!(
        v.reason,
        Some(FailureReason::BodyChanged { change: "trailing newline added".into() })
    );
    assert!(v.explanation.contains("Fleiko"));
    let v = check(&sig, Some(&NOW.to_string()), BODY, &["other"], NOW + 1000);
    assert_eq!(v.reason, Some(FailureReason::WrongSecret));
    assert!(v.notes.iter().any(|n| n.contains("outside the 300 s window")), "{:?}", v.notes);
}

#[test]
fn malformed_and_unsupported_headers() {
    let hex = v1("k", NOW, BODY);
    for (sig, detail) in [
        (format!("v1={hex}"), "no t= entry"),
        (format!("t=yesterday,v1={hex}"), "t is not a number"),
        (format!("t={NOW}"), "no v1= entry"),
        (format!("t={NOW},v1=xyz"), "v1 is not hex"),
        (format!("t={NOW},v1=abc"), "odd-length"),
        (format!("t=1,t=2,v1={hex}"), "two different t="),
    ] {
        let v = check(&sig, None, BODY, &["k"], NOW);
        let Some(FailureReason::MalformedHeader { detail: got }) = &v.reason else {
            panic!("{sig}: {v:?}");
        };
        assert!(got.contains(detail), "{sig}: {got}");
    }
    let v = check(&format!("t={NOW},v0={hex}"), None, BODY, &["k"], NOW);
    assert_eq!(v.reason, Some(FailureReason::UnsupportedScheme { scheme: "v0".into() }));
}

#[test]
fn unsigned_and_unchecked() {
    let req = OwnedRequest::new(&[("X-Fleiko-Event", "test.ping")], BODY);
    assert_eq!(
        verify(ProviderId::Fleiko, &req, &secrets(&["k"]), NOW).status,
        SignatureStatus::Unsigned
    );
    let sig = format!("t={NOW},v1={}", v1("k", NOW, BODY));
    let v = check(&sig, Some(&NOW.to_string()), BODY, &[], NOW + 9999);
    assert_eq!(v.status, SignatureStatus::Unchecked);
    assert_eq!(v.signed_at, Some(NOW));
    assert!(v.notes.iter().any(|n| n.contains("window")));
}

#[test]
fn signs_one_v1_per_secret_with_the_timestamp_header() {
    let headers = Fleiko.sign(BODY.as_bytes(), &[b"a", b"b"], NOW);
    assert_eq!(
        headers,
        vec![
            (
                "X-Fleiko-Signature".to_owned(),
                format!("t={NOW},v1={},v1={}", v1("a", NOW, BODY), v1("b", NOW, BODY))
            ),
            ("X-Fleiko-Timestamp".to_owned(), NOW.to_string()),
        ]
    );
}

fn decode(headers: &[(&str, &str)], body: &str) -> (Decoded, FleikoEvent) {
    let decoded = Fleiko.decode(&OwnedRequest::new(headers, body).view());
    let Some(DecodedView::FleikoEvent(e)) = decoded.view.clone() else {
        panic!("no event view: {decoded:?}");
    };
    (decoded, e)
}

#[test]
fn the_docs_envelope_decodes() {
    let (d, e) = decode(&[], include_str!("../fixtures/fleiko_envelope.json"));
    assert_eq!(d.event_type.as_deref(), Some("job.created"));
    assert_eq!(d.event_id.as_deref(), Some("f7c3a2e6-5e7e-4f3a-9e1c-2d4b8a9c1234"));
    assert_eq!(e.created, Some(1_717_420_800));
    assert_eq!(e.company_id.as_deref(), Some("co_…"));
    assert_eq!(e.api_version.as_deref(), Some("1"));
    assert!(e.type_known);
    assert!(d.notes.iter().any(|n| n.contains("leniently")), "{:?}", d.notes);
}

#[test]
fn delivery_headers_and_event_fields_decode() {
    let (d, e) = decode(
        &[
            ("X-Fleiko-Delivery", "dlv_1"),
            ("X-Fleiko-Delivery-Attempt", "3"),
            ("X-Fleiko-Event", "job.status_changed"),
        ],
        r#"{"id":"e1","type":"job.status_changed","created":1,"company_id":"c","api_version":"1",
            "data":{"job_id":"J-7","from_status":"assigned","to_status":"in_progress"}}"#,
    );
    assert_eq!(d.delivery_id.as_deref(), Some("dlv_1"));
    assert_eq!(d.attempt, Some(3));
    assert_eq!(e.from_status.as_deref(), Some("assigned"));
    assert_eq!(e.to_status.as_deref(), Some("in_progress"));
    assert_eq!(d.summary.as_deref(), Some("Job J-7 status assigned → in_progress · attempt 3"));
    assert!(e.fields.iter().any(|f| f.path == "job_id" && f.value == "J-7"));

    let (d, e) = decode(
        &[("X-Fleiko-Event", "job.created")],
        r#"{"id":"e2","type":"job.cancelled","data":{"job":{"id":"J-8"},"reason":"no car","reason_category":"customer"}}"#,
    );
    assert_eq!(e.job_id.as_deref(), Some("J-8"));
    assert_eq!(d.summary.as_deref(), Some("Job J-8 cancelled: no car (customer)"));
    assert!(d.notes.iter().any(|n| n.contains("X-Fleiko-Event says 'job.created'")));
    assert!(d.notes.iter().any(|n| n.contains("missing")));
}

#[test]
fn unknown_types_are_shown_raw() {
    let (d, e) = decode(&[], r#"{"id":"e3","type":"job.teleported","data":{}}"#);
    assert_eq!(d.event_type.as_deref(), Some("job.teleported"));
    assert!(!e.type_known);
    assert!(d.notes.iter().any(|n| n.contains("Unknown event type 'job.teleported'")));
    let (d, _) =
        decode(&[("X-Fleiko-Event", "test.ping"), ("X-Fleiko-Delivery-Attempt", "x")], "<html>");
    assert_eq!(d.event_type.as_deref(), Some("test.ping"));
    assert!(d.notes.iter().any(|n| n.contains("not JSON")));
    assert!(d.notes.iter().any(|n| n.contains("not a number")));
}

#[test]
fn response_meanings_follow_the_docs() {
    assert_eq!(response_meaning(200, 1), "2xx: done");
    assert_eq!(response_meaning(204, 5), "2xx: done");
    assert_eq!(response_meaning(410, 1), "dead-lettered: 410 is permanent");
    assert!(response_meaning(500, 2).starts_with("will retry in 5 m (attempt 3 of 7)"));
    assert!(response_meaning(503, 1).starts_with("will retry in 1 m (attempt 2 of 7)"));
    assert!(response_meaning(429, 4).starts_with("will retry in 2 h (attempt 5 of 7)"));
    assert!(response_meaning(408, 6).starts_with("will retry in 24 h (attempt 7 of 7)"));
    assert!(response_meaning(409, 3).starts_with("will retry in 30 m (attempt 4 of 7)"));
    assert!(response_meaning(500, 7).starts_with("dead-lettered: attempt 7 of 7"));
    assert!(response_meaning(500, 0).contains("attempt 2 of 7"));
    assert!(response_meaning(500, u32::MAX).starts_with("dead-lettered"));
    for status in PERMANENT_FAILURE_STATUSES {
        assert!(is_permanent_failure(status));
    }
    for status in [200, 302, 408, 429, 500, 502] {
        assert!(!is_permanent_failure(status));
    }
    assert_eq!(RETRY_SCHEDULE_SECS, [0, 60, 300, 1800, 7200, 21600, 86400]);
    assert_eq!(retry_delay_secs(1), Some(0));
    assert_eq!(retry_delay_secs(8), None);
    assert_eq!(retry_delay_secs(0), None);
}

#[test]
fn detects_fleiko_deliveries() {
    let sample = &Fleiko.samples()[0];
    let req = OwnedRequest::with_headers(sample.headers.clone(), &sample.body);
    assert!(Fleiko.detect(&req.view()) >= 90);
    assert!(Flowella.detect(&req.view()) < 50);
    let bare = OwnedRequest::new(&[], include_str!("../samples/fleiko_job_cancelled.json"));
    assert!(Fleiko.detect(&bare.view()) >= 50);
}
