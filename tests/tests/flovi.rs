//! The Flovi API client through the real `hookscope-cli`, against a fake Flovi written from
//! the docs: the request on the wire, validation that sends nothing, both answer spellings,
//! every error, the history, and the API key kept out of every output and file.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use hookscope_e2e::cli_with_env;
use hookscope_e2e::fake_flovi::{API_KEY, FakeFlovi, SCHEDULE_ID, Spelling};
use serde_json::{Value, json};

/// `hookscope-cli flovi ARGS --data-dir DIR`, with `FLOVI_API_KEY` set to `key` (empty: unset).
fn flovi(dir: &Path, key: &str, args: &[&str]) -> Output {
    flovi_env(dir, &[("FLOVI_API_KEY", key)], args)
}

fn flovi_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut all = vec!["flovi"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", dir.to_str().unwrap()]);
    let out = cli_with_env(&all, env);
    for (_, value) in env.iter().filter(|(name, _)| name.contains("KEY")) {
        if value.len() >= 8 {
            assert_no_key(&out, value);
        }
    }
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed ({:?}): {}{}", out.status, stdout(out), stderr(out));
    stdout(out)
}

fn fails(out: &Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "stdout: {}\nstderr: {}", stdout(out), stderr(out));
    stderr(out)
}

fn assert_no_key(out: &Output, key: &str) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(key), "the API key was printed on {name}: {text}");
    }
}

/// Every file under `dir` (the database, its WAL, the key file…) is free of `key`.
fn assert_no_key_in_files(dir: &Path, key: &str) {
    let mut checked = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "the API key is in {} in the clear",
            path.display()
        );
        checked += 1;
    }
    assert!(checked > 0, "nothing to check in {}", dir.display());
}

fn schedule_args<'a>(base: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["schedule", "--base-url", base];
    args.extend_from_slice(extra);
    args
}

const OFFICE_TO_HOME: [&str; 10] = [
    "--reservation-type",
    "officeToOffice",
    "--origin-type",
    "ownOffices",
    "--origin-office-id",
    "1",
    "--destination-type",
    "homeAddress",
    "--destination-address",
    "Street 12, 00100 Helsinki, FI",
];

fn history(dir: &Path) -> Vec<Value> {
    let out = flovi(dir, "", &["history", "--json"]);
    serde_json::from_str(&ok(&out)).unwrap()
}

#[test]
fn offices_are_fetched_with_the_documented_request_and_ids_normalised() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    let out = flovi(dir.path(), API_KEY, &["offices", "--base-url", &fake.base_url(), "--json"]);
    let offices: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(
        offices,
        json!([
            {"id": "1", "name": "Office 1"},
            {"id": "2", "name": "Office 2"},
            {"id": "hq-3", "name": "Head Office"},
        ])
    );
    let seen = fake.take_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/customers/api/offices");
    assert_eq!(seen[0].header("x-api-key"), Some(API_KEY));
    assert_eq!(seen[0].header("content-type"), Some("application/json"));

    let table = ok(&flovi(dir.path(), API_KEY, &["offices", "--base-url", &fake.base_url()]));
    assert!(table.contains("hq-3") && table.contains("Head Office"), "{table}");
}

#[test]
fn a_schedule_is_sent_as_documented_and_read_in_camel_case() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    let mut args = schedule_args(&base, &OFFICE_TO_HOME);
    args.extend_from_slice(&["--depart", "2025-04-23T12:00:00Z"]);
    let text = ok(&flovi(dir.path(), API_KEY, &args));
    let link = format!("https://customer.flovi.fi/complete?scheduleId={SCHEDULE_ID}");
    assert!(text.contains(&link), "{text}");
    assert!(text.contains(SCHEDULE_ID), "{text}");
    assert!(text.contains("2025-04-23T12:00:00Z .. 2025-04-24T18:00:00Z"), "{text}");

    let seen = fake.take_requests();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/customers/api/schedule")
    );
    assert_eq!(request.header("x-api-key"), Some(API_KEY));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({
            "reservationType": "officeToOffice",
            "originType": "ownOffices",
            "originOfficeId": "1",
            "destinationType": "homeAddress",
            "destinationAddress": "Street 12, 00100 Helsinki, FI",
            "testPlates": false,
            "depart": "2025-04-23T12:00:00Z",
        })
    );
    assert!(!String::from_utf8_lossy(&request.body).contains(API_KEY));
}

#[test]
fn snake_case_answers_read_the_same() {
    let fake = FakeFlovi::start();
    fake.answer_in(Spelling::SnakeCase);
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    let mut args = schedule_args(&base, &OFFICE_TO_HOME);
    args.extend_from_slice(&["--depart", "2025-04-23T09:30:00", "--json"]);
    let result: Value = serde_json::from_str(&ok(&flovi(dir.path(), API_KEY, &args))).unwrap();
    assert_eq!(
        result,
        json!({
            "scheduleId": SCHEDULE_ID,
            "departAtEarliest": "2025-04-23T09:30:00Z",
            "departAtLatest": "2025-04-24T18:00:00Z",
            "arriveAtEarliest": "2025-04-23T09:30:00Z",
            "arriveAtLatest": "2025-04-24T18:00:00Z",
            "completionLink": format!("https://customer.flovi.fi/complete?scheduleId={SCHEDULE_ID}"),
        })
    );
}

#[test]
fn utc_spellings_test_plates_and_addresses_are_sent_normalised() {
    let fake = FakeFlovi::start();
    fake.set_schedule_id("sched 1/2&x=y");
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    for depart in ["2025-04-23T06:00:00", "2025-04-23T06:00:00+00:00", "2025-04-23T06:00"] {
        let args = schedule_args(
            &base,
            &[
                "--reservation-type",
                "homeDelivery",
                "--origin-type",
                "otherPlace",
                "--origin-address",
                "Kungsgatan 4,111 43  Stockholm, se",
                "--destination-type",
                "ownOffices",
                "--destination-office-id",
                "hq-3",
                "--test-plates",
                "--depart",
                depart,
                "--json",
            ],
        );
        let result: Value = serde_json::from_str(&ok(&flovi(dir.path(), API_KEY, &args))).unwrap();
        assert_eq!(result["arriveAtEarliest"], "2025-04-23T08:00:00Z", "test plates add 2 h");
        assert_eq!(
            result["completionLink"],
            "https://customer.flovi.fi/complete?scheduleId=sched%201%2F2%26x%3Dy"
        );
        let body = fake.take_requests().pop().unwrap().json();
        assert_eq!(body["depart"], "2025-04-23T06:00:00Z", "{depart}");
        assert_eq!(body["testPlates"], true);
        assert_eq!(body["originAddress"], "Kungsgatan 4, 111 43 Stockholm, SE");
        assert_eq!(body["destinationOfficeId"], "hq-3");
        assert!(body.get("originOfficeId").is_none() && body.get("destinationAddress").is_none());
    }
}

#[test]
fn every_validation_problem_is_listed_and_nothing_is_sent() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    let everything_wrong = schedule_args(
        &base,
        &[
            "--reservation-type",
            "officetooffice",
            "--destination-type",
            "ownOffices",
            "--depart",
            "2025-04-23T14:00:00+02:00",
        ],
    );
    let err = fails(&flovi(dir.path(), API_KEY, &everything_wrong), 2);
    for expected in [
        "reservationType: \"officetooffice\" is not a valid value: did you mean officeToOffice?",
        "originType: is required: one of ownOffices, otherPlace, homeAddress",
        "destinationOfficeId: is required when destinationType is ownOffices",
        "depart: must be in UTC",
        "2025-04-23T12:00:00Z",
        "nothing was sent",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }

    let home = ["--destination-type", "homeAddress", "--destination-address"];
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec![
                "--reservation-type",
                "teleport",
                "--origin-type",
                "ownOffices",
                "--origin-office-id",
                "1",
            ],
            "reservationType",
            "use one of officeToOffice, homeDelivery, serviceDrive, purchaseCar, replacementCar",
        ),
        (vec!["--origin-type", "garage"], "originType", "\"garage\" is not a valid value"),
        (
            vec!["--origin-type", "ownOffices"],
            "originOfficeId",
            "is required when originType is ownOffices",
        ),
        (
            vec!["--origin-type", "otherPlace"],
            "originAddress",
            "is required when originType is otherPlace",
        ),
        (
            vec!["--origin-type", "homeAddress", "--origin-address", "Street 12 00100 Helsinki FI"],
            "originAddress",
            "three parts separated by commas",
        ),
        (
            vec![
                "--origin-type",
                "homeAddress",
                "--origin-address",
                "Street 12, 00100 Helsinki, DE",
            ],
            "originAddress",
            "country code FI or SE",
        ),
        (
            vec!["--origin-type", "otherPlace", "--origin-address", "Street 12, 0010 Helsinki, FI"],
            "originAddress",
            "Finnish zip code of five digits",
        ),
        (
            vec!["--origin-type", "otherPlace", "--origin-address", "Gatan 1, 1234 5 Malmö, SE"],
            "originAddress",
            "Swedish zip code",
        ),
        (
            vec!["--origin-type", "otherPlace", "--origin-address", "Gatan, 11455 Stockholm, SE"],
            "originAddress",
            "street and its number",
        ),
        (vec!["--depart", "next tuesday"], "depart", "e.g. 2025-04-23T12:00:00Z"),
        (vec!["--depart", "2025-02-30T12:00:00Z"], "depart", "is not a date"),
        (vec!["--depart", "2025-04-23T12:00:00-05:00"], "depart", "2025-04-23T17:00:00Z"),
        (vec![], "depart", "is required"),
    ];
    for (changes, field, message) in cases {
        // A valid request, with the case's flags replacing the defaults.
        let mut flags: Vec<&str> = vec!["--reservation-type", "officeToOffice"];
        if !changes.iter().any(|c| c.starts_with("--origin")) {
            flags.extend_from_slice(&["--origin-type", "ownOffices", "--origin-office-id", "1"]);
        }
        flags.extend_from_slice(&home);
        flags.push("Street 12, 00100 Helsinki, FI");
        let mut changes = changes;
        if changes.first() == Some(&"--reservation-type") {
            flags.drain(..2);
        }
        let has_depart = changes.contains(&"--depart");
        if !has_depart && field != "depart" {
            changes.extend_from_slice(&["--depart", "2025-04-23T12:00:00Z"]);
        }
        flags.extend(changes);
        let args = schedule_args(&base, &flags);
        let err = fails(&flovi(dir.path(), API_KEY, &args), 2);
        assert!(err.contains(&format!("{field}: ")) && err.contains(message), "{field}: {err}");
    }

    // Office id and address for one end at once is a usage error of its own.
    let mut both = schedule_args(&base, &OFFICE_TO_HOME);
    both.extend_from_slice(&[
        "--origin-address",
        "Street 1, 00100 Helsinki, FI",
        "--depart",
        "2025-04-23T12:00:00Z",
    ]);
    fails(&flovi(dir.path(), API_KEY, &both), 2);
    assert!(fake.requests().is_empty(), "something was sent: {:?}", fake.requests());
    assert!(history(dir.path()).is_empty(), "a call that was not made was recorded");
}

#[test]
fn office_ids_are_checked_against_the_last_fetched_list() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    let schedule = |origin: &str| {
        schedule_args(
            &base,
            &[
                "--reservation-type",
                "serviceDrive",
                "--origin-type",
                "ownOffices",
                "--origin-office-id",
                origin,
                "--destination-type",
                "ownOffices",
                "--destination-office-id",
                "2",
                "--depart",
                "2025-04-23T12:00:00Z",
            ],
        )
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        flovi(dir.path(), API_KEY, &args)
    };
    // Before the list is known, the server is the judge.
    let err = fails(&run(schedule("99")), 1);
    assert!(err.contains("400 Bad Request: The selected origin office id is invalid."), "{err}");
    assert_eq!(fake.take_requests().len(), 1);

    ok(&flovi(dir.path(), API_KEY, &["offices", "--base-url", &base]));
    fake.take_requests();
    let err = fails(&run(schedule("99")), 2);
    assert!(err.contains("originOfficeId: office \"99\" is not one of your offices"), "{err}");
    assert!(err.contains("hq-3 (Head Office)"), "{err}");
    assert!(fake.take_requests().is_empty());
    ok(&run(schedule("1")));
    ok(&run(schedule("hq-3")));
    assert_eq!(fake.take_requests().len(), 2);
}

#[test]
fn error_statuses_carry_the_apis_message() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    let offices = ["offices", "--base-url", base.as_str()];

    let err = fails(&flovi(dir.path(), "wrong-key-000000", &offices), 1);
    assert!(err.contains("401 Unauthorized: Invalid API key"), "{err}");

    for (status, text) in [
        (403, "403 Forbidden: You do not have access to this resource."),
        (404, "404 Not Found: The specified route could not be found."),
        (500, "500 Internal Server Error: An error occurred on the server."),
    ] {
        fake.force_status(status);
        let err = fails(&flovi(dir.path(), API_KEY, &offices), 1);
        assert!(err.contains(text), "{status}: {err}");
    }
    fake.force_answer(400, r#"{"message": "The depart is not a valid date."}"#);
    let mut args = schedule_args(&base, &OFFICE_TO_HOME);
    args.extend_from_slice(&["--depart", "2025-04-23T12:00:00Z"]);
    let err = fails(&flovi(dir.path(), API_KEY, &args), 1);
    assert!(err.contains("400 Bad Request: The depart is not a valid date."), "{err}");
    fake.force_answer(500, "<html><h1>Server Error</h1></html>");
    let err = fails(&flovi(dir.path(), API_KEY, &offices), 1);
    assert!(err.contains("500 Internal Server Error: An error occurred on the server"), "{err}");

    fake.answer_normally();
    let wrong_path = format!("http://{}/customers/v2", fake.addr());
    let err = fails(&flovi(dir.path(), API_KEY, &["offices", "--base-url", &wrong_path]), 1);
    assert!(err.contains("404 Not Found: The specified route could not be found."), "{err}");

    let calls = history(dir.path());
    assert_eq!(calls.len(), 7);
    assert_eq!(calls[0]["status"], 404);
    assert_eq!(calls[0]["error"], "404 Not Found: The specified route could not be found.");
    assert_eq!(calls[6]["status"], 401);
    assert_eq!(calls[6]["responseBody"], r#"{"message":"Invalid API key"}"#);
}

#[test]
fn network_failures_and_timeouts_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let refused = hookscope_e2e::RefusedPort::new();
    let dead = refused.url("/customers/api");
    let err = fails(&flovi(dir.path(), API_KEY, &["offices", "--base-url", &dead]), 1);
    assert!(err.contains("connection refused"), "{err}");
    assert!(err.contains("nothing is listening"), "{err}");

    let fake = FakeFlovi::start();
    // The fake speaks plain HTTP: an https client fails its TLS handshake.
    let not_tls = format!("https://{}/customers/api", fake.addr());
    let err = fails(&flovi(dir.path(), API_KEY, &["offices", "--base-url", &not_tls]), 1);
    assert!(err.contains("secure (TLS) connection"), "{err}");

    // Far longer than any wait below, so only the client's own timeout can end the call.
    fake.delay(Duration::from_secs(120));
    let started = Instant::now();
    let base = fake.base_url();
    let err = fails(
        &flovi(dir.path(), API_KEY, &["offices", "--base-url", &base, "--timeout", "0.5"]),
        1,
    );
    let took = started.elapsed();
    eprintln!("a 0.5 s timeout ended the call after {took:?}");
    assert!(took < Duration::from_secs(60), "the timeout was not applied ({took:?})");
    assert!(err.contains("within 0.5 s (timed out)"), "{err}");

    let err =
        fails(&flovi(dir.path(), API_KEY, &["offices", "--base-url", &base, "--timeout", "0"]), 2);
    assert!(err.contains("--timeout"), "{err}");

    let calls = history(dir.path());
    assert_eq!(calls.len(), 3);
    assert!(calls[0]["error"].as_str().unwrap().contains("timed out"));
    assert!(calls[1]["error"].as_str().unwrap().contains("TLS"));
    assert!(calls[2]["error"].as_str().unwrap().contains("connection refused"));
    for call in &calls {
        assert_eq!(call["status"], Value::Null);
        assert_eq!(call["responseBody"], Value::Null);
    }
}

#[test]
fn large_answers_are_cut_at_one_mib_and_flagged() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    let huge = format!("[{}]", r#"{"id": 1, "name": "Office"},"#.repeat(60_000));
    fake.force_answer(200, &huge);
    let err = fails(&flovi(dir.path(), API_KEY, &["offices", "--base-url", &fake.base_url()]), 1);
    assert!(err.contains("larger than 1 MiB"), "{err}");
    let calls = history(dir.path());
    assert_eq!(calls[0]["responseTruncated"], true);
    assert_eq!(calls[0]["responseBody"].as_str().unwrap().len(), 1024 * 1024);
    let text = ok(&flovi(dir.path(), "", &["history"]));
    assert!(text.contains("truncated at 1 MiB"), "{text}");
}

#[test]
fn history_keeps_every_call_without_the_key_and_reruns_them() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    ok(&flovi(dir.path(), API_KEY, &["offices", "--base-url", &base]));
    let mut args = schedule_args(&base, &OFFICE_TO_HOME);
    args.extend_from_slice(&["--depart", "2025-04-23T12:00:00Z"]);
    ok(&flovi(dir.path(), API_KEY, &args));
    fails(&flovi(dir.path(), "not-the-key-123", &["offices", "--base-url", &base]), 1);

    let calls = history(dir.path());
    assert_eq!(calls.len(), 3, "{calls:?}");
    let (failed, schedule, offices) = (&calls[0], &calls[1], &calls[2]);
    assert!(failed["id"].as_i64() > schedule["id"].as_i64(), "newest first");
    assert_eq!(failed["error"], "401 Unauthorized: Invalid API key");
    assert_eq!(schedule["method"], "POST");
    assert_eq!(schedule["url"], format!("{base}/schedule"));
    assert_eq!(schedule["status"], 200);
    assert_eq!(schedule["scheduleId"], SCHEDULE_ID);
    assert_eq!(schedule["error"], Value::Null);
    assert_eq!(schedule["responseTruncated"], false);
    let sent: Value = serde_json::from_str(schedule["requestBody"].as_str().unwrap()).unwrap();
    assert_eq!(sent["reservationType"], "officeToOffice");
    assert!(schedule["responseBody"].as_str().unwrap().contains("departAtEarliest"));
    assert!(schedule["at"].as_i64().unwrap() > 1_700_000_000_000);
    assert!(schedule["durationMs"].as_u64().is_some());
    assert_eq!(offices["method"], "GET");
    assert_eq!(offices["requestBody"], Value::Null);

    // Re-run the schedule with the key stored now (none in the environment).
    let key_env = [("FLOVI_API_KEY", ""), ("MY_FLOVI_KEY", API_KEY)];
    ok(&flovi_env(dir.path(), &key_env, &["set-key", "--key-env", "MY_FLOVI_KEY"]));
    fake.take_requests();
    let id = schedule["id"].to_string();
    let rerun: Value =
        serde_json::from_str(&ok(&flovi(dir.path(), "", &["rerun", &id, "--json"]))).unwrap();
    assert!(rerun["id"].as_i64() > failed["id"].as_i64());
    assert_eq!(rerun["scheduleId"], SCHEDULE_ID);
    assert_eq!(rerun["requestBody"], schedule["requestBody"]);
    let seen = fake.take_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body, schedule["requestBody"].as_str().unwrap().as_bytes());
    assert_eq!(seen[0].header("x-api-key"), Some(API_KEY));
    assert_eq!(history(dir.path())[0]["id"], rerun["id"]);

    let text = ok(&flovi(dir.path(), "", &["history"]));
    assert!(text.contains(&format!("schedule {SCHEDULE_ID}")), "{text}");
    assert!(text.contains("error: 401 Unauthorized"), "{text}");
    assert!(!text.contains(API_KEY));
    fails(&flovi(dir.path(), "", &["rerun", "999"]), 1);
    assert_no_key_in_files(dir.path(), API_KEY);
}

#[test]
fn the_stored_key_is_encrypted_and_never_printed() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    let base = fake.base_url();
    let env = [("FLOVI_API_KEY", ""), ("MY_FLOVI_KEY", API_KEY)];
    let offices = ["offices", "--base-url", base.as_str()];

    let err = fails(&flovi(dir.path(), "", &offices), 2);
    assert!(err.contains("no Flovi API key") && err.contains("FLOVI_API_KEY"), "{err}");
    assert!(fake.requests().is_empty());

    let out = flovi_env(dir.path(), &env, &["set-key", "--key-env", "MY_FLOVI_KEY"]);
    assert!(ok(&out).contains("stored, encrypted"), "{}", stdout(&out));
    let settings = ok(&flovi(dir.path(), "", &["settings"]));
    assert!(settings.contains("API key   stored"), "{settings}");
    let json: Value =
        serde_json::from_str(&ok(&flovi(dir.path(), "", &["settings", "--json"]))).unwrap();
    assert_eq!(json["hasApiKey"], true);
    assert_eq!(json["keySource"]["kind"], "keyFile");
    assert_no_key(&flovi(dir.path(), "", &["settings", "--json"]), API_KEY);

    let listed = flovi(dir.path(), "", &offices);
    assert_no_key(&listed, API_KEY);
    ok(&listed);
    assert_eq!(fake.take_requests()[0].header("x-api-key"), Some(API_KEY));
    assert_no_key_in_files(dir.path(), API_KEY);

    // The environment wins over the stored key.
    let err = fails(&flovi(dir.path(), "env-key-wins-1234", &offices), 1);
    assert!(err.contains("401"), "{err}");
    assert_eq!(fake.take_requests()[0].header("x-api-key"), Some("env-key-wins-1234"));

    ok(&flovi(dir.path(), "", &["set-key", "--remove"]));
    assert!(ok(&flovi(dir.path(), "", &["settings"])).contains("not set"));
    fails(&flovi(dir.path(), "", &offices), 2);
    assert!(fake.requests().is_empty());

    let err = fails(&flovi(dir.path(), "", &["set-key", "--key-env", "HOOKSCOPE_TEST_UNSET"]), 2);
    assert!(err.contains("HOOKSCOPE_TEST_UNSET is not set"), "{err}");
    fails(&flovi(dir.path(), "", &["set-key"]), 2);
    let spaced = [("FLOVI_API_KEY", ""), ("MY_FLOVI_KEY", "two words")];
    let err = fails(&flovi_env(dir.path(), &spaced, &["set-key", "--key-env", "MY_FLOVI_KEY"]), 2);
    assert!(err.contains("printable ASCII"), "{err}");
}

#[test]
fn plain_http_goes_only_to_this_machine() {
    let fake = FakeFlovi::start();
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "http://api.go.flovi.io/customers/api",
        "http://192.168.1.10:8080/customers/api",
        "http://localhost.example.com/customers/api",
    ] {
        let err = fails(&flovi(dir.path(), API_KEY, &["offices", "--base-url", url]), 2);
        assert!(err.contains("refusing plain http") && err.contains("https"), "{url}: {err}");
        fails(&flovi(dir.path(), "", &["set-base-url", url]), 2);
    }
    let err = fails(&flovi(dir.path(), API_KEY, &["offices", "--base-url", "ftp://x/y"]), 2);
    assert!(err.contains("https://"), "{err}");

    // A stored loopback base URL is used when no flag is given; `localhost` counts.
    let local = format!("http://localhost:{}/customers/api/", fake.addr().port());
    let set = ok(&flovi(dir.path(), "", &["set-base-url", &local]));
    assert!(set.contains(local.trim_end_matches('/')), "{set}");
    ok(&flovi(dir.path(), API_KEY, &["offices"]));
    assert_eq!(fake.take_requests().len(), 1);
    let reset = ok(&flovi(dir.path(), "", &["set-base-url", "--default"]));
    assert!(reset.contains("https://api.go.flovi.io/customers/api"), "{reset}");
}
