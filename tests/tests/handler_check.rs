//! `check-handler` against small webhook handlers written here (not Hookscope): a correct one
//! per provider, and handlers with one classic flaw each, which must fail exactly the checks
//! that catch that flaw. Real sockets on 127.0.0.1, the real binary.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use hookscope_e2e::handlers::{Flaws, SECRET, Seen, now, start};
use hookscope_e2e::{Serve, cli, cli_with_env, fleiko_headers, post as post_to};

struct Run {
    code: i32,
    report: serde_json::Value,
    stdout: String,
    stderr: String,
}

fn check(data: &Path, provider: &str, url: &str, extra: &[&str]) -> Run {
    let data = data.to_str().unwrap();
    let mut args = vec![
        "check-handler",
        "--provider",
        provider,
        "--to",
        url,
        "--secret-env",
        "HANDLER_SECRET",
        "--data-dir",
        data,
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = cli_with_env(&args, &[("HANDLER_SECRET", SECRET)]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET), "the secret was printed");
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    Run { code: out.status.code().unwrap(), report, stdout, stderr }
}

fn with(report: &serde_json::Value, outcome: &str) -> BTreeSet<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == outcome)
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()
}

/// Runs the whole battery against a handler with `flaws`; returns the checks that failed.
fn failed_checks(provider: &'static str, flaws: Flaws, extra: &[&str]) -> (Run, BTreeSet<String>) {
    let handler = start(provider, flaws);
    let data = tempfile::tempdir().unwrap();
    let run = check(data.path(), provider, &handler.url, extra);
    let failed = with(&run.report, "fail");
    let expected_code = if failed.is_empty() { 0 } else { 1 };
    assert_eq!(run.code, expected_code, "{}\n{}", run.stdout, run.stderr);
    (run, failed)
}

#[test]
fn a_correct_handler_passes_every_check_for_each_provider() {
    for (provider, count) in [("fleiko", 17), ("flowella", 13), ("flovi", 14)] {
        let handler = start(provider, Flaws::default());
        let data = tempfile::tempdir().unwrap();
        let run = check(data.path(), provider, &handler.url, &[]);
        assert_eq!(run.code, 0, "{provider}: {}\n{}", run.stdout, run.stderr);
        let results = run.report["results"].as_array().unwrap();
        assert_eq!(results.len(), count, "{provider}");
        let not_passed: Vec<_> = results
            .iter()
            .filter(|r| r["outcome"] != "pass")
            .map(|r| (r["id"].clone(), r["outcome"].clone()))
            .collect();
        match provider {
            // Fleiko's two timestamps disagreeing is reported, not judged.
            "fleiko" => {
                assert_eq!(not_passed, vec![("timestamp-mismatch".into(), "info".into())]);
                let mismatch = result(&run.report, "timestamp-mismatch");
                assert!(mismatch["notes"][0].as_str().unwrap().contains("took t= from"));
            }
            _ => assert!(not_passed.is_empty(), "{provider}: {not_passed:?}"),
        }
        assert_eq!(run.report["passed"], true);

        // Every request is recorded like a replay, of kind check, and none as a capture.
        let sent: usize = results
            .iter()
            .filter(|r| r["id"] != "timeout")
            .map(|r| r["exchanges"].as_array().unwrap().len())
            .sum();
        assert_eq!(handler.seen.lock().unwrap().len(), sent, "{provider}");
        let db = rusqlite::Connection::open(data.path().join("hookscope.db")).unwrap();
        let checks: i64 = db
            .query_row("SELECT count(*) FROM outbound_requests WHERE kind = 'check'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(checks as usize, sent, "{provider}");
        let others: i64 = db
            .query_row("SELECT count(*) FROM outbound_requests WHERE kind <> 'check'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let captures: i64 =
            db.query_row("SELECT count(*) FROM deliveries", [], |r| r.get(0)).unwrap();
        assert_eq!((others, captures), (0, 0), "{provider}");
        let record = results[0]["exchanges"][0]["recordId"].as_i64().unwrap();
        let kind: String = db
            .query_row("SELECT kind FROM outbound_requests WHERE id = ?1", [record], |r| r.get(0))
            .unwrap();
        assert_eq!(kind, "check");
    }
}

#[test]
fn a_handler_that_skips_verification_fails_the_forgery_checks() {
    let (run, failed) =
        failed_checks("fleiko", Flaws { skip_verification: true, ..Flaws::default() }, &[]);
    assert_eq!(
        failed,
        set(&[
            "tampered-body",
            "wrong-secret",
            "missing-signature",
            "malformed-signature",
            "stale-timestamp",
            "future-timestamp",
        ])
    );
    let tampered = result(&run.report, "tampered-body");
    assert!(tampered["why"].as_str().unwrap().contains("Reject if it doesn't match"));
    assert_eq!(tampered["source"], "fleiko.md, \"Quick start\"");

    let (_, failed) =
        failed_checks("flowella", Flaws { skip_verification: true, ..Flaws::default() }, &[]);
    assert_eq!(
        failed,
        set(&["tampered-body", "wrong-secret", "missing-signature", "malformed-signature"])
    );
}

#[test]
fn a_handler_that_verifies_reserialised_json_fails_the_raw_body_checks() {
    for provider in ["fleiko", "flowella", "flovi"] {
        let (_, failed) =
            failed_checks(provider, Flaws { reserialise: true, ..Flaws::default() }, &[]);
        // Key order survives JSON.stringify(JSON.parse(...)); a sorting serialiser would not.
        assert_eq!(
            failed,
            set(&["raw-spacing", "raw-unicode-escapes", "raw-trailing-newline"]),
            "{provider}"
        );
    }
}

#[test]
fn a_handler_that_ignores_the_timestamp_window_fails_the_timestamp_checks() {
    let (run, failed) =
        failed_checks("fleiko", Flaws { ignore_window: true, ..Flaws::default() }, &[]);
    assert_eq!(failed, set(&["stale-timestamp", "future-timestamp"]));
    let stale = result(&run.report, "stale-timestamp");
    assert!(stale["why"].as_str().unwrap().contains("|now - t| > 300"));
}

#[test]
fn a_handler_that_reads_only_the_first_v1_fails_the_rotation_check() {
    let (_, failed) =
        failed_checks("fleiko", Flaws { first_v1_only: true, ..Flaws::default() }, &[]);
    assert_eq!(failed, set(&["rotation-second-v1"]));
}

#[test]
fn a_handler_that_answers_500_on_a_duplicate_fails_the_duplicate_check() {
    let (run, failed) =
        failed_checks("fleiko", Flaws { fail_duplicates: true, ..Flaws::default() }, &[]);
    assert_eq!(failed, set(&["duplicate"]));
    let duplicate = result(&run.report, "duplicate");
    let exchanges = duplicate["exchanges"].as_array().unwrap();
    assert_eq!(
        (exchanges[0]["status"].as_u64(), exchanges[1]["status"].as_u64()),
        (Some(200), Some(500))
    );
    let reading = exchanges[1]["reading"]["text"].as_str().unwrap();
    assert!(reading.contains("retries five more times"), "{reading}");
    assert!(reading.contains("25 consecutive failures"), "{reading}");
    assert!(duplicate["notes"][0].as_str().unwrap().contains("side effects"));

    let (_, failed) =
        failed_checks("flovi", Flaws { fail_duplicates: true, ..Flaws::default() }, &[]);
    assert_eq!(failed, set(&["duplicate"]));
}

#[test]
fn a_handler_slower_than_the_timeout_fails_only_the_timeout_check() {
    // 12 s against a 1 s timeout: every answer is far past it, whatever the machine's speed.
    let slow = Flaws { delay: Some(Duration::from_secs(12)), ..Flaws::default() };
    let (run, failed) = failed_checks("flowella", slow, &["--timeout", "1"]);
    assert_eq!(failed, set(&["timeout"]));
    let timeout = result(&run.report, "timeout");
    assert_eq!(timeout["summary"], "no answer within the 1 s timeout");
    let reading = timeout["exchanges"][0]["reading"]["text"].as_str().unwrap();
    assert!(reading.contains("retries up to three times"), "{reading}");
    // Whether the slow handler would have accepted or rejected is unknown, not a pass.
    assert_eq!(with(&run.report, "pass"), BTreeSet::new());
    assert_eq!(with(&run.report, "inconclusive").len(), 12);
}

#[test]
fn junit_output_parses_and_names_each_failure() {
    use quick_xml::events::Event;

    let handler = start("fleiko", Flaws { skip_verification: true, ..Flaws::default() });
    let data = tempfile::tempdir().unwrap();
    let junit = data.path().join("handler.xml");
    let run = check(data.path(), "fleiko", &handler.url, &["--junit", junit.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut suite_failures) = (Vec::new(), BTreeSet::new(), None);
    let mut current = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &str| {
                    e.try_get_attribute(name).unwrap().map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned()
                    })
                };
                match e.name().as_ref() {
                    "testsuite" => suite_failures = attr("failures"),
                    "testcase" => {
                        current = attr("name").unwrap();
                        cases.push(current.clone());
                    }
                    "failure" => {
                        assert!(attr("message").unwrap().contains("accepted it"));
                        failures.insert(current.clone());
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(cases.len(), 17);
    assert_eq!(suite_failures.as_deref(), Some("6"));
    assert_eq!(failures, with(&run.report, "fail"));
    assert!(!xml.contains(SECRET));
}

#[test]
fn the_retry_simulation_plays_the_documented_schedule() {
    // Fleiko, 500 every time: seven attempts, each re-signed, numbered 1..7, then dead-letter.
    let handler = start("fleiko", Flaws { always: Some(500), ..Flaws::default() });
    let data = tempfile::tempdir().unwrap();
    // A million provider seconds per second: 33 hours of schedule in a fraction of a second.
    let scale = ["--only", "valid", "--retries", "--time-scale", "1000000"];
    let run = check(data.path(), "fleiko", &handler.url, &scale);
    assert_eq!(run.code, 1);
    let retry = &run.report["retry"];
    assert_eq!(retry["outcome"], "deadLettered", "{retry}");
    let attempts = retry["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 7);
    let at: Vec<u64> = attempts.iter().map(|a| a["atSecs"].as_u64().unwrap()).collect();
    assert_eq!(at, vec![0, 60, 360, 2160, 9360, 30960, 117360]);
    assert_eq!(attempts[6]["consecutiveFailures"], 7);
    let seen = handler.seen.lock().unwrap().clone();
    let tail: Vec<&Seen> = seen.iter().skip(1).collect();
    assert_eq!(tail.len(), 7);
    let value = |s: &Seen, name: &str| {
        s.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap()
    };
    for (i, s) in tail.iter().enumerate() {
        assert_eq!(value(s, "x-fleiko-delivery-attempt"), (i + 1).to_string());
        assert_eq!(value(s, "x-fleiko-delivery"), value(tail[0], "x-fleiko-delivery"));
        assert_eq!(s.status, 500, "each attempt verified, then answered 500");
    }
    assert!(retry["summary"].as_str().unwrap().contains("Dead-lettered after attempt 7"));

    // With 20 failures already, the fifth attempt disables the endpoint.
    let prior =
        ["--only", "valid", "--retries", "--time-scale", "1000000", "--prior-failures", "20"];
    let run = check(data.path(), "fleiko", &handler.url, &prior);
    assert_eq!(run.report["retry"]["outcome"], "autoDisabled");
    assert_eq!(run.report["retry"]["attempts"].as_array().unwrap().len(), 5);

    // A permanent 4xx dead-letters at once; a 2xx is delivered on the first attempt.
    let rejecting = start("fleiko", Flaws { always: Some(422), ..Flaws::default() });
    let run = check(data.path(), "fleiko", &rejecting.url, &scale);
    assert_eq!(run.report["retry"]["outcome"], "deadLettered");
    assert_eq!(run.report["retry"]["attempts"].as_array().unwrap().len(), 1);
    let valid = result(&run.report, "valid");
    let reading = valid["exchanges"][0]["reading"]["text"].as_str().unwrap();
    assert!(reading.contains("dead-letters the delivery at once"), "{reading}");
    let fine = start("fleiko", Flaws::default());
    let run = check(data.path(), "fleiko", &fine.url, &scale);
    assert_eq!(run.code, 0);
    assert_eq!(run.report["retry"]["outcome"], "delivered");

    // Flowella: three retries after the first attempt.
    let flowella = start("flowella", Flaws { always: Some(503), ..Flaws::default() });
    let run = check(data.path(), "flowella", &flowella.url, &scale);
    assert_eq!(run.report["retry"]["attempts"].as_array().unwrap().len(), 4);
    assert_eq!(run.report["retry"]["outcome"], "deadLettered");
}

#[test]
fn secrets_come_from_a_stored_endpoint_and_deliveries_from_a_capture() {
    let handler = start("fleiko", Flaws::default());
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let add = [
        "endpoint",
        "add",
        "--data-dir",
        dir,
        "--name",
        "dispatch",
        "--path",
        "/dispatch",
        "--provider",
        "fleiko",
        "--secret-env",
        "S",
    ];
    let out = cli_with_env(&add, &[("S", SECRET)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let args = ["check-handler", "--endpoint", "dispatch", "--to", &handler.url, "--data-dir", dir];
    let out = cli(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Handler check: Fleiko"), "{stdout}");
    assert!(stdout.contains("PASSED"), "{stdout}");
    assert!(!stdout.contains(SECRET));

    // A captured delivery (with an odd layout of its own) as the base of every check.
    let serve = Serve::start(data.path(), &[]);
    let body = "{\n  \"id\": \"4b8e4c2a-0d8e-4f0a-9d7a-6a1f2f3c4d5e\",\n  \"type\": \"job.completed\",\n  \"created\": 1700000000,\n  \"company_id\": \"co_1\",\n  \"api_version\": \"1\",\n  \"data\": {\"job_id\": \"job_42\", \"note\": \"Äänekoski\"}\n}";
    let headers = fleiko_headers(SECRET, now(), body, "dlv_CAPTURED0000000000000000", 1);
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let response = post_to(&serve, "/dispatch/hook", &headers, body.as_bytes());
    assert_eq!(response.status, 200);
    let id = response.json()["id"].as_u64().unwrap().to_string();
    drop(serve);
    let run = check(data.path(), "fleiko", &handler.url, &["--from", &id]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.report["fromDelivery"].as_u64().unwrap().to_string(), id);
    assert_eq!(run.report["event"], "job.completed");
    let record = result(&run.report, "valid")["exchanges"][0]["recordId"].as_i64().unwrap();
    let db = rusqlite::Connection::open(data.path().join("hookscope.db")).unwrap();
    let (source, sent): (i64, Vec<u8>) = db
        .query_row(
            "SELECT delivery_id, request_body FROM outbound_requests WHERE id = ?1",
            [record],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(source.to_string(), id);
    let sent = String::from_utf8(sent).unwrap();
    assert!(sent.contains("\"note\": \"Äänekoski\"") && sent.contains("\n  \"type\""), "{sent}");
    assert!(!sent.contains("4b8e4c2a-0d8e-4f0a-9d7a-6a1f2f3c4d5e"), "a fresh event id: {sent}");

    // The delivery names its provider; another one is a usage error.
    let env = [("HANDLER_SECRET", SECRET)];
    let from = ["check-handler", "--from", &id, "--to", &handler.url, "--data-dir", dir];
    let own = [&from[..], &["--secret-env", "HANDLER_SECRET", "--only", "valid"]].concat();
    assert_eq!(cli_with_env(&own, &env).status.code(), Some(0));
    let wrong = [&own[..], &["--provider", "flovi"]].concat();
    let out = cli_with_env(&wrong, &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("came from fleiko"));
}

#[test]
fn usage_errors_exit_2() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let url = "http://127.0.0.1:9/hook";
    let base = ["check-handler", "--data-dir", dir];
    let env = [("HANDLER_SECRET", SECRET)];
    let cases: Vec<Vec<&str>> = vec![
        // No secret at all.
        vec!["--to", url, "--provider", "fleiko"],
        // An unknown check.
        vec![
            "--to",
            url,
            "--provider",
            "fleiko",
            "--secret-env",
            "HANDLER_SECRET",
            "--only",
            "valid,bogus",
        ],
        // An unset variable.
        vec!["--to", url, "--provider", "fleiko", "--secret-env", "NOT_SET_ANYWHERE"],
        // No provider.
        vec!["--to", url, "--secret-env", "HANDLER_SECRET"],
        // Fleiko waits 30 s at most.
        vec![
            "--to",
            url,
            "--provider",
            "fleiko",
            "--secret-env",
            "HANDLER_SECRET",
            "--timeout",
            "40",
        ],
        // --time-scale needs --retries.
        vec![
            "--to",
            url,
            "--provider",
            "fleiko",
            "--secret-env",
            "HANDLER_SECRET",
            "--time-scale",
            "10",
        ],
        // Not a URL.
        vec!["--provider", "flovi", "--secret-env", "HANDLER_SECRET", "--to", "ftp://x"],
        // No target.
        vec!["--provider", "flovi", "--secret-env", "HANDLER_SECRET"],
        // An unknown endpoint.
        vec!["--to", url, "--endpoint", "nowhere"],
    ];
    for extra in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(&extra);
        let out = cli_with_env(&args, &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(!stderr.contains(SECRET) && !String::from_utf8_lossy(&out.stdout).contains(SECRET));
    }
}

#[test]
fn a_handler_that_cannot_be_reached_fails_valid_and_runs_nothing_else() {
    let refused = hookscope_e2e::RefusedPort::new();
    let data = tempfile::tempdir().unwrap();
    let run = check(data.path(), "flowella", &refused.url("/hook"), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(with(&run.report, "fail"), set(&["valid"]));
    assert_eq!(with(&run.report, "skipped").len(), 11);
    let valid = result(&run.report, "valid");
    assert!(valid["summary"].as_str().unwrap().contains("connection refused"), "{valid}");
    let reading = valid["exchanges"][0]["reading"]["text"].as_str().unwrap();
    assert!(reading.contains("Flowella retries up to three times"), "{reading}");
}
