//! Response rules, forward on arrival and export/import, driven through the real CLI and
//! listener over real sockets, with a real local target server.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hookscope_e2e::{RefusedPort, Serve, cli, cli_with_env, fleiko_headers, list_json, post, show};

fn dir_arg(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

/// Runs the CLI and insists it succeeded; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = cli(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fleiko_delivery(serve: &Serve, delivery: &str, attempt: u32) -> hookscope_e2e::RawResponse {
    let body = format!(r#"{{"id":"evt_{delivery}","type":"job.completed","data":{{}}}}"#);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let headers = fleiko_headers("whsec_test", t as i64, &body, delivery, attempt);
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    post(serve, "/fleiko", &headers, body.as_bytes())
}

/// What the local target server saw of one request.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A one-thread HTTP server standing in for the user's local handler: answers every request
/// with `status`, an `X-Handler: local` header and `body`, and reports what it received.
fn target_server(status: u16, body: &'static str) -> (u16, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
            let len = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut received = vec![0; len];
            reader.read_exact(&mut received).unwrap();
            let mut stream = reader.into_inner();
            let answer = format!(
                "HTTP/1.1 {status} Whatever\r\nX-Handler: local\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(answer.as_bytes()).unwrap();
            let _ = tx.send(Seen {
                request_line: request_line.trim_end().into(),
                headers,
                body: received,
            });
        }
    });
    (port, rx)
}

/// A forward record: target status, target body, error, URL.
type ForwardRow = (Option<u16>, Vec<u8>, Option<String>, String);

/// The forward records of a delivery, read straight from the store.
fn forwards(dir: &Path, delivery: u64) -> Vec<ForwardRow> {
    let conn = rusqlite::Connection::open(dir.join("hookscope.db")).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT status, response_body, error, url FROM outbound_requests
             WHERE kind = 'forward' AND delivery_id = ?1 ORDER BY id",
        )
        .unwrap();
    stmt.query_map([delivery as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn response_status(dir: &Path, id: u64) -> Option<u64> {
    let detail: serde_json::Value = serde_json::from_slice(&show(dir, id, &["--json"])).unwrap();
    detail["responseStatus"].as_u64()
}

#[test]
fn a_sequence_answers_each_retry_of_a_delivery_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let printed = ok(&["endpoint", "set-sequence", "fleiko", "500,500,200", "--data-dir", d]);
    assert!(printed.contains("500, 500, 200"), "{printed}");
    let serve = Serve::start(dir.path(), &[]);
    let mut statuses = Vec::new();
    for attempt in 1..=4 {
        statuses.push(fleiko_delivery(&serve, "dlv_same", attempt).status);
    }
    assert_eq!(statuses, [500, 500, 200, 200], "the last step repeats");
    assert_eq!(fleiko_delivery(&serve, "dlv_other", 1).status, 500, "a new key starts over");
    let recorded: Vec<u64> = list_json(dir.path(), &[])
        .iter()
        .rev()
        .map(|d| d["responseStatus"].as_u64().unwrap())
        .collect();
    assert_eq!(recorded, [500, 500, 200, 200, 500], "every answer given is recorded");
    let listed = ok(&["endpoint", "list", "--data-dir", d]);
    assert!(listed.contains("answers 500, 500, 200"), "{listed}");
}

#[test]
fn a_response_rule_sets_status_headers_body_and_delay() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let too_slow =
        cli(&["endpoint", "set-response", "fleiko", "--delay-ms", "61000", "--data-dir", d]);
    assert_eq!(too_slow.status.code(), Some(2), "a delay over 60 s is refused");
    assert!(String::from_utf8_lossy(&too_slow.stderr).contains("60 s"));
    ok(&[
        "endpoint",
        "set-response",
        "fleiko",
        "--status",
        "202",
        "--header",
        "X-Lab: yes",
        "--body",
        "held",
        "--delay-ms",
        "700",
        "--data-dir",
        d,
    ]);
    let serve = Serve::start(dir.path(), &[]);
    let started = Instant::now();
    let response = post(&serve, "/fleiko", &[], b"{\"a\":1}");
    let took = started.elapsed();
    assert_eq!(response.status, 202);
    assert!(took >= Duration::from_millis(700), "answered after {took:?}");
    assert!(response.headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("x-lab") && v == "yes"));
    assert_eq!(response.body, b"held");
    let stored = list_json(dir.path(), &[]);
    assert_eq!(stored.len(), 1, "stored before the answer");
    assert_eq!(stored[0]["responseStatus"], 202);
    // Other endpoints keep the default answer.
    let plain = post(&serve, "/flovi", &[], b"{}");
    assert_eq!(plain.status, 200);
    assert!(plain.json()["id"].is_u64());
}

#[test]
fn proxy_mode_answers_with_the_targets_response_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let (port, seen) = target_server(201, r#"{"handled":true}"#);
    let to = format!("http://127.0.0.1:{port}/webhooks/fleiko");
    ok(&["endpoint", "set-forward", "fleiko", "--to", &to, "--mode", "proxy", "--data-dir", d]);
    let listed = ok(&["endpoint", "list", "--data-dir", d]);
    assert!(listed.contains(&format!("forwards to {to} (proxy mode")), "{listed}");
    let serve = Serve::start(dir.path(), &[]);
    let body = b"{\"job\":\"J-1\",\"note\":\"\xc3\xa5\"}";
    let response = post(
        &serve,
        "/fleiko/jobs?x=1",
        &[("X-Custom", b"one"), ("Content-Type", b"application/json")],
        body,
    );
    assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
    assert_eq!(response.body, br#"{"handled":true}"#);
    assert!(
        response.headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("x-handler") && v == "local")
    );

    let got = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(got.request_line, "POST /webhooks/fleiko/jobs?x=1 HTTP/1.1");
    assert_eq!(got.body, body);
    let custom: Vec<_> =
        got.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("x-custom")).collect();
    assert_eq!(custom.len(), 1);

    let id = list_json(dir.path(), &[])[0]["id"].as_u64().unwrap();
    assert_eq!(show(dir.path(), id, &["--raw"]), body);
    let records = forwards(dir.path(), id);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].0, Some(201));
    assert_eq!(records[0].1, br#"{"handled":true}"#);
    assert_eq!(records[0].3, format!("{to}/jobs?x=1"));
    assert_eq!(response_status(dir.path(), id), Some(201), "the answer given is recorded");
}

#[test]
fn rule_mode_answers_with_the_rule_and_forwards_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let (port, seen) = target_server(500, "handler broke");
    let to = format!("http://127.0.0.1:{port}/hook");
    ok(&["endpoint", "set-forward", "fleiko", "--to", &to, "--mode", "rule", "--data-dir", d]);
    ok(&["endpoint", "set-response", "fleiko", "--status", "202", "--data-dir", d]);
    let serve = Serve::start(dir.path(), &[]);
    let response = post(&serve, "/fleiko", &[], b"ping");
    assert_eq!(response.status, 202);
    assert_eq!(seen.recv_timeout(Duration::from_secs(5)).unwrap().body, b"ping");
    let id = list_json(dir.path(), &[])[0]["id"].as_u64().unwrap();
    let records = hookscope_e2e::wait_for(Duration::from_secs(5), "the forward record", || {
        let records = forwards(dir.path(), id);
        (!records.is_empty()).then_some(records)
    });
    assert_eq!(records[0].0, Some(500));
    assert_eq!(records[0].1, b"handler broke");
    assert_eq!(response_status(dir.path(), id), Some(202));
}

#[test]
fn a_dead_target_gets_the_fallback_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let refused = RefusedPort::new();
    let dead = refused.url("/webhooks");
    ok(&[
        "endpoint",
        "set-forward",
        "fleiko",
        "--to",
        &dead,
        "--fallback-status",
        "503",
        "--timeout",
        "3",
        "--data-dir",
        d,
    ]);
    let serve = Serve::start(dir.path(), &[]);
    let response = post(&serve, "/fleiko", &[], b"{\"kept\":true}");
    assert_eq!(response.status, 503);
    let answer = response.json();
    let error = answer["forwardError"].as_str().unwrap();
    assert!(error.contains("connection refused"), "{error}");
    let id = answer["id"].as_u64().unwrap();
    assert_eq!(show(dir.path(), id, &["--raw"]), b"{\"kept\":true}");
    let records = forwards(dir.path(), id);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].0, None);
    assert!(records[0].2.as_deref().unwrap().contains("connection refused"));
    assert_eq!(response_status(dir.path(), id), Some(503));

    // The default fallback is 502; clearing stops forwarding.
    ok(&["endpoint", "set-forward", "fleiko", "--to", &dead, "--timeout", "3", "--data-dir", d]);
    hookscope_e2e::wait_for(Duration::from_secs(5), "the listener to reload", || {
        (post(&serve, "/fleiko", &[], b"x").status == 502).then_some(())
    });
    ok(&["endpoint", "clear-forward", "fleiko", "--data-dir", d]);
    hookscope_e2e::wait_for(Duration::from_secs(5), "the listener to reload", || {
        (post(&serve, "/fleiko", &[], b"x").status == 200).then_some(())
    });
}

#[test]
fn har_export_and_import_are_byte_exact_and_carry_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let secret = "whsec_never_in_an_export_7d1f";
    let set = cli_with_env(
        &["endpoint", "set-secrets", "fleiko", "--secret-env", "FLEIKO_SECRET", "--data-dir", d],
        &[("FLEIKO_SECRET", secret)],
    );
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let serve = Serve::start(dir.path(), &[]);
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let bodies: Vec<Vec<u8>> = vec![
        all_bytes,
        vec![b'{', 0xc3, 0x28, 0xff, 0xfe, b'}'],
        "{\"name\":\"Åsa\",\"emoji\":\"🚗\"}\n".into(),
        Vec::new(),
    ];
    let headers: &[(&str, &[u8])] =
        &[("X-Dup", b"first"), ("content-TYPE", b"application/json"), ("x-dup", b"second")];
    let mut ids = Vec::new();
    for body in &bodies {
        ids.push(post(&serve, "/fleiko/hooks?a=1", headers, body).json()["id"].as_u64().unwrap());
    }
    ids.push(fleiko_delivery(&serve, "dlv_signed", 1).json()["id"].as_u64().unwrap());
    drop(serve);

    let har = dir.path().join("all.har");
    ok(&["export", "--format", "har", "--out", har.to_str().unwrap(), "--data-dir", d]);
    let text = std::fs::read_to_string(&har).unwrap();
    assert!(!text.contains(secret), "the export holds the endpoint secret");
    for format in ["json", "curl"] {
        let out = ok(&["export", "--format", format, "--data-dir", d]);
        assert!(!out.contains(secret), "the {format} export holds the endpoint secret");
        assert!(out.contains("/fleiko/hooks?a=1"), "{format}");
    }
    let one = ok(&["export", &ids[2].to_string(), "--format", "curl", "--data-dir", d]);
    assert_eq!(one.matches("curl -X").count(), 1, "{one}");
    assert!(one.contains("--data-binary '{\"name\":\"Åsa\",\"emoji\":\"🚗\"}\n'"), "{one}");

    let fresh = tempfile::tempdir().unwrap();
    let f = dir_arg(fresh.path());
    let printed = ok(&["import", har.to_str().unwrap(), "--data-dir", f]);
    assert!(printed.starts_with(&format!("imported {} deliveries", ids.len())), "{printed}");
    let imported: Vec<serde_json::Value> = list_json(fresh.path(), &[]).into_iter().rev().collect();
    assert_eq!(imported.len(), ids.len());
    for (original, copy) in ids.iter().zip(&imported) {
        let copy_id = copy["id"].as_u64().unwrap();
        assert_eq!(
            show(fresh.path(), copy_id, &["--raw"]),
            show(dir.path(), *original, &["--raw"]),
            "body of #{original}"
        );
        let a: serde_json::Value =
            serde_json::from_slice(&show(dir.path(), *original, &["--json"])).unwrap();
        let b: serde_json::Value =
            serde_json::from_slice(&show(fresh.path(), copy_id, &["--json"])).unwrap();
        for field in ["headers", "method", "path", "query", "receivedAt", "bodySha256", "eventType"]
        {
            assert_eq!(a[field], b[field], "{field} of #{original}");
        }
    }
    let conn = rusqlite::Connection::open(fresh.path().join("hookscope.db")).unwrap();
    let marked: i64 =
        conn.query_row("SELECT count(*) FROM imported_deliveries", [], |r| r.get(0)).unwrap();
    assert_eq!(marked as usize, ids.len(), "every imported delivery is marked imported");
    // Analysed like a capture: the signed Fleiko delivery is recognised, secret or not.
    assert_eq!(imported.last().unwrap()["provider"], "fleiko");
    assert_eq!(imported.last().unwrap()["eventType"], "job.completed");

    let bad = dir.path().join("bad.har");
    std::fs::write(&bad, "{\"log\":{}}").unwrap();
    let refused = cli(&["import", bad.to_str().unwrap(), "--data-dir", f]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no log.entries"));
}

#[test]
fn a_slow_target_times_out_into_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    // Accepts a connection and never answers; holds it until the test has its answer, so only
    // the forward's own timeout can end the wait, however slow the machine.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let held = std::thread::spawn(move || {
        let open = silent.accept();
        let _ = released.recv_timeout(Duration::from_secs(120));
        drop(open);
    });
    let to = format!("http://127.0.0.1:{port}/slow");
    ok(&["endpoint", "set-forward", "fleiko", "--to", &to, "--timeout", "1", "--data-dir", d]);
    let serve = Serve::start(dir.path(), &[]);
    let started = Instant::now();
    let response = post(&serve, "/fleiko", &[], b"{\"slow\":true}");
    let took = started.elapsed();
    assert_eq!(response.status, 502, "the default fallback");
    eprintln!("a 1 s forward timeout answered after {took:?}");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(60), "{took:?}");
    let answer = response.json();
    assert!(answer["forwardError"].as_str().unwrap().contains("timed out"), "{answer}");
    let id = answer["id"].as_u64().unwrap();
    assert_eq!(show(dir.path(), id, &["--raw"]), b"{\"slow\":true}");
    let records = forwards(dir.path(), id);
    assert!(records[0].2.as_deref().unwrap().contains("timed out"));
    drop(serve);
    let _ = release.send(());
    held.join().unwrap();
}

#[test]
fn copied_curl_commands_resend_the_exact_bytes() {
    if std::process::Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl is not installed: skipping the curl round trip");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let serve = Serve::start(dir.path(), &[]);
    let host = serve.addr.to_string();
    let bodies: Vec<Vec<u8>> = vec![
        (0..=255u8).collect(),
        "{\"quote\":\"it's\",\"dollar\":\"$HOME\",\"percent\":\"100%\",\"back\":\"a\\\\b\"}\n"
            .into(),
    ];
    for body in bodies {
        let mut raw = format!("POST /fleiko/copy?x=1 HTTP/1.1\r\nHost: {host}\r\n").into_bytes();
        raw.extend_from_slice(b"X-Odd: it's $(not run) `nor this`\r\n");
        raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        raw.extend_from_slice(&body);
        let original = hookscope_e2e::exchange(&mut serve.connect(), &raw).unwrap().json()["id"]
            .as_u64()
            .unwrap();
        let command = ok(&["export", &original.to_string(), "--format", "curl", "--data-dir", d]);
        let run = std::process::Command::new("sh").arg("-c").arg(&command).output().unwrap();
        assert!(run.status.success(), "{command}\n{}", String::from_utf8_lossy(&run.stderr));
        let copy: u64 = serde_json::from_slice::<serde_json::Value>(&run.stdout).unwrap()["id"]
            .as_u64()
            .unwrap();
        assert_eq!(show(dir.path(), copy, &["--raw"]), body, "{command}");
        let headers = |id| {
            let detail: serde_json::Value =
                serde_json::from_slice(&show(dir.path(), id, &["--json"])).unwrap();
            detail["headers"].clone()
        };
        let sent = headers(copy);
        let named = |n: &str| {
            sent.as_array().unwrap().iter().any(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(n))
        };
        assert!(!named("content-type"), "curl added a content type: {sent}");
        assert!(
            sent.as_array()
                .unwrap()
                .iter()
                .any(|h| h[0] == "X-Odd" && h[1] == "it's $(not run) `nor this`"),
            "{sent}"
        );
        assert_eq!(
            headers(original)[1],
            sent.as_array().unwrap().iter().find(|h| h[0] == "X-Odd").unwrap().clone()
        );
    }
}
