//! Tests across providers: the published vectors, sign/verify round trips, samples, detection,
//! the serialised shapes the UI relies on, and robustness against arbitrary input.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// A captured request that owns its bytes, for building [`RequestView`]s in tests.
pub(crate) struct OwnedRequest {
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl OwnedRequest {
    pub fn new(headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Self {
        OwnedRequest {
            headers: headers
                .iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
            body: body.as_ref().to_vec(),
        }
    }

    pub fn with_headers(headers: Vec<(String, String)>, body: impl AsRef<[u8]>) -> Self {
        OwnedRequest {
            headers: headers.into_iter().map(|(n, v)| (n.into_bytes(), v.into_bytes())).collect(),
            body: body.as_ref().to_vec(),
        }
    }

    pub fn view(&self) -> RequestView<'_> {
        RequestView { method: "POST", path: "/hook", headers: &self.headers, body: &self.body }
    }
}

pub(crate) fn secrets(values: &[&str]) -> Vec<Secret> {
    Secret::ranked(values.iter().map(|v| v.as_bytes().to_vec()))
}

pub(crate) fn verify(
    id: ProviderId,
    req: &OwnedRequest,
    secrets: &[Secret],
    now: i64,
) -> Verification {
    provider(id).verify(&req.view(), &VerifyOptions::new(secrets, now))
}

/// The providers' published test vectors, copied byte for byte into the repository so the tests
/// need nothing beside it.
const VECTORS: &str = include_str!("fixtures/signatures.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

#[test]
fn published_vectors_verify_as_published() {
    let vectors = vectors();
    let mut checked = 0;
    for id in ProviderId::ALL {
        for vector in vectors[id.as_str()].as_array().unwrap() {
            let source = vector["source"].as_str().unwrap();
            let (name, value) = vector["header"].as_str().unwrap().split_once(": ").unwrap();
            let req = OwnedRequest::new(&[(name, value)], vector["body"].as_str().unwrap());
            let secrets = secrets(&[vector["secret"].as_str().unwrap()]);
            let now = vector["now"].as_i64().unwrap_or(0);
            let expected_valid = vector["valid"].as_bool().unwrap();

            let mut runs = vec![verify(id, &req, &secrets, now)];
            if id == ProviderId::Flowella {
                // Both with the header configured and with the header searched for.
                let mut opts = VerifyOptions::new(&secrets, now);
                opts.signature_header = Some(name);
                runs.push(provider(id).verify(&req.view(), &opts));
            }
            for v in runs {
                let ctx = format!("{id} vector {source:?}: {v:#?}");
                assert_eq!(v.is_valid(), expected_valid, "{ctx}");
                assert_eq!(v.header.as_deref(), Some(name), "{ctx}");
                if expected_valid {
                    assert_eq!(v.matched_secret.as_deref(), Some("current"), "{ctx}");
                    assert!(value.contains(v.matched_signature.as_deref().unwrap()), "{ctx}");
                    continue;
                }
                assert_eq!(v.status, SignatureStatus::Invalid, "{ctx}");
                let reason = v.reason.clone().unwrap();
                if source.contains("changed body") {
                    let FailureReason::BodyChanged { change } = &reason else {
                        panic!("expected a changed body: {ctx}");
                    };
                    if source.contains("trailing newline") {
                        assert_eq!(change, "trailing newline added", "{ctx}");
                    }
                }
                if source.contains("window") {
                    let t: i64 = value.split(['=', ',']).nth(1).unwrap().parse().unwrap();
                    assert_eq!(
                        reason,
                        FailureReason::TimestampOutsideWindow {
                            skew_secs: now - t,
                            tolerance_secs: DEFAULT_TOLERANCE_SECS
                        },
                        "{ctx}"
                    );
                    assert!(v.explanation.contains("301 s in the past"), "{ctx}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} vectors found");
}

#[test]
fn provider_ids_parse_print_and_serialise() {
    for id in ProviderId::ALL {
        assert_eq!(id.to_string().parse::<ProviderId>().unwrap(), id);
        assert_eq!(serde_json::to_value(id).unwrap(), json!(id.as_str()));
        assert_eq!(provider(id).id(), id);
    }
    assert_eq!(" Fleiko ".parse::<ProviderId>().unwrap(), ProviderId::Fleiko);
    assert_eq!(
        "stripe".parse::<ProviderId>(),
        Err(ProviderError::UnknownProvider("stripe".to_owned()))
    );
}

#[test]
fn ui_types_serialise_in_camel_case_with_kind_tags() {
    let reason = FailureReason::TimestampOutsideWindow { skew_secs: 301, tolerance_secs: 300 };
    assert_eq!(
        serde_json::to_value(&reason).unwrap(),
        json!({"kind": "timestampOutsideWindow", "skewSecs": 301, "toleranceSecs": 300})
    );
    let mismatch = FailureReason::TimestampMismatch { header_t: 5, timestamp_header: "6".into() };
    assert_eq!(
        serde_json::to_value(&mismatch).unwrap(),
        json!({"kind": "timestampMismatch", "headerT": 5, "timestampHeader": "6"})
    );
    assert_eq!(
        serde_json::to_value(FailureReason::WrongSecret).unwrap(),
        json!({"kind": "wrongSecret"})
    );

    let mut v = Verification::new(SignatureStatus::Unchecked, "x");
    v.signed_at = Some(1);
    let shown = serde_json::to_value(&v).unwrap();
    assert_eq!(shown["status"], "unchecked");
    assert_eq!(shown["signedAt"], 1);
    assert!(shown.get("matchedSecret").is_some());
    let back: Verification = serde_json::from_value(shown).unwrap();
    assert_eq!(back, v);

    let sample = &provider(ProviderId::Flovi).samples()[0];
    let decoded = provider(ProviderId::Flovi)
        .decode(&OwnedRequest::with_headers(sample.headers.clone(), &sample.body).view());
    let shown = serde_json::to_value(&decoded).unwrap();
    assert_eq!(shown["view"]["kind"], "floviReservation");
    assert_eq!(shown["view"]["reservationId"], "34");
    assert_eq!(shown["eventType"], "reservation_status_change.created");
}

#[test]
fn every_documented_event_has_a_sample_that_decodes_verifies_and_is_detected() {
    let expected: Vec<(ProviderId, Vec<String>)> = vec![
        (
            ProviderId::Flovi,
            flovi::STATES.iter().map(|s| format!("{}.{s}", flovi::WEBHOOK_NAME)).collect(),
        ),
        (ProviderId::Flowella, flowella::EVENT_TYPES.iter().map(|s| s.to_string()).collect()),
        (ProviderId::Fleiko, fleiko::EVENT_TYPES.iter().map(|s| s.to_string()).collect()),
    ];
    let now = 1_717_420_800;
    for (id, events) in expected {
        let samples = provider(id).samples();
        let names: Vec<&str> = samples.iter().map(|s| s.event.as_str()).collect();
        assert_eq!(names, events, "{id}");
        for sample in &samples {
            assert_eq!(sample.provider, id);
            assert!(serde_json::from_str::<Value>(&sample.body).is_ok(), "{}", sample.event);
            let headers = sample.signed_headers(&[b"whsec_sample"], now);
            let req = OwnedRequest::with_headers(headers, &sample.body);

            let decoded = provider(id).decode(&req.view());
            assert_eq!(decoded.event_type.as_deref(), Some(sample.event.as_str()));
            assert!(decoded.event_id.is_some(), "{}: {decoded:?}", sample.event);
            assert!(decoded.summary.is_some());
            assert!(
                decoded.notes.iter().all(|n| !n.contains("nknown") && !n.contains("without")),
                "{}: {:?}",
                sample.event,
                decoded.notes
            );

            let v = verify(id, &req, &secrets(&["whsec_sample"]), now);
            assert!(v.is_valid(), "{}: {v:#?}", sample.event);
            assert_eq!(detect(&req.view()), Some(id), "{}", sample.event);
        }
    }
    assert_eq!(all_samples().len(), 6 + 9 + 7);
}

#[test]
fn detection_leaves_plain_requests_alone() {
    let req = OwnedRequest::new(&[("content-type", "application/json")], r#"{"hello":"world"}"#);
    assert_eq!(detect(&req.view()), None);
    let github = OwnedRequest::new(
        &[("X-Hub-Signature", "sha1=abc"), ("X-GitHub-Event", "push")],
        r#"{"ref":"main"}"#,
    );
    assert_eq!(detect(&github.view()), None);
}

#[test]
fn header_names_are_case_insensitive() {
    let body = br#"{"a":1}"#;
    for id in ProviderId::ALL {
        let signed = provider(id).sign(body, &[b"s3cret"], 1000);
        for case in [str::to_ascii_lowercase, str::to_ascii_uppercase] {
            let headers = signed.iter().map(|(n, v)| (case(n), v.clone())).collect();
            let req = OwnedRequest::with_headers(headers, body);
            assert!(verify(id, &req, &secrets(&["s3cret"]), 1000).is_valid(), "{id}");
        }
    }
}

#[test]
fn sign_without_secrets_adds_nothing() {
    for id in ProviderId::ALL {
        assert!(provider(id).sign(b"x", &[], 0).is_empty());
    }
}

/// The signed headers with one bit of the (last) signature digest flipped. Flipping the hex
/// text instead could merely change its case, which is accepted on purpose.
fn flip_signature_bit(headers: &[(String, String)], bit: usize) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let is_signature = name.to_ascii_lowercase().contains("signature");
            if !is_signature || value.len() < 64 {
                return (name.clone(), value.clone());
            }
            let (head, hex_text) = value.split_at(value.len() - 64);
            let mut digest = hex::decode(hex_text).unwrap();
            digest[(bit / 8) % 32] ^= 1 << (bit % 8);
            (name.clone(), format!("{head}{}", hex::encode(digest)))
        })
        .collect()
}

/// What capture stores from `identify` must be what `decode` shows when the delivery is opened.
fn assert_same_identity(id: ProviderId, req: &OwnedRequest) {
    let full = provider(id).decode(&req.view());
    let brief = provider(id).identify(&req.view());
    assert_eq!(
        (&brief.event_type, &brief.event_id, &brief.delivery_id, brief.attempt, &brief.summary),
        (&full.event_type, &full.event_id, &full.delivery_id, full.attempt, &full.summary),
        "{id}"
    );
}

#[test]
fn identify_finds_what_decode_finds_in_every_sample() {
    for sample in all_samples() {
        let headers = sample.signed_headers(&[b"whsec_sample"], 1_717_420_800);
        assert_same_identity(sample.provider, &OwnedRequest::with_headers(headers, &sample.body));
    }
    // Spellings and shapes the samples do not use: camelCase, numbers for ids, repeated keys,
    // escapes, nested driver and customer objects, a lenient body.
    for body in [
        r#"{"id":7,"type":"job.assigned","data":{"jobId":"J-1","driver":{"fullName":"Ana\u00efs"}}}"#,
        r#"{"id":"e","type":"job.cancelled","data":{"job":{"id":"J-2","reason":"a","reason":"b"},
            "cancellationCategory":"customer"}}"#,
        r#"{"id":"e","type":"customer_portal.booking_created","bookingId":"B-1",
            "data":{"customer":{"email":"x@example.com"}}}"#,
        r#"{"id":"e","type":"job.status_changed","data":{"object":{"from":"new","to":"done"}}}"#,
        r#"{"id":"e","type":"job.created","data":{"job_id":"J-3",},} // docs"#,
    ] {
        assert_same_identity(ProviderId::Fleiko, &OwnedRequest::new(&[], body));
    }
}

fn any_provider() -> impl Strategy<Value = ProviderId> {
    prop::sample::select(ProviderId::ALL.to_vec())
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::from),
        prop::sample::select(vec!["state", "sealed", "job.cancelled", "message.failed"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "id",
                    "type",
                    "event",
                    "state",
                    "data",
                    "driver",
                    "costs",
                    "breakdown",
                    "price",
                    "total",
                    "vehicles",
                    "cancellation_reason",
                    "reason",
                    "job",
                    "from",
                    "to",
                    "message",
                    "error",
                    "template",
                    "contact",
                    "text",
                    "created",
                ])
                .prop_map(String::from),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(
        id in any_provider(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        secret in prop::collection::vec(any::<u8>(), 1..48),
        now in 0i64..4_000_000_000,
    ) {
        let headers = provider(id).sign(&body, &[&secret], now);
        let req = OwnedRequest::with_headers(headers, &body);
        let keys = [Secret::new("current", secret.clone())];
        let v = provider(id).verify(&req.view(), &VerifyOptions::new(&keys, now));
        prop_assert!(v.is_valid(), "{:#?}", v);
        prop_assert_eq!(v.matched_secret.as_deref(), Some("current"));
    }

    #[test]
    fn a_one_bit_change_of_the_body_fails(
        id in any_provider(),
        body in prop::collection::vec(any::<u8>(), 1..300),
        secret in prop::collection::vec(any::<u8>(), 1..48),
        bit in any::<prop::sample::Index>(),
    ) {
        let headers = provider(id).sign(&body, &[&secret], 1000);
        let mut changed = body.clone();
        let bit = bit.index(body.len() * 8);
        changed[bit / 8] ^= 1 << (bit % 8);
        let req = OwnedRequest::with_headers(headers, &changed);
        let keys = [Secret::new("current", secret)];
        let v = provider(id).verify(&req.view(), &VerifyOptions::new(&keys, 1000));
        prop_assert_eq!(v.status, SignatureStatus::Invalid, "{:#?}", v);
    }

    #[test]
    fn a_one_bit_change_of_the_signature_fails(
        id in any_provider(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        secret in prop::collection::vec(any::<u8>(), 1..48),
        bit in 0usize..256,
    ) {
        let headers = provider(id).sign(&body, &[&secret], 1000);
        let req = OwnedRequest::with_headers(flip_signature_bit(&headers, bit), &body);
        let keys = [Secret::new("current", secret)];
        let v = provider(id).verify(&req.view(), &VerifyOptions::new(&keys, 1000));
        prop_assert_eq!(v.status, SignatureStatus::Invalid, "{:#?}", v);
    }

    #[test]
    fn verify_never_panics_on_arbitrary_signature_headers(
        id in any_provider(),
        value in prop::collection::vec(any::<u8>(), 0..200),
        text in "[tv01= ,a-fA-F0-9xs:\\-]{0,150}",
        with_secret in any::<bool>(),
        now in any::<i64>(),
        tolerance in any::<u64>(),
    ) {
        let keys = if with_secret { secrets(&["k"]) } else { Vec::new() };
        for header in ["x-hub-signature", "X-Fleiko-Signature", "X-Flowella-Signature", "X-Other"] {
            for v in [value.clone(), text.clone().into_bytes()] {
                let req = OwnedRequest {
                    headers: vec![
                        (header.as_bytes().to_vec(), v.clone()),
                        (b"X-Fleiko-Timestamp".to_vec(), v),
                    ],
                    body: b"{}".to_vec(),
                };
                let mut opts = VerifyOptions::new(&keys, now);
                opts.tolerance_secs = tolerance;
                let result = provider(id).verify(&req.view(), &opts);
                prop_assert!(!result.explanation.is_empty());
                opts.signature_header = Some(header);
                provider(id).verify(&req.view(), &opts);
            }
        }
    }

    #[test]
    fn fleiko_signature_parser_never_panics(
        free in ".{0,200}",
        parts in prop::collection::vec("( ?)(t|v1|v0|x|)( ?)(=?)([0-9a-fA-F\\-]{0,70})", 0..6),
    ) {
        let _ = fleiko::parse_signature(&free);
        let _ = fleiko::parse_signature(&parts.join(","));
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(
        id in any_provider(),
        body in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let req = OwnedRequest::new(&[("X-Fleiko-Delivery-Attempt", "99999999999")], &body);
        provider(id).decode(&req.view());
        detect(&req.view());
    }

    #[test]
    fn identify_finds_what_decode_finds(
        id in any_provider(),
        value in arb_json(),
        commented in any::<bool>(),
    ) {
        let mut body = serde_json::to_vec(&value).unwrap();
        if commented {
            // Not strict JSON any more: both take the lenient path.
            body.extend_from_slice(b" // trailing note");
        }
        assert_same_identity(id, &OwnedRequest::new(&[], &body));
    }

    #[test]
    fn decode_never_panics_on_arbitrary_json(id in any_provider(), value in arb_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        let req = OwnedRequest::new(&[], &body);
        provider(id).decode(&req.view());
    }

    #[test]
    fn explaining_a_mismatch_never_panics(body in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = explain::find_original(&body, &mut |_| false);
    }
}

#[test]
fn decode_survives_hostile_bodies() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = r#"{"reservation": 1e400, "created": 99999999999999999999999, "state": "sealed"}"#;
    let bodies: [&[u8]; 5] = [b"", b"\xff\xfe\x00", deep.as_bytes(), huge.as_bytes(), b"[1,2]"];
    for id in ProviderId::ALL {
        for body in bodies {
            let req = OwnedRequest::new(&[], body);
            let decoded = provider(id).decode(&req.view());
            if body.is_empty() {
                assert!(!decoded.notes.is_empty(), "{id}");
            }
            provider(id).verify(&req.view(), &VerifyOptions::new(&secrets(&["k"]), 0));
        }
    }
}
