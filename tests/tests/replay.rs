//! Replay, samples and diff through the real binaries: deliveries captured by one `serve` and
//! sent on to a second `serve`, which verifies them with its own copy of the secret.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookscope_e2e::{
    RefusedPort, Serve, cli, cli_with_env, fleiko_headers, list_json, post, set_secret,
};

const SECRET: &str = "whsec_replay_test";

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn post_with(serve: &Serve, path: &str, headers: &[(String, String)], body: &str) -> u64 {
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let response = post(serve, path, &headers, body.as_bytes());
    assert_eq!(response.status, 200);
    response.json()["id"].as_u64().unwrap()
}

/// `show ID --json` of a data dir.
fn shown(data: &Path, id: u64) -> serde_json::Value {
    let out = cli(&["show", &id.to_string(), "--json", "--data-dir", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn newest(data: &Path) -> serde_json::Value {
    list_json(data, &["--limit", "1"]).into_iter().next().expect("a delivery")
}

fn header<'a>(d: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    d["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h[1].as_str().unwrap())
}

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// kind, source delivery, status, error, response body.
type Recorded = (String, i64, Option<u16>, Option<String>, String);

const BODY: &str = r#"{"id":"4b8e4c2a-0d8e-4f0a-9d7a-6a1f2f3c4d5e","type":"job.completed","created":1700000000,"company_id":"co_1","api_version":"1","data":{"job_id":"job_42","status":"completed"}}"#;

#[test]
fn resigned_replay_verifies_at_a_second_serve_and_a_plain_old_one_fails_the_window() {
    let source_dir = tempfile::tempdir().unwrap();
    let target_dir = tempfile::tempdir().unwrap();
    set_secret(source_dir.path(), "fleiko", SECRET);
    set_secret(target_dir.path(), "fleiko", SECRET);
    let source = Serve::start(source_dir.path(), &[]);
    let target = Serve::start(target_dir.path(), &[]);
    let old_t = now() - 3600;
    let id =
        post_with(&source, "/fleiko", &fleiko_headers(SECRET, old_t, BODY, "dlv_old", 1), BODY);
    let src = source_dir.path().to_str().unwrap();
    let to = target.url("/fleiko");

    // As captured: the signature still matches the body, but an hour-old timestamp is outside
    // the receiver's 300 s window.
    let out = cli(&["replay", &id.to_string(), "--to", &to, "--data-dir", src]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("200 OK"), "{stdout}");
    let plain = newest(target_dir.path());
    assert_eq!(plain["signature"], "invalid", "{plain}");
    assert_eq!(plain["signatureDetail"]["reason"]["kind"], "timestampOutsideWindow", "{plain}");

    // Re-signed, with an edited body and an extra header: valid there, with a fresh timestamp.
    let edited = BODY.replace("job_42", "job_43");
    let body_file = source_dir.path().join("edited.json");
    std::fs::write(&body_file, &edited).unwrap();
    let started = now();
    let out = cli(&[
        "replay",
        &id.to_string(),
        "--to",
        &to,
        "--resign",
        "--new-id",
        "--bump-attempt",
        "--header",
        "X-Replayed-By: hookscope",
        "--body-file",
        body_file.to_str().unwrap(),
        "--data-dir",
        src,
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Re-signed for Fleiko"), "{stdout}");
    let resigned = newest(target_dir.path());
    let resigned = shown(target_dir.path(), resigned["id"].as_u64().unwrap());
    assert_eq!(resigned["signature"], "valid", "{resigned}");
    let signed_at = resigned["signatureDetail"]["signedAt"].as_i64().unwrap();
    assert!(signed_at >= started - 2 && signed_at <= now() + 2, "fresh t: {signed_at}");
    assert_eq!(header(&resigned, "X-Fleiko-Timestamp"), Some(signed_at.to_string().as_str()));
    assert_eq!(header(&resigned, "X-Replayed-By"), Some("hookscope"));
    assert_eq!(header(&resigned, "X-Fleiko-Delivery-Attempt"), Some("2"));
    let delivery = header(&resigned, "X-Fleiko-Delivery").unwrap();
    assert!(delivery.starts_with("dlv_") && delivery != "dlv_old", "{delivery}");
    let body: serde_json::Value =
        serde_json::from_str(resigned["bodyText"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["job_id"], "job_43");
    assert_ne!(body["id"], "4b8e4c2a-0d8e-4f0a-9d7a-6a1f2f3c4d5e", "a new event id");

    // Without --to the endpoint's remembered target is used; both replays are recorded.
    let out = cli(&["replay", &id.to_string(), "--resign", "--json", "--data-dir", src]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let results: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(results[0]["record"]["url"], to);
    assert_eq!(results[0]["record"]["deliveryId"], id);
    assert_eq!(results[0]["ok"], true);
    assert_eq!(list_json(target_dir.path(), &[]).len(), 3);

    // The replay against its source: the signature, ids and body paths that changed.
    let replay_id = results[0]["record"]["id"].as_i64().unwrap();
    let out = cli(&["diff", &id.to_string(), &format!("r{}", replay_id - 1), "--data-dir", src]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("~ X-Fleiko-Signature:"), "{stdout}");
    assert!(stdout.contains("+ X-Replayed-By: hookscope"), "{stdout}");
    assert!(stdout.contains(r#"~ $.data.job_id: "job_42" → "job_43""#), "{stdout}");
    assert!(stdout.contains("~ $.id:"), "{stdout}");
}

#[test]
fn unreachable_slow_and_failing_targets_exit_non_zero_with_the_reason_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let t = now();
    let id = post_with(&serve, "/fleiko", &fleiko_headers(SECRET, t, BODY, "dlv_1", 1), BODY)
        .to_string();

    let refused = RefusedPort::new();
    let dead = refused.url("/hook");
    let out = cli(&["replay", &id, "--to", &dead, "--data-dir", data]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("nothing is listening"), "{stderr}");

    // A target that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}/hook", silent.local_addr().unwrap());
    let out = cli(&["replay", &id, "--to", &silent_url, "--timeout", "0.5", "--data-dir", data]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("within 0.5 s (timed out)"), "{stderr}");
    drop(silent);

    // A target answering 500.
    let failing = TcpListener::bind("127.0.0.1:0").unwrap();
    let failing_url = format!("http://{}/hook", failing.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut socket, _) = failing.accept().unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("job_42") {
            let n = socket.read(&mut buf).unwrap();
            assert!(n > 0, "closed before the body");
            seen.extend_from_slice(&buf[..n]);
        }
        socket
            .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops")
            .unwrap();
        String::from_utf8_lossy(&seen).into_owned()
    });
    let out = cli(&["replay", &id, "--to", &failing_url, "--data-dir", data]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("answered 500 Internal Server Error, not 2xx"), "{stderr}");
    let seen = server.join().unwrap();
    assert!(seen.starts_with("POST /hook?") || seen.starts_with("POST /hook "), "{seen}");

    // Every attempt is recorded, linked to its source, with the error in words.
    drop(serve);
    let db = rusqlite::Connection::open(dir.path().join("hookscope.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT kind, delivery_id, status, error, CAST(response_body AS TEXT) FROM outbound_requests ORDER BY id")
        .unwrap();
    let rows: Vec<Recorded> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.0 == "replay" && r.1.to_string() == id));
    assert!(rows[0].3.as_deref().unwrap().contains("nothing is listening"));
    assert!(rows[1].3.as_deref().unwrap().contains("timed out"));
    assert_eq!((rows[2].2, rows[2].3.as_deref(), rows[2].4.as_str()), (Some(500), None, "oops"));
}

#[test]
fn samples_of_every_documented_event_verify_at_a_serve_with_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    for endpoint in ["flovi", "flowella", "fleiko"] {
        set_secret(dir.path(), endpoint, &format!("secret-{endpoint}"));
    }
    let serve = Serve::start(dir.path(), &[]);
    let sender = tempfile::tempdir().unwrap();
    let listed = cli(&["send-sample", "--list", "--json"]);
    assert!(listed.status.success());
    let samples: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let events: Vec<(String, String)> = samples
        .iter()
        .map(|s| {
            (s["provider"].as_str().unwrap().to_owned(), s["event"].as_str().unwrap().to_owned())
        })
        .collect();
    for wanted in [
        "job.created",
        "test.ping",
        "message.received",
        "template.status_updated",
        "reservation_status_change.final_costs",
    ] {
        assert!(events.iter().any(|(_, e)| e == wanted), "{wanted} is listed");
    }
    for (provider, event) in &events {
        let out = cli_with_env(
            &[
                "send-sample",
                "--provider",
                provider,
                "--event",
                event,
                "--to",
                &serve.url(&format!("/{provider}")),
                "--secret-env",
                "SAMPLE_SECRET",
                "--data-dir",
                sender.path().to_str().unwrap(),
            ],
            &[("SAMPLE_SECRET", &format!("secret-{provider}"))],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{provider} {event}: {stdout}{stderr}");
    }
    let captured = list_json(dir.path(), &["--limit", "100"]);
    assert_eq!(captured.len(), events.len());
    for d in &captured {
        assert_eq!(d["signature"], "valid", "{d}");
    }
    let got: Vec<&str> = captured.iter().filter_map(|d| d["eventType"].as_str()).collect();
    assert!(got.contains(&"job.cancelled") && got.contains(&"message.failed"), "{got:?}");

    let wrong = cli(&[
        "send-sample",
        "--provider",
        "fleiko",
        "--event",
        "job.exploded",
        "--to",
        "http://127.0.0.1:1/",
        "--secret",
        "x",
    ]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("job.created"));
    let unsigned = cli(&[
        "send-sample",
        "--provider",
        "fleiko",
        "--event",
        "job.created",
        "--to",
        "http://127.0.0.1:1/",
    ]);
    assert_eq!(unsigned.status.code(), Some(2));
}

#[test]
fn diff_shows_a_retry_against_its_original() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let t = now();
    let first = post_with(&serve, "/fleiko", &fleiko_headers(SECRET, t, BODY, "dlv_1", 1), BODY);
    let retry_body =
        BODY.replace(r#""status":"completed""#, r#""status":"completed","note":"late""#);
    let retry = post_with(
        &serve,
        "/fleiko",
        &fleiko_headers(SECRET, t + 30, &retry_body, "dlv_1", 2),
        &retry_body,
    );
    let out = cli(&["diff", &first.to_string(), &retry.to_string(), "--data-dir", data]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with(&format!("delivery {first} → delivery {retry}")), "{stdout}");
    assert!(stdout.contains("~ X-Fleiko-Delivery-Attempt: 1 → 2"), "{stdout}");
    assert!(stdout.contains(r#"+ $.data.note: "late""#), "{stdout}");
    assert!(!stdout.contains("Content-Length"), "recomputed headers are left out: {stdout}");

    let out = cli(&["diff", &first.to_string(), &retry.to_string(), "--json", "--data-dir", data]);
    let diff: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diff["body"]["kind"], "json");
    assert_eq!(diff["body"]["changes"][0]["path"], "$.data.note");
    assert_eq!(diff["body"]["changes"][0]["change"], "added");

    let same = cli(&["diff", &first.to_string(), &first.to_string(), "--data-dir", data]);
    assert!(String::from_utf8_lossy(&same.stdout).contains("no differences"));
    let text_a = post_with(&serve, "/other", &[], "line one\nline two\n");
    let text_b = post_with(&serve, "/other", &[], "line one\nline 2\n");
    let out = cli(&["diff", &text_a.to_string(), &text_b.to_string(), "--data-dir", data]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("body (text)\n    line one\n  - line two\n  + line 2"), "{stdout}");
    let missing = cli(&["diff", "999", &first.to_string(), "--data-dir", data]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("999 not found"));
}
