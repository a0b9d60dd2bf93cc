use super::*;
use crate::providers::tests::{OwnedRequest, secrets, verify};
use crate::providers::{FailureReason, Fleiko, SignatureStatus};

const SECRET: &str = "It's a Secret to Everybody";
const BODY: &str = "Hello, World!";
const HEX: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

fn check(header_value: &str, body: &str, keys: &[&str]) -> Verification {
    let req = OwnedRequest::new(&[("x-hub-signature", header_value)], body);
    verify(ProviderId::Flovi, &req, &secrets(keys), 0)
}

fn decode(body: &str) -> (Decoded, FloviReservation) {
    let decoded = Flovi.decode(&OwnedRequest::new(&[], body).view());
    let Some(DecodedView::FloviReservation(r)) = decoded.view.clone() else {
        panic!("no reservation view: {decoded:?}");
    };
    (decoded, r)
}

#[test]
fn accepts_bare_and_prefixed_hex_and_notes_which() {
    let bare = check(HEX, BODY, &[SECRET]);
    assert!(bare.is_valid());
    assert!(bare.notes.iter().any(|n| n.contains("bare hex")), "{bare:?}");
    let prefixed = check(&format!("sha256={HEX}"), BODY, &[SECRET]);
    assert!(prefixed.is_valid());
    assert!(prefixed.notes.iter().any(|n| n.contains("sha256= prefix")), "{prefixed:?}");
    assert_eq!(prefixed.matched_signature.as_deref(), Some(HEX));
    assert_eq!(prefixed.header.as_deref(), Some("x-hub-signature"));
}

#[test]
fn uppercase_hex_is_accepted_with_a_note() {
    let v = check(&HEX.to_ascii_uppercase(), BODY, &[SECRET]);
    assert!(v.is_valid());
    assert!(v.notes.iter().any(|n| n.contains("uppercase")), "{v:?}");
}

#[test]
fn previous_secret_matches_with_a_rotation_note() {
    let v = check(HEX, BODY, &["new secret", SECRET]);
    assert!(v.is_valid());
    assert_eq!(v.matched_secret.as_deref(), Some("previous"));
    assert!(v.notes.iter().any(|n| n.contains("Finish the rotation")), "{v:?}");
}

#[test]
fn wrong_secret() {
    let v = check(HEX, BODY, &["not it", "nor this"]);
    assert_eq!(v.status, SignatureStatus::Invalid);
    assert_eq!(v.reason, Some(FailureReason::WrongSecret));
    assert!(v.explanation.contains("2 configured secrets"), "{}", v.explanation);
}

#[test]
fn secret_pasted_with_a_newline_is_pointed_out() {
    let v = check(HEX, BODY, &["It's a Secret to Everybody\n"]);
    assert_eq!(v.reason, Some(FailureReason::WrongSecret));
    assert!(v.explanation.contains("whitespace"), "{}", v.explanation);
}

#[test]
fn body_changed_by_re_serialisation() {
    let body = r#"{"foo":"bar","n":[1,2]}"#;
    let pretty = "{\n  \"foo\": \"bar\",\n  \"n\": [\n    1,\n    2\n  ]\n}";
    let signed = Flovi.sign(body.as_bytes(), &[b"k"], 0);
    let v = check(&signed[0].1, pretty, &["k"]);
    assert_eq!(
        v.reason,
        Some(FailureReason::BodyChanged { change: "JSON re-serialised (pretty-printed)".into() })
    );
    assert_eq!(v.matched_secret.as_deref(), Some("current"));
    assert!(v.explanation.contains("raw bytes"), "{}", v.explanation);

    let v = check(&signed[0].1, &format!("{body}\n"), &["k"]);
    assert_eq!(
        v.reason,
        Some(FailureReason::BodyChanged { change: "trailing newline added".into() })
    );
    assert!(v.explanation.contains("something added \\n after Flovi signed it"));
}

#[test]
fn sha1_is_an_unsupported_scheme() {
    let v = check("sha1=2ef7bde608ce5404e97d5f042f95f89f1c232871", BODY, &[SECRET]);
    assert_eq!(v.reason, Some(FailureReason::UnsupportedScheme { scheme: "sha1".into() }));
    let v = check(
        &format!("sha1=2ef7bde608ce5404e97d5f042f95f89f1c232871, sha256={HEX}"),
        BODY,
        &[SECRET],
    );
    assert!(v.is_valid());
    assert!(v.notes.iter().any(|n| n.contains("sha1")), "{v:?}");
}

#[test]
fn malformed_headers() {
    for (value, detail) in [
        ("sha256=xyz", "not hex"),
        ("abc", "odd-length"),
        ("", "empty"),
        (&"ab".repeat(20), "SHA-1 length"),
    ] {
        let v = check(value, BODY, &[SECRET]);
        let Some(FailureReason::MalformedHeader { detail: got }) = &v.reason else {
            panic!("{value:?}: {v:?}");
        };
        assert!(got.contains(detail), "{value:?}: {got}");
    }
}

#[test]
fn unsigned_and_unchecked() {
    let req = OwnedRequest::new(&[("content-type", "application/json")], BODY);
    assert_eq!(
        verify(ProviderId::Flovi, &req, &secrets(&[SECRET]), 0).status,
        SignatureStatus::Unsigned
    );
    let v = check(HEX, BODY, &[]);
    assert_eq!(v.status, SignatureStatus::Unchecked);
    assert_eq!(v.header.as_deref(), Some("x-hub-signature"));
}

#[test]
fn every_doc_example_decodes() {
    let (d, r) = decode(include_str!("../fixtures/flovi_created.json"));
    assert_eq!(d.event_type.as_deref(), Some("reservation_status_change.created"));
    assert_eq!(d.event_id.as_deref(), Some("34:created"));
    assert_eq!(r.reservation_id.as_deref(), Some("34"));
    assert_eq!(r.event.as_deref(), Some("reservation_state_changed"));
    assert!(r.state_known);
    assert_eq!(r.external_id, None);
    let driver = r.driver.unwrap();
    assert_eq!(driver.name.as_deref(), Some("test driver"));
    assert_eq!(driver.phone.as_deref(), Some("+358123456789"));
    assert_eq!(driver.freelancer, Some(true));
    let origin = r.origin.unwrap();
    assert_eq!(origin.city.as_deref(), Some("Espoo"));
    assert_eq!(origin.zip.as_deref(), Some("02130"));
    assert_eq!(origin.latitude, Some(60.2055));
    assert_eq!(r.destination.unwrap().address.as_deref(), Some("Mannerheimintie 437"));
    assert_eq!(d.summary.as_deref(), Some("Reservation 34 created · Espoo → Helsinki"));
    assert!(d.notes.iter().any(
        |n| n.contains("reservation_state_changed") && n.contains("reservation_status_change")
    ));

    let (d, r) = decode(include_str!("../fixtures/flovi_sealed.json"));
    assert_eq!(d.event_type.as_deref(), Some("reservation_status_change.sealed"));
    let costs = r.costs.unwrap();
    assert_eq!(costs.total, Some(23.0));
    assert_eq!(costs.currency.as_deref(), Some("EUR"));
    assert_eq!(costs.breakdown.len(), 2);
    assert_eq!(costs.breakdown[0].kind.as_deref(), Some("drive"));
    assert_eq!(costs.breakdown[1].summary.as_deref(), Some("Handover to customer"));
    assert_eq!(costs.breakdown[1].price, Some(11.0));
    assert_eq!(r.driver.unwrap().freelancer, None);
    assert_eq!(d.summary.as_deref(), Some("Reservation 34 sealed · Espoo → Helsinki · €23.00"));

    let (d, r) = decode(include_str!("../fixtures/flovi_final_costs.json"));
    assert_eq!(d.event_type.as_deref(), Some("reservation_status_change.final_costs"));
    assert_eq!(r.costs.unwrap().total, Some(23.0));
    assert_eq!(
        r.vehicles,
        vec![FloviVehicle {
            license_plate: Some("ABC-123".into()),
            make: Some("Tesla".into()),
            model: Some("Model 3".into()),
            year: Some("2021".into()),
            vin: None,
        }]
    );

    // The docs' cancelled example elides objects as {..}: decoded leniently.
    let (d, r) = decode(include_str!("../fixtures/flovi_cancelled.json"));
    assert_eq!(d.event_type.as_deref(), Some("reservation_status_change.cancelled"));
    assert!(d.notes.iter().any(|n| n.contains("leniently")), "{:?}", d.notes);
    let c = r.cancellation.unwrap();
    assert_eq!(c.reason.as_deref(), Some("NO_DRIVER_WAS_FOUND"));
    assert!(c.reason_known);
    assert_eq!(c.comment.as_deref(), Some("free text"));
    assert_eq!(r.driver, None);
    assert!(d.summary.unwrap().contains("NO_DRIVER_WAS_FOUND"));
}

#[test]
fn camel_case_and_the_documented_reason_string_decode() {
    let (d, r) = decode(
        r#"{"reservationId": "R-9", "event": "reservation_status_change", "externalId": "ext-1",
            "state": "finalCosts", "cancellationReason": "DOUBLE_BOOKING",
            "vehicles": [{"licensePlate": "XYZ-9", "make": "Volvo", "year": "2019"}],
            "costs": {"breakdown": [{"type": "drive", "price": "10.50"}], "total": 12, "currency": "SEK"}}"#,
    );
    assert_eq!(d.event_type.as_deref(), Some("reservation_status_change.final_costs"));
    assert_eq!(r.reservation_id.as_deref(), Some("R-9"));
    assert_eq!(r.external_id.as_deref(), Some("ext-1"));
    assert_eq!(r.vehicles[0].license_plate.as_deref(), Some("XYZ-9"));
    assert_eq!(r.cancellation.unwrap().reason.as_deref(), Some("DOUBLE_BOOKING"));
    assert!(d.notes.iter().any(|n| n.contains("adds up to")), "{:?}", d.notes);
    assert!(d.summary.unwrap().contains("12.00 SEK"));
    assert!(!d.notes.iter().any(|n| n.contains("says event")));
}

#[test]
fn unknown_states_and_reasons_are_shown_raw() {
    let (d, r) = decode(
        r#"{"reservation": 7, "state": "teleported", "cancellation_reason": {"reason": "ALIENS"}}"#,
    );
    assert_eq!(d.event_type.as_deref(), Some("reservation_status_change.teleported"));
    assert_eq!(r.state.as_deref(), Some("teleported"));
    assert!(!r.state_known);
    assert!(d.notes.iter().any(|n| n.contains("Unknown state 'teleported'")));
    assert!(d.notes.iter().any(|n| n.contains("Unknown cancellation reason 'ALIENS'")));
    assert!(!r.cancellation.unwrap().reason_known);
}

#[test]
fn state_spellings_normalise() {
    for (raw, state) in [
        ("finalCosts", "final_costs"),
        ("FINAL_COSTS", "final_costs"),
        ("Final-Costs", "final_costs"),
        ("canceled", "cancelled"),
        ("sealed", "sealed"),
    ] {
        assert_eq!(normalise_state(raw), state, "{raw}");
    }
}

#[test]
fn not_json_is_a_note_not_an_error() {
    let d = Flovi.decode(&OwnedRequest::new(&[], b"\x00\xffnope").view());
    assert_eq!(d.view, None);
    assert!(d.notes[0].contains("not JSON"));
}

#[test]
fn detects_flovi_deliveries() {
    let sample = &Flovi.samples()[3];
    let req = OwnedRequest::with_headers(sample.signed_headers(&[b"k"], 0), &sample.body);
    assert!(Flovi.detect(&req.view()) >= 90);
    let bare = OwnedRequest::new(&[("X-Hub-Signature", HEX)], BODY);
    assert!(Flovi.detect(&bare.view()) >= 50);
    assert!(Fleiko.detect(&req.view()) < 50);
}

#[test]
fn signs_with_the_prefix_shown_in_the_docs() {
    let headers = Flovi.sign(BODY.as_bytes(), &[SECRET.as_bytes()], 0);
    assert_eq!(headers, vec![("x-hub-signature".to_owned(), format!("sha256={HEX}"))]);
}
