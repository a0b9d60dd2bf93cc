//! The capture listener and the CLI, driven as a user would: real processes, real sockets.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookscope_e2e::{Serve, cli, exchange, list_json, post, read_response, request, show};
use sha2::{Digest, Sha256};

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[test]
fn bodies_are_stored_byte_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let big: Vec<u8> = (0..5 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("json-unicode", "{\"name\":\"Åsa Öberg\",\"emoji\":\"🚗\",\"jp\":\"日本\"}\n".into()),
        ("all-bytes", all_bytes),
        ("invalid-utf8", vec![b'{', 0xc3, 0x28, 0xff, 0xfe, b'}']),
        ("crlf", b"line one\r\nline two\r\n\r\n".to_vec()),
        ("empty", Vec::new()),
        ("five-mib", big),
    ];
    for (name, body) in &cases {
        let response = post(&serve, &format!("/fleiko/{name}"), &[], body);
        assert_eq!(response.status, 200, "{name}: {:?}", String::from_utf8_lossy(&response.body));
        let id = response.json()["id"].as_u64().unwrap();
        assert_eq!(&show(dir.path(), id, &["--raw"]), body, "{name}: raw body differs");
        let listed = list_json(dir.path(), &["--limit", "1"]);
        assert_eq!(listed[0]["id"].as_u64(), Some(id));
        assert_eq!(listed[0]["bodySize"].as_u64(), Some(body.len() as u64), "{name}");
        assert_eq!(listed[0]["bodySha256"].as_str(), Some(sha256(body).as_str()), "{name}");
    }
}

#[test]
fn headers_keep_order_case_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let headers: &[(&str, &[u8])] = &[
        ("X-Dup", b"first"),
        ("content-TYPE", b"application/json"),
        ("x-dup", b"second"),
        ("X-Fleiko-Signature", b"t=1,v1=ab, v1=cd"),
        ("X-DUP", b"third"),
    ];
    let response = post(&serve, "/fleiko/hooks?a=1&b=%20x", headers, b"{}");
    let id = response.json()["id"].as_u64().unwrap();
    let detail: serde_json::Value =
        serde_json::from_slice(&show(dir.path(), id, &["--json"])).unwrap();
    let got: Vec<(String, String)> = serde_json::from_value(detail["headers"].clone()).unwrap();
    let mut expected = vec![("Host".to_owned(), "test".to_owned())];
    expected
        .extend(headers.iter().map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into())));
    expected.push(("Content-Length".into(), "2".into()));
    assert_eq!(got, expected);
    assert_eq!(detail["path"], "/fleiko/hooks");
    assert_eq!(detail["query"], "a=1&b=%20x");
    assert_eq!(detail["provider"], "fleiko");
    assert_eq!(detail["method"], "POST");
    assert_eq!(detail["httpVersion"], "HTTP/1.1");
}

#[test]
fn chunked_and_pipelined_requests_keep_their_own_headers() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let mut stream = serve.connect();
    let mut raw =
        b"PUT /flovi/a HTTP/1.1\r\nHost: h\r\nX-First: 1\r\nTransfer-Encoding: chunked\r\n\r\n\
        5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            .to_vec();
    raw.extend(request("PATCH", "/flowella/b", &[("X-Second", b"2")], b"bye"));
    use std::io::Write;
    stream.write_all(&raw).unwrap();
    let first = read_response(&mut stream).unwrap().json()["id"].as_u64().unwrap();
    let second = read_response(&mut stream).unwrap().json()["id"].as_u64().unwrap();
    assert_eq!(show(dir.path(), first, &["--raw"]), b"hello world");
    assert_eq!(show(dir.path(), second, &["--raw"]), b"bye");
    let headers = |id| {
        let v: serde_json::Value =
            serde_json::from_slice(&show(dir.path(), id, &["--json"])).unwrap();
        v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h[0].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(headers(first), ["Host", "X-First", "Transfer-Encoding"]);
    assert_eq!(headers(second), ["Host", "X-Second", "Content-Length"]);
}

#[test]
fn oversize_bodies_get_413_and_their_attempt_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &["--max-body", "1024"]);
    let response = post(&serve, "/flovi", &[("Content-Type", b"application/json")], &[b'x'; 2048]);
    assert_eq!(response.status, 413);
    let error = response.json();
    assert!(error["error"].as_str().unwrap().contains("1024"), "{error}");
    let id = error["id"].as_u64().unwrap();

    // Without a Content-Length the limit is found while reading.
    let mut stream = serve.connect();
    let chunk = format!("{:x}\r\n{}\r\n", 1500, "y".repeat(1500));
    let raw = format!(
        "POST /flovi HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}0\r\n\r\n"
    );
    assert_eq!(exchange(&mut stream, raw.as_bytes()).unwrap().status, 413);

    let ok = post(&serve, "/flovi", &[], &[b'z'; 1024]);
    assert_eq!(ok.status, 200);

    let listed = list_json(dir.path(), &[]);
    assert_eq!(listed.len(), 3);
    let attempt = listed.iter().find(|d| d["id"].as_u64() == Some(id)).unwrap();
    assert_eq!(attempt["responseStatus"], 413);
    assert_eq!(attempt["bodyStored"], false);
    assert_eq!(attempt["bodySize"], 2048);
    assert_eq!(attempt["contentType"], "application/json");
    assert!(show(dir.path(), id, &["--raw"]).is_empty());
}

#[test]
fn two_thousand_requests_over_64_connections_are_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Arc::new(Serve::start(dir.path(), &[]));
    let ids = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..64)
        .map(|conn| {
            let (serve, ids) = (serve.clone(), ids.clone());
            std::thread::spawn(move || {
                let mut stream = serve.connect();
                let count = 2000 / 64 + usize::from(conn < 2000 % 64);
                for i in 0..count {
                    let body = format!("{{\"conn\":{conn},\"i\":{i}}}");
                    let raw = request("POST", "/fleiko/load", &[], body.as_bytes());
                    let response = exchange(&mut stream, &raw).unwrap();
                    assert_eq!(response.status, 200);
                    ids.lock().unwrap().push(response.json()["id"].as_u64().unwrap());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let answered: HashSet<u64> = ids.lock().unwrap().iter().copied().collect();
    assert_eq!(answered.len(), 2000);
    let listed: HashSet<u64> = list_json(dir.path(), &["--limit", "5000"])
        .iter()
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, answered);
}

#[test]
fn every_answered_delivery_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = Serve::start(dir.path(), &[]);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let addr = serve.addr;
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
                    return;
                };
                stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let body =
                        format!("{{\"writer\":{w},\"i\":{i},\"pad\":\"{}\"}}", "p".repeat(2000));
                    let raw = request("POST", "/fleiko/crash", &[], body.as_bytes());
                    match exchange(&mut stream, &raw) {
                        Ok(r) if r.status == 200 => {
                            acked.lock().unwrap().push((r.json()["id"].as_u64().unwrap(), body))
                        }
                        _ => return,
                    }
                    i += 1;
                }
            })
        })
        .collect();
    // Kill it mid-flood, once it has answered plenty: counted, not timed, so a slow machine
    // only takes longer.
    hookscope_e2e::wait_for(Duration::from_secs(120), "500 answered deliveries", || {
        (acked.lock().unwrap().len() >= 500).then_some(())
    });
    serve.child.kill().unwrap();
    serve.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 100, "only {} deliveries were answered before the kill", acked.len());

    // Restart on the same data dir: it opens cleanly and serves.
    let restarted = Serve::start(dir.path(), &[]);
    assert_eq!(post(&restarted, "/after", &[], b"after").status, 200);
    for (id, body) in acked.iter().step_by(97) {
        assert_eq!(show(dir.path(), *id, &["--raw"]), body.as_bytes());
    }
    drop(restarted);
    let db = rusqlite::Connection::open(dir.path().join("hookscope.db")).unwrap();
    let mut stored = db.prepare("SELECT body FROM deliveries WHERE id = ?1").unwrap();
    let missing: Vec<u64> = acked
        .iter()
        .filter(|(id, body)| {
            let got: Option<Vec<u8>> = stored.query_row([*id as i64], |r| r.get(0)).ok();
            got.as_deref() != Some(body.as_bytes())
        })
        .map(|(id, _)| *id)
        .collect();
    assert!(missing.is_empty(), "{} of {} answered deliveries lost", missing.len(), acked.len());
    let check: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn endpoints_route_by_longest_segment_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    for (path, provider) in [
        ("/fleiko", Some("fleiko")),
        ("/flovi/reservations/42", Some("flovi")),
        ("/flowella/", Some("flowella")),
        ("/fleikox", None),
        ("/somewhere/else", None),
    ] {
        let id = post(&serve, path, &[], b"{}").json()["id"].as_u64().unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&show(dir.path(), id, &["--json"])).unwrap();
        assert_eq!(v["provider"].as_str(), provider, "{path}");
    }
    assert_eq!(list_json(dir.path(), &["--provider", "flovi"]).len(), 1);
}

#[test]
fn any_method_is_captured_and_search_finds_text() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let mut stream = serve.connect();
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"] {
        let raw = request(method, "/verbs", &[("X-Trace", method.as_bytes())], b"");
        assert_eq!(exchange(&mut stream, &raw).unwrap().status, 200, "{method}");
    }
    post(&serve, "/fleiko", &[], br#"{"id":"evt_7f3a9c","type":"job.completed"}"#);
    post(&serve, "/fleiko", &[("X-Request-Id", b"req-abc-123")], b"{}");
    let found = list_json(dir.path(), &["--search", "evt_7f3a9c"]);
    assert_eq!(found.len(), 1);
    assert_eq!(list_json(dir.path(), &["--search", "req-abc-123"]).len(), 1);
    assert_eq!(list_json(dir.path(), &["--search", "PROPFIND"]).len(), 1);
    assert!(list_json(dir.path(), &["--search", "nothing-like-this"]).is_empty());
    assert_eq!(list_json(dir.path(), &["--limit", "3"]).len(), 3);
}

#[test]
fn sigterm_stops_serve_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    assert_eq!(post(&serve, "/x", &[], b"1").status, 200);
    assert!(serve.terminate().success());
}

fn assert_clear_error(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success: {stderr}");
    assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn errors_are_one_clear_line_and_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let serve = Serve::start(dir.path(), &[]);

    assert_clear_error(&cli(&["show", "424242", "--data-dir", data]), "delivery 424242 not found");
    let taken = serve.addr.to_string();
    let out = cli(&["serve", "--data-dir", data, "--listen", &taken]);
    assert_clear_error(&out, "address already in use");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains("error")).count(),
        1
    );

    let corrupt = tempfile::tempdir().unwrap();
    std::fs::write(corrupt.path().join("hookscope.db"), b"this is not a database".repeat(500))
        .unwrap();
    let corrupt = corrupt.path().to_str().unwrap();
    assert_clear_error(&cli(&["list", "--data-dir", corrupt]), "unreadable or corrupt");
    assert_clear_error(
        &cli(&["serve", "--data-dir", corrupt, "--listen", "127.0.0.1:0"]),
        "corrupt",
    );

    let out = cli(&["list", "--limit", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert_clear_error(&out, "invalid value");
    assert_clear_error(
        &cli(&["show", "1", "--json", "--raw", "--data-dir", data]),
        "cannot be used",
    );
    assert_clear_error(&cli(&["serve", "--listen", "nowhere", "--data-dir", data]), "invalid");
}

#[test]
fn data_dir_comes_from_the_environment_when_not_given() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    post(&serve, "/fleiko", &[], b"{}");
    let out = std::process::Command::new(hookscope_e2e::bin("hookscope-cli"))
        .args(["list", "--json"])
        .env("HOOKSCOPE_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.len(), 1);
}

#[test]
fn retention_keeps_only_the_newest_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &["--retention", "50"]);
    let mut stream = serve.connect();
    let mut ids = Vec::new();
    for i in 0..120 {
        let raw = request("POST", "/fleiko/retention", &[], format!("{{\"i\":{i}}}").as_bytes());
        ids.push(exchange(&mut stream, &raw).unwrap().json()["id"].as_u64().unwrap());
    }
    let newest: Vec<u64> = ids.iter().rev().take(50).copied().collect();
    // Pruning runs once the listener is quiet, a moment after the last delivery.
    hookscope_e2e::wait_for(Duration::from_secs(10), "pruning to the newest 50", || {
        let kept: Vec<u64> = list_json(dir.path(), &["--limit", "1000"])
            .iter()
            .map(|d| d["id"].as_u64().unwrap())
            .collect();
        (kept == newest).then_some(())
    });
    assert_eq!(show(dir.path(), ids[119], &["--raw"]), b"{\"i\":119}");
    let out = cli(&["show", &ids[0].to_string(), "--data-dir", dir.path().to_str().unwrap()]);
    assert!(!out.status.success(), "the oldest delivery should have been pruned");
    // Pruned rows leave the search index too.
    let found: Vec<u64> = list_json(dir.path(), &["--search", "retention", "--limit", "1000"])
        .iter()
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert_eq!(found, newest);
}
