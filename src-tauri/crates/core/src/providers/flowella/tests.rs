use super::*;
use crate::providers::tests::{OwnedRequest, secrets, verify};
use crate::providers::{FailureReason, Secret};

const SECRET: &str = "It's a Secret to Everybody";
const BODY: &str = "Hello, World!";
const HEX: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

fn with_header(req: &OwnedRequest, keys: &[Secret], header: &str) -> Verification {
    let mut opts = VerifyOptions::new(keys, 0);
    opts.signature_header = Some(header);
    Flowella.verify(&req.view(), &opts)
}

#[test]
fn search_finds_the_digest_in_any_header_and_says_where() {
    let prefixed = format!("sha256={HEX}");
    let req = OwnedRequest::new(
        &[("Content-Type", "text/plain"), ("X-Request-Id", "abc"), ("X-Hook-Auth", &prefixed)],
        BODY,
    );
    let v = verify(ProviderId::Flowella, &req, &secrets(&[SECRET]), 0);
    assert!(v.is_valid(), "{v:?}");
    assert_eq!(v.header.as_deref(), Some("X-Hook-Auth"));
    assert!(
        v.notes.iter().any(|n| n.contains("found in X-Hook-Auth") && n.contains("sha256= prefix")),
        "{:?}",
        v.notes
    );

    let embedded = format!("t=1, v1={}", HEX.to_ascii_uppercase());
    let req = OwnedRequest::new(&[("Signature", &embedded)], BODY);
    let v = verify(ProviderId::Flowella, &req, &secrets(&[SECRET]), 0);
    assert!(v.is_valid(), "{v:?}");
    assert!(v.notes.iter().any(|n| n.contains("uppercase")));
}

#[test]
fn configured_header_is_used_and_its_absence_reported() {
    let req = OwnedRequest::new(&[("X-Flowella-Signature", HEX)], BODY);
    let keys = secrets(&[SECRET]);
    let v = with_header(&req, &keys, "x-flowella-signature");
    assert!(v.is_valid());
    assert!(v.notes.iter().any(|n| n.contains("bare hex")));

    let v = with_header(&req, &keys, "X-Signature");
    assert!(v.is_valid());
    assert!(v.notes.iter().any(|n| n.contains("X-Signature is absent")), "{:?}", v.notes);

    let v = with_header(&req, &secrets(&["wrong"]), "X-Signature");
    assert_eq!(v.status, SignatureStatus::Unsigned);
    assert!(v.explanation.contains("X-Signature"));

    let v = with_header(&OwnedRequest::new(&[("X-Sig", "sha1=abcd")], BODY), &keys, "X-Sig");
    assert_eq!(v.reason, Some(FailureReason::UnsupportedScheme { scheme: "sha1".into() }));
    let v = with_header(&OwnedRequest::new(&[("X-Sig", "zz")], BODY), &keys, "X-Sig");
    assert!(matches!(v.reason, Some(FailureReason::MalformedHeader { .. })));
}

#[test]
fn failures_when_searching() {
    let keys = secrets(&[SECRET]);
    let changed = OwnedRequest::new(&[("X-Flowella-Signature", HEX)], format!("{BODY}\n"));
    let v = verify(ProviderId::Flowella, &changed, &keys, 0);
    assert_eq!(
        v.reason,
        Some(FailureReason::BodyChanged { change: "trailing newline added".into() })
    );
    assert_eq!(v.header.as_deref(), Some("X-Flowella-Signature"));

    // A digest-like value elsewhere does not outrank the header named like a signature.
    let other = "ab".repeat(32);
    let wrong = OwnedRequest::new(&[("X-Trace", &other), ("X-Flowella-Signature", HEX)], BODY);
    let v = verify(ProviderId::Flowella, &wrong, &secrets(&["nope"]), 0);
    assert_eq!(v.reason, Some(FailureReason::WrongSecret));
    assert_eq!(v.header.as_deref(), Some("X-Flowella-Signature"));

    let sha1 =
        OwnedRequest::new(&[("X-Sig", "sha1=2ef7bde608ce5404e97d5f042f95f89f1c232871")], BODY);
    let v = verify(ProviderId::Flowella, &sha1, &keys, 0);
    assert_eq!(v.reason, Some(FailureReason::UnsupportedScheme { scheme: "sha1".into() }));

    let plain = OwnedRequest::new(&[("Content-Type", "application/json")], BODY);
    assert_eq!(verify(ProviderId::Flowella, &plain, &keys, 0).status, SignatureStatus::Unsigned);
}

#[test]
fn unchecked_without_a_secret_names_the_likely_header() {
    let req = OwnedRequest::new(&[("X-Flowella-Signature", HEX)], BODY);
    let v = verify(ProviderId::Flowella, &req, &[], 0);
    assert_eq!(v.status, SignatureStatus::Unchecked);
    assert_eq!(v.header.as_deref(), Some("X-Flowella-Signature"));
}

fn decode(body: &str) -> (Decoded, FlowellaEvent) {
    let decoded = Flowella.decode(&OwnedRequest::new(&[], body).view());
    let Some(DecodedView::FlowellaEvent(e)) = decoded.view.clone() else {
        panic!("no event view: {decoded:?}");
    };
    (decoded, e)
}

#[test]
fn samples_decode_their_key_fields() {
    let (d, e) = decode(include_str!("../samples/flowella_message_received.json"));
    assert_eq!(d.event_id.as_deref(), Some("evt_01HXA7Q2M4"));
    assert_eq!(e.direction.as_deref(), Some("inbound"));
    assert_eq!(e.contact.as_deref(), Some("+447700900123"));
    assert_eq!(e.text.as_deref(), Some("ohh hi yeah maybe? remind me what plan I'm on?"));
    assert!(d.summary.unwrap().starts_with("Message from +447700900123: “ohh hi"));

    let (d, e) = decode(include_str!("../samples/flowella_message_failed.json"));
    assert_eq!(e.error.as_deref(), Some("The recipient's phone number is not a WhatsApp account."));
    assert_eq!(e.template_name.as_deref(), Some("policy_renewal_reminder"));
    assert!(d.summary.unwrap().contains("failed"));

    let (d, e) = decode(include_str!("../samples/flowella_template_status_updated.json"));
    assert_eq!(e.status.as_deref(), Some("APPROVED"));
    assert_eq!(d.summary.as_deref(), Some("Template policy_renewal_reminder PENDING → APPROVED"));

    let (d, _) = decode(include_str!("../samples/flowella_optout_created.json"));
    assert_eq!(d.summary.as_deref(), Some("+447700900789 opted out on whatsapp"));
}

#[test]
fn other_envelope_spellings_and_unknown_events() {
    let (d, e) = decode(
        r#"{"event_id":"e-9","event":"message.delivered","timestamp":1715680000,
            "payload":{"messageId":"m-1","to":"+15550001111"}}"#,
    );
    assert_eq!(d.event_type.as_deref(), Some("message.delivered"));
    assert_eq!(d.event_id.as_deref(), Some("e-9"));
    assert_eq!(e.message_id.as_deref(), Some("m-1"));
    assert_eq!(e.created_at.as_deref(), Some("1715680000"));
    assert_eq!(d.summary.as_deref(), Some("Message to +15550001111 delivered"));

    let (d, e) = decode(r#"{"type":"invoice.paid"}"#);
    assert!(!e.type_known);
    assert!(d.notes.iter().any(|n| n.contains("Unknown event type 'invoice.paid'")));
    assert!(d.notes.iter().any(|n| n.contains("idempotency")));
}

#[test]
fn detects_flowella_deliveries() {
    let sample = &Flowella.samples()[0];
    let req = OwnedRequest::with_headers(sample.signed_headers(&[b"k"], 0), &sample.body);
    assert!(Flowella.detect(&req.view()) >= 90);
    let unsigned = OwnedRequest::new(&[], &sample.body);
    assert!(Flowella.detect(&unsigned.view()) >= 50);
}
