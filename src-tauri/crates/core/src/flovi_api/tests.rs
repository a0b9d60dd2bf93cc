//! Validation against every rule in the docs, and the client's settings and key handling.

use base64::Engine;

use super::*;
use crate::store::StoreOptions;

fn valid() -> ScheduleRequest {
    ScheduleRequest {
        reservation_type: "officeToOffice".into(),
        origin_type: "ownOffices".into(),
        origin_office_id: Some("1".into()),
        origin_address: None,
        destination_type: "homeAddress".into(),
        destination_office_id: None,
        destination_address: Some("Street 12, 00100 Helsinki, FI".into()),
        depart: "2025-04-23T12:00:00Z".into(),
        test_plates: false,
    }
}

fn errors(request: &ScheduleRequest) -> Vec<(String, String)> {
    field_errors(request, None).into_iter().map(|e| (e.field, e.message)).collect()
}

fn fields(request: &ScheduleRequest) -> Vec<String> {
    errors(request).into_iter().map(|(f, _)| f).collect()
}

fn offices() -> Vec<FloviOffice> {
    vec![
        FloviOffice { id: "1".into(), name: "Office 1".into() },
        FloviOffice { id: "2".into(), name: "Office 2".into() },
    ]
}

#[test]
fn a_valid_request_becomes_the_documented_body() {
    let body = validate(&valid(), None).unwrap();
    assert_eq!(
        body,
        r#"{"reservationType":"officeToOffice","originType":"ownOffices","originOfficeId":"1","destinationType":"homeAddress","destinationAddress":"Street 12, 00100 Helsinki, FI","testPlates":false,"depart":"2025-04-23T12:00:00Z"}"#
    );
}

#[test]
fn the_docs_request_example_is_accepted() {
    // No offset on `depart`, as the docs show it (their numeric ids are the UI's strings).
    let request: ScheduleRequest = serde_json::from_str(
        r#"{
            "reservationType": "officeToOffice",
            "originType": "ownOffices",
            "originOfficeId": "1",
            "destinationType": "ownOffices",
            "destinationOfficeId": "1",
            "testPlates": false,
            "depart": "2025-04-23T12:00:00"
        }"#,
    )
    .unwrap();
    assert_eq!(request.origin_office_id.as_deref(), Some("1"));
    assert_eq!(request.origin_address, None);
    let body: serde_json::Value =
        serde_json::from_str(&validate(&request, Some(&offices())).unwrap()).unwrap();
    assert_eq!(body["depart"], "2025-04-23T12:00:00Z");
    assert_eq!(body["destinationOfficeId"], "1");
    assert!(body.get("destinationAddress").is_none());
}

#[test]
fn every_allowed_type_passes() {
    for reservation in RESERVATION_TYPES {
        for place in PLACE_TYPES {
            let mut request = valid();
            request.reservation_type = reservation.into();
            request.origin_type = place.into();
            request.origin_address = Some("Kungsgatan 4, 111 43 Stockholm, SE".into());
            request.destination_type = place.into();
            request.destination_office_id = Some("2".into());
            assert_eq!(errors(&request), [], "{reservation} {place}");
        }
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let request = ScheduleRequest {
        reservation_type: "officetooffice".into(),
        origin_type: "".into(),
        origin_office_id: None,
        origin_address: None,
        destination_type: "ownOffices".into(),
        destination_office_id: Some("  ".into()),
        destination_address: None,
        depart: "2025-04-23T14:00:00+02:00".into(),
        test_plates: true,
    };
    let found = errors(&request);
    let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["reservationType", "originType", "destinationOfficeId", "depart"]);
    assert!(found[0].1.contains("did you mean officeToOffice?"), "{found:?}");
    assert!(found[1].1.starts_with("is required: one of ownOffices"), "{found:?}");
    assert!(found[2].1.contains("required when destinationType is ownOffices"), "{found:?}");
    assert!(found[3].1.contains("convert"), "{found:?}");
    assert!(found[3].1.contains("2025-04-23T12:00:00Z"), "{found:?}");
    let all = FloviError::Invalid(field_errors(&request, None)).to_string();
    assert!(all.starts_with("reservationType: "), "{all}");
    assert!(all.matches("; ").count() >= 3, "{all}");
}

#[test]
fn unknown_types_list_the_allowed_ones() {
    let mut request = valid();
    request.reservation_type = "teleport".into();
    request.destination_type = "moon".into();
    let found = errors(&request);
    assert_eq!(found.len(), 2);
    assert!(found[0].1.contains("\"teleport\" is not a valid value"));
    assert!(found[0].1.contains("replacementCar"));
    assert!(found[1].1.contains("ownOffices, otherPlace, homeAddress"));
}

#[test]
fn places_need_an_office_or_an_address_by_type() {
    let mut request = valid();
    request.origin_office_id = None;
    request.origin_address = Some("Street 12, 00100 Helsinki, FI".into());
    assert_eq!(fields(&request), ["originOfficeId"], "an address does not replace the id");

    let mut request = valid();
    request.destination_type = "otherPlace".into();
    request.destination_address = None;
    request.destination_office_id = Some("1".into());
    let found = errors(&request);
    assert_eq!(found[0].0, "destinationAddress");
    assert!(found[0].1.contains("Street 12, 00100 Helsinki, FI"));

    // The field that does not apply is not sent.
    let mut request = valid();
    request.origin_address = Some("ignored".into());
    request.destination_office_id = Some("ignored".into());
    let body = validate(&request, None).unwrap();
    assert!(!body.contains("ignored"), "{body}");
}

#[test]
fn office_ids_are_checked_against_the_known_list() {
    let known = offices();
    let mut request = valid();
    request.origin_office_id = Some("99".into());
    assert_eq!(field_errors(&request, None), [], "unknown list: not checked");
    let found = field_errors(&request, Some(&known));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].field, "originOfficeId");
    assert!(found[0].message.contains("\"99\" is not one of your offices"), "{found:?}");
    assert!(found[0].message.contains("1 (Office 1), 2 (Office 2)"), "{found:?}");
    request.origin_office_id = Some(" 2 ".into());
    assert_eq!(field_errors(&request, Some(&known)), []);
    let empty = field_errors(&request, Some(&[]));
    assert!(empty[0].message.contains("listed no offices"), "{empty:?}");
    assert!(
        same_office_id("01", "1") && same_office_id("abc", " abc") && !same_office_id("a", "b")
    );
}

#[test]
fn addresses_follow_the_documented_format() {
    for ok in [
        "Street 12, 00100 Helsinki, FI",
        "Mannerheimintie 437,00130 Helsinki,fi",
        "Kungsgatan 4, 111 43 Stockholm, SE",
        "Kungsgatan 4, 11143 Stockholm, SE",
        "Drottninggatan 71 C, 111 36   Stockholm, se",
        "Maininkitie 2, 02130 Espoo, FI",
    ] {
        assert!(check_address(ok).is_ok(), "{ok}: {:?}", check_address(ok));
    }
    assert_eq!(
        check_address("Mannerheimintie 437,00130   Helsinki,fi").unwrap(),
        "Mannerheimintie 437, 00130 Helsinki, FI"
    );
    for (bad, why) in [
        ("Street 12 00100 Helsinki FI", "three parts separated by commas, found 1"),
        ("Street 12, A 3, 00100 Helsinki, FI", "found 4"),
        ("Street, 00100 Helsinki, FI", "street and its number"),
        ("12, 00100 Helsinki, FI", "street and its number"),
        ("Street 12, 0010 Helsinki, FI", "Finnish zip code of five digits"),
        ("Street 12, 001 00 Helsinki, FI", "Finnish zip code"),
        ("Street 12, Helsinki, FI", "Finnish zip code"),
        ("Street 12, 1114 3 Stockholm, SE", "Swedish zip code"),
        ("Street 12, 00100, FI", "city after the zip code"),
        ("Street 12, 00100 Helsinki, Finland", "country code FI or SE"),
        ("Street 12, 00100 Oslo, NO", "country code FI or SE"),
    ] {
        let problems = check_address(bad).unwrap_err();
        assert!(problems.iter().any(|p| p.contains(why)), "{bad}: {problems:?}");
    }
    // Several problems in one address are each reported.
    let problems = check_address("Street, 0010 Helsinki, DE").unwrap_err();
    assert_eq!(problems.len(), 3, "{problems:?}");
    let mut request = valid();
    request.destination_address = Some("Street, 0010 Helsinki, DE".into());
    assert_eq!(fields(&request), ["destinationAddress"; 3]);
}

#[test]
fn depart_must_be_utc() {
    for (text, sent) in [
        ("2025-04-23T12:00:00Z", "2025-04-23T12:00:00Z"),
        ("2025-04-23T12:00:00", "2025-04-23T12:00:00Z"),
        ("2025-04-23T12:00:00+00:00", "2025-04-23T12:00:00Z"),
        ("2025-04-23T12:00", "2025-04-23T12:00:00Z"),
        ("2025-04-23T12:00:00.000000Z", "2025-04-23T12:00:00Z"),
    ] {
        assert_eq!(depart(text).unwrap(), sent, "{text}");
    }
    let offset = depart("2025-04-23T14:00:00+02:00").unwrap_err();
    assert!(offset.contains("must be in UTC"), "{offset}");
    assert!(offset.contains("2025-04-23T12:00:00Z"), "{offset}");
    assert!(depart("").unwrap_err().starts_with("is required"));
    assert!(depart("next tuesday").unwrap_err().contains("2025-04-23T12:00:00Z"));
    assert!(depart("2025-02-30T12:00:00Z").unwrap_err().contains("not a date"));
    let month = depart("2025-13-01T12:00:00Z").unwrap_err();
    assert!(month.starts_with("is not a date-time") && month.contains("'month'"), "{month}");
    assert!(depart("2025-04-23T25:00:00Z").unwrap_err().contains("'hour'"));
}

#[test]
fn test_plates_is_sent_as_given() {
    let mut request = valid();
    request.test_plates = true;
    assert!(validate(&request, None).unwrap().contains(r#""testPlates":true"#));
    let missing: ScheduleRequest = serde_json::from_str(
        r#"{"reservationType":"x","originType":"y","destinationType":"z","depart":""}"#,
    )
    .unwrap();
    assert!(!missing.test_plates);
}

fn client(dir: &Path, options: FloviOptions) -> FloviClient {
    // A key file first, so tests never reach for the developer's keyring.
    let key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let file = dir.join(crate::secrets::KEY_FILE);
    if !file.exists() {
        std::fs::write(file, key).unwrap();
    }
    let store = Store::open(dir, StoreOptions::default()).unwrap();
    FloviClient::open(store, dir, options).unwrap()
}

#[test]
fn the_key_is_sealed_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let flovi = client(dir.path(), FloviOptions::default());
    let settings = flovi.settings().unwrap();
    assert_eq!(settings.base_url, DEFAULT_BASE_URL);
    assert!(!settings.has_api_key);
    assert!(matches!(flovi.api_key(), Err(FloviError::NoKey)));

    let secret = "flovi_live_9f8e7d6c5b4a";
    assert!(flovi.set_api_key(&format!("  {secret}\n")).unwrap().has_api_key);
    assert_eq!(flovi.api_key().unwrap().expose(), secret);
    assert!(!format!("{:?}", flovi.api_key().unwrap()).contains(secret));
    assert!(!format!("{flovi:?}").contains(secret));
    assert!(!serde_json::to_string(&flovi.settings().unwrap()).unwrap().contains(secret));
    drop(flovi);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }

    let flovi = client(dir.path(), FloviOptions::default());
    assert!(matches!(flovi.set_api_key("has space"), Err(FloviError::BadKey)));
    assert!(flovi.settings().unwrap().has_api_key, "a refused key changes nothing");
    assert!(!flovi.set_api_key("").unwrap().has_api_key);
}

#[test]
fn configured_key_and_base_url_win_over_stored_ones() {
    let dir = tempfile::tempdir().unwrap();
    client(dir.path(), FloviOptions::default()).set_api_key("stored-key").unwrap();
    let options = FloviOptions {
        api_key: Some(ApiKey::new("env-key").unwrap()),
        base_url: Some("http://127.0.0.1:9/api".into()),
        ..FloviOptions::default()
    };
    let flovi = client(dir.path(), options);
    assert_eq!(flovi.api_key().unwrap().expose(), "env-key");
    assert_eq!(flovi.base_url().unwrap(), "http://127.0.0.1:9/api");
}

#[test]
fn base_url_changes_are_checked_and_forget_the_office_list() {
    let dir = tempfile::tempdir().unwrap();
    let flovi = client(dir.path(), FloviOptions::default());
    let err = flovi.set_base_url("http://api.go.flovi.io/customers/api").unwrap_err();
    assert!(matches!(err, FloviError::BaseUrl(_)), "{err}");
    assert_eq!(flovi.settings().unwrap().base_url, DEFAULT_BASE_URL);
    let settings = flovi.set_base_url("http://localhost:4000/api/").unwrap();
    assert_eq!(settings.base_url, "http://localhost:4000/api");

    let base = flovi.base_url().unwrap();
    flovi.store.read(|c| db::cache_offices(c, &base, &offices(), 1)).unwrap();
    assert_eq!(flovi.known_offices().unwrap(), Some(offices()));
    let mut request = valid();
    request.origin_office_id = Some("3".into());
    assert_eq!(flovi.field_errors(&request).unwrap()[0].field, "originOfficeId");

    flovi.set_base_url("").unwrap();
    assert_eq!(flovi.settings().unwrap().base_url, DEFAULT_BASE_URL);
    assert_eq!(flovi.known_offices().unwrap(), None);
    assert_eq!(flovi.field_errors(&request).unwrap(), []);
}

#[tokio::test]
async fn invalid_requests_and_missing_keys_send_and_record_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback: were anything sent, the call would be recorded.
    let options =
        FloviOptions { base_url: Some("http://127.0.0.1:9/api".into()), ..FloviOptions::default() };
    let flovi = client(dir.path(), options);
    let mut request = valid();
    request.depart = "soon".into();
    assert!(matches!(flovi.schedule(&request).await, Err(FloviError::Invalid(e)) if e.len() == 1));
    assert!(matches!(flovi.schedule(&valid()).await, Err(FloviError::NoKey)));
    assert!(matches!(flovi.offices().await, Err(FloviError::NoKey)));
    assert!(matches!(
        flovi.rerun(1).await,
        Err(FloviError::CallNotFound(1)) | Err(FloviError::NoKey)
    ));
    assert_eq!(flovi.calls(CALLS_LISTED).unwrap(), []);
}

#[test]
fn flovi_echoing_the_key_is_blanked_out() {
    let key = ApiKey::new("k-123456").unwrap();
    assert_eq!(key.redact("bad key k-123456!".into()), "bad key [API key]!");
    let mut exchange = http::Exchange {
        status: Some(401),
        location: None,
        body: br#"{"message": "Invalid API key k-123456"}"#.to_vec(),
        truncated: false,
        duration: Duration::ZERO,
        error: None,
    };
    let err = interpret(&Method::GET, "https://x/offices", &mut exchange, &key).err().unwrap();
    assert_eq!(err.to_string(), "401 Unauthorized: Invalid API key [API key]");
}

#[test]
fn statuses_become_errors_with_the_api_message() {
    let key = ApiKey::new("k-123456").unwrap();
    let run = |status: u16, body: &[u8], location: Option<&str>| {
        let mut exchange = http::Exchange {
            status: Some(status),
            location: location.map(str::to_owned),
            body: body.to_vec(),
            truncated: false,
            duration: Duration::ZERO,
            error: None,
        };
        interpret(&Method::POST, "https://x/schedule", &mut exchange, &key)
    };
    for (status, text) in [
        (400, "400 Bad Request: Missing parameters"),
        (401, "401 Unauthorized: Missing parameters"),
        (403, "403 Forbidden: Missing parameters"),
        (404, "404 Not Found: Missing parameters"),
        (500, "500 Internal Server Error: Missing parameters"),
    ] {
        let err = run(status, br#"{"message":"Missing parameters"}"#, None).err().unwrap();
        assert!(matches!(err, FloviError::Api { .. }));
        assert_eq!(err.to_string(), text);
    }
    let redirect = run(302, b"", Some("http://elsewhere/x")).err().unwrap();
    assert!(redirect.to_string().contains("not followed"), "{redirect}");
    let bad = run(200, b"{}", None).err().unwrap();
    assert!(matches!(bad, FloviError::BadResponse(_)), "{bad}");
    assert!(matches!(
        run(
            200,
            br#"{"scheduleId":"1","departAtEarliest":"2025-04-23T12:00:00Z",
        "departAtLatest":"2025-04-23T12:00:00Z","arriveAtEarliest":"2025-04-23T12:00:00Z",
        "arriveAtLatest":"2025-04-23T12:00:00Z"}"#,
            None
        ),
        Ok(Answer::Schedule(_))
    ));
}

#[tokio::test]
async fn a_key_echoed_by_flovi_stays_out_of_errors_and_history() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|headers: axum::http::HeaderMap| async move {
        let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let body = format!(r#"{{"message": "Invalid API key {key}"}}"#);
        (axum::http::StatusCode::UNAUTHORIZED, body)
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let dir = tempfile::tempdir().unwrap();
    let secret = "echo-me-5f2c9a71";
    let options = FloviOptions {
        base_url: Some(format!("http://{addr}/api")),
        api_key: Some(ApiKey::new(secret).unwrap()),
        ..FloviOptions::default()
    };
    let flovi = client(dir.path(), options);
    let err = flovi.offices().await.unwrap_err();
    assert_eq!(err.to_string(), "401 Unauthorized: Invalid API key [API key]");
    let rerun = flovi.rerun(flovi.calls(1).unwrap()[0].id).await.unwrap();
    let calls = flovi.calls(CALLS_LISTED).unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0], rerun, "the re-run is recorded, newest first");
    for call in &calls {
        assert_eq!(call.status, Some(401));
        assert_eq!(call.url, format!("http://{addr}/api/offices"));
        let text = serde_json::to_string(call).unwrap();
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains("[API key]"), "{text}");
    }
}
