//! The answer each delivery got is recorded as it went out on the wire — status, headers in
//! order, body capped with its full size — shown by `show`, exported to HAR and imported back;
//! in forward mode the target's answer is shown beside it. Driven through the real CLI and
//! listener over real sockets, with a real local target server.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use hookscope_e2e::{RawResponse, Serve, cli, list_json, post, show, wait_for};
use serde_json::Value;

fn d(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

/// Runs the CLI and insists it succeeded; returns stdout.
fn ok(args: &[&str]) -> String {
    let out = cli(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `show --json` of a delivery once its answer is recorded (the writer records it just after
/// the delivery's own commit).
fn shown(dir: &Path, id: u64) -> Value {
    wait_for(Duration::from_secs(10), "the answer to be recorded", || {
        let detail: Value = serde_json::from_slice(&show(dir, id, &["--json"])).unwrap();
        (!detail["response"].is_null()).then_some(detail)
    })
}

/// Headers as `show --json` prints them: `[name, value]` pairs.
fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned()))
        .collect()
}

/// The recorded answer is the one on the wire: same status, same headers in the same order
/// with the same names, same body.
fn assert_recorded_as_sent(recorded: &Value, wire: &RawResponse) {
    assert_eq!(recorded["status"], wire.status);
    assert_eq!(pairs(&recorded["headers"]), wire.headers, "headers as sent, in order");
    assert_eq!(recorded["body"]["text"].as_str().unwrap().as_bytes(), wire.body);
    assert_eq!(recorded["bodySize"], wire.body.len());
    assert_eq!(recorded["truncated"], false);
}

fn id_of(wire: &RawResponse) -> u64 {
    wire.json()["id"].as_u64().unwrap()
}

/// A one-thread HTTP server standing in for the user's handler: answers every request with
/// `status`, an `X-Handler: local` header and `body`.
fn target_server(status: u16, body: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut len = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    len = value.trim().parse().unwrap();
                }
            }
            let mut received = vec![0; len];
            if reader.read_exact(&mut received).is_err() {
                continue;
            }
            let mut stream = reader.into_inner();
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\nX-Handler: local\r\nContent-Type: text/plain\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

#[test]
fn the_default_answer_is_recorded_as_sent_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let wire = post(&serve, "/fleiko", &[("Content-Type", b"application/json")], b"{\"a\":1}");
    assert_eq!(wire.status, 200);
    let id = id_of(&wire);
    let detail = shown(dir.path(), id);
    let response = &detail["response"];
    assert_recorded_as_sent(response, &wire);
    assert_eq!(response["source"], "default");
    assert_eq!(response["reason"], "OK");
    let names: Vec<String> = pairs(&response["headers"]).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["content-type", "content-length", "date"]);
    assert_eq!(pairs(&response["headers"])[0].1, "application/json");
    assert_eq!(response["body"]["text"], format!(r#"{{"captured":true,"id":{id}}}"#));
    assert!(detail["forwardResponse"].is_null(), "nothing forwarded");

    let printed = String::from_utf8(show(dir.path(), id, &[])).unwrap();
    assert!(printed.contains("response   200 OK (from Hookscope's default answer)"), "{printed}");
    assert!(printed.contains("content-type: application/json"), "{printed}");
    assert!(printed.contains(&format!(r#"{{"captured":true,"id":{id}}}"#)), "{printed}");
    assert!(!printed.contains("truncated"), "{printed}");
    assert_eq!(show(dir.path(), id, &["--raw"]), b"{\"a\":1}", "--raw is the request body");
}

#[test]
fn the_answer_to_a_head_is_recorded_with_its_length_and_without_a_body() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let mut stream = serve.connect();
    stream.write_all(b"HEAD /fleiko HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    // No body follows the head: read up to its end only.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "closed before the head ended");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let wire: Vec<(String, String)> = head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_owned(), v.trim().to_owned()))
        .collect();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let id = list_json(dir.path(), &[])[0]["id"].as_u64().unwrap();
    let response = shown(dir.path(), id)["response"].clone();
    assert_eq!(pairs(&response["headers"]), wire, "headers as sent, in order");
    let length = format!(r#"{{"captured":true,"id":{id}}}"#).len().to_string();
    assert!(wire.contains(&("content-length".into(), length)), "{wire:?}");
    assert_eq!(
        (response["bodySize"].as_u64(), response["body"]["text"].as_str()),
        (Some(0), Some(""))
    );
}

#[test]
fn a_rules_headers_body_and_delayed_answer_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "endpoint",
        "set-response",
        "fleiko",
        "--status",
        "202",
        "--header",
        "X-Lab: yes",
        "--header",
        "X-Lab: again",
        "--body",
        "held \u{1b}[31m",
        "--delay-ms",
        "300",
        "--data-dir",
        d(dir.path()),
    ];
    ok(&args);
    let serve = Serve::start(dir.path(), &[]);
    let wire = post(&serve, "/fleiko", &[], b"x");
    assert_eq!(wire.status, 202);
    let id = list_json(dir.path(), &[])[0]["id"].as_u64().unwrap();
    let response = shown(dir.path(), id)["response"].clone();
    assert_recorded_as_sent(&response, &wire);
    assert_eq!(response["source"], "rule");
    let lab: Vec<_> =
        pairs(&response["headers"]).into_iter().filter(|(n, _)| n == "x-lab").collect();
    assert_eq!(lab.len(), 2, "both values, in order");

    // The body's escape sequence reaches the terminal escaped.
    let printed = String::from_utf8(show(dir.path(), id, &[])).unwrap();
    assert!(printed.contains("response   202 Accepted (from the endpoint's response rule)"));
    assert!(printed.contains("held \\u{1b}[31m"), "{printed}");
    assert!(!printed.contains('\u{1b}'));
}

#[test]
fn a_refused_body_keeps_the_refusal_it_was_answered() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &["--max-body", "10"]);
    let wire = post(&serve, "/fleiko", &[], &[b'x'; 100]);
    assert_eq!(wire.status, 413);
    let id = id_of(&wire);
    let response = shown(dir.path(), id)["response"].clone();
    assert_recorded_as_sent(&response, &wire);
    assert_eq!(response["source"], "refusal");
    assert!(pairs(&response["headers"]).contains(&("connection".into(), "close".into())));
    assert!(response["body"]["text"].as_str().unwrap().contains("exceeds the 10 byte limit"));
}

#[test]
fn proxy_mode_records_the_targets_answer_cut_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let port = target_server(201, big.clone());
    let to = format!("http://127.0.0.1:{port}/hook");
    let dd = d(dir.path());
    ok(&["endpoint", "set-forward", "fleiko", "--to", &to, "--mode", "proxy", "--data-dir", dd]);
    let serve = Serve::start(dir.path(), &[]);
    let wire = post(&serve, "/fleiko", &[], b"{}");
    assert_eq!((wire.status, wire.body.len()), (201, big.len()), "the whole answer is passed on");
    let id = list_json(dir.path(), &[])[0]["id"].as_u64().unwrap();
    let detail = shown(dir.path(), id);
    let response = &detail["response"];
    assert_eq!(response["source"], "proxy");
    assert_eq!(response["status"], 201);
    assert_eq!(pairs(&response["headers"]), wire.headers, "headers as sent, in order");
    assert!(wire.headers.iter().any(|(n, v)| n == "x-handler" && v == "local"));
    assert_eq!(response["bodySize"], 100_000);
    assert_eq!(response["truncated"], true);
    assert_eq!(response["body"]["size"], 65_536);
    assert_eq!(response["body"]["text"].as_str().unwrap().as_bytes(), &big[..65_536]);
    // The target's own answer, as received, is there too.
    let forward = &detail["forwardResponse"];
    assert_eq!(forward["status"], 201);
    assert_eq!(forward["url"], to);

    let printed = String::from_utf8(show(dir.path(), id, &[])).unwrap();
    assert!(printed.contains("(truncated: 65536 of 100000 bytes kept)"), "{printed}");
    assert!(printed.contains("the forward target, passed on (proxy mode)"), "{printed}");
}

#[test]
fn forward_mode_shows_what_the_target_answered_beside_the_answer_given() {
    let dir = tempfile::tempdir().unwrap();
    let port = target_server(500, b"handler broke".to_vec());
    let to = format!("http://127.0.0.1:{port}/hook");
    let dd = d(dir.path());
    ok(&["endpoint", "set-forward", "fleiko", "--to", &to, "--mode", "rule", "--data-dir", dd]);
    let serve = Serve::start(dir.path(), &[]);
    let wire = post(&serve, "/fleiko", &[], b"ping");
    assert_eq!(wire.status, 200);
    let id = id_of(&wire);
    let detail = wait_for(Duration::from_secs(10), "the forward's record", || {
        let detail = shown(dir.path(), id);
        (!detail["forwardResponse"].is_null()).then_some(detail)
    });
    assert_recorded_as_sent(&detail["response"], &wire);
    let forward = &detail["forwardResponse"];
    assert_eq!(forward["status"], 500);
    assert_eq!(forward["url"], to);
    assert_eq!(forward["body"]["text"], "handler broke");
    assert!(pairs(&forward["headers"]).contains(&("x-handler".into(), "local".into())));

    let printed = String::from_utf8(show(dir.path(), id, &[])).unwrap();
    assert!(printed.contains(&format!("forwarded  POST {to} -> 500 Internal Server Error")));
    assert!(printed.contains("handler broke"), "{printed}");

    let har: Value =
        serde_json::from_str(&ok(&["export", "--format", "har", "--data-dir", dd])).unwrap();
    let forwarded = &har["log"]["entries"][0]["response"]["_forwarded"];
    assert_eq!(forwarded["status"], 500);
    assert_eq!(forwarded["content"]["text"], "handler broke");
    assert_eq!(forwarded["url"], to);

    let json: Value =
        serde_json::from_str(&ok(&["export", "--format", "json", "--data-dir", dd])).unwrap();
    assert_eq!(json[0]["response"]["status"], 200);
    assert_eq!(json[0]["response"]["bodyText"], format!(r#"{{"captured":true,"id":{id}}}"#));
    assert_eq!(json[0]["forwardResponse"]["status"], 500);
    assert_eq!(json[0]["forwardResponse"]["bodyText"], "handler broke");
}

#[test]
fn har_export_tells_the_answer_and_import_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let dd = d(dir.path());
    let big = "z".repeat(70_000);
    let port = target_server(200, big.clone().into_bytes());
    let serve = Serve::start(dir.path(), &[]);
    let plain = post(&serve, "/flovi", &[], b"{}");
    let plain_id = id_of(&plain);
    let to = format!("http://127.0.0.1:{port}/");
    ok(&["endpoint", "set-forward", "fleiko", "--to", &to, "--mode", "proxy", "--data-dir", dd]);
    wait_for(Duration::from_secs(10), "the listener to proxy", || {
        (post(&serve, "/fleiko", &[], b"{}").body.len() == big.len()).then_some(())
    });
    let ids: Vec<u64> =
        list_json(dir.path(), &[]).iter().map(|d| d["id"].as_u64().unwrap()).collect();
    for id in &ids {
        shown(dir.path(), *id);
    }
    drop(serve);

    let har_path = dir.path().join("out.har");
    ok(&["export", "--format", "har", "--out", har_path.to_str().unwrap(), "--data-dir", dd]);
    let har: Value = serde_json::from_slice(&std::fs::read(&har_path).unwrap()).unwrap();
    let entries = har["log"]["entries"].as_array().unwrap();
    let first = &entries[0]["response"];
    assert_eq!(first["status"], 200);
    assert_eq!(first["statusText"], "OK");
    let names: Vec<&str> =
        first["headers"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["content-type", "content-length", "date"]);
    let content = &first["content"];
    assert_eq!(content["mimeType"], "application/json");
    assert_eq!(content["text"], format!(r#"{{"captured":true,"id":{plain_id}}}"#));
    assert_eq!(content["size"], plain.body.len());
    assert_eq!(first["bodySize"], plain.body.len());
    assert_eq!(first["headersSize"], -1);
    assert!(first.get("comment").is_none(), "nothing cut");

    let cut = &entries.last().unwrap()["response"];
    assert_eq!(cut["content"]["size"], 70_000);
    assert_eq!(cut["content"]["text"].as_str().unwrap().len(), 65_536);
    assert_eq!(cut["content"]["mimeType"], "text/plain");
    assert_eq!(cut["_hookscope"]["truncated"], true);
    assert_eq!(cut["_hookscope"]["source"], "proxy");
    let comment = cut["comment"].as_str().unwrap();
    assert!(comment.contains("65536 of 70000 bytes"), "{comment}");

    let fresh = tempfile::tempdir().unwrap();
    let printed = ok(&["import", har_path.to_str().unwrap(), "--data-dir", d(fresh.path())]);
    assert!(printed.contains(&format!("imported {}", ids.len())), "{printed}");
    let copies: Vec<u64> =
        list_json(fresh.path(), &[]).iter().map(|d| d["id"].as_u64().unwrap()).collect();
    for (original, copy) in ids.iter().zip(&copies) {
        let a = shown(dir.path(), *original)["response"].clone();
        let b = shown(fresh.path(), *copy)["response"].clone();
        for field in ["status", "headers", "body", "bodySize", "truncated"] {
            assert_eq!(a[field], b[field], "{field} of #{original}");
        }
        assert_eq!(b["source"], "imported");
    }
}

#[test]
fn pruned_deliveries_leave_no_recorded_answer_behind() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &["--retention", "3"]);
    let mut last = 0;
    for n in 0..8 {
        last = id_of(&post(&serve, &format!("/p{n}"), &[], b"{}"));
        shown(dir.path(), last);
    }
    let db = dir.path().join("hookscope.db");
    let counts = || {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM delivery_responses),
                (SELECT count(*) FROM delivery_responses
                 WHERE delivery_id NOT IN (SELECT id FROM deliveries))",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
        )
        .unwrap()
    };
    wait_for(Duration::from_secs(10), "pruning down to three", || {
        (counts() == (3, 3, 0)).then_some(())
    });
    drop(serve);

    // An import prunes too, in its own transaction.
    let har = dir.path().join("all.har");
    ok(&["export", "--format", "har", "--out", har.to_str().unwrap(), "--data-dir", d(dir.path())]);
    let args = ["import", har.to_str().unwrap(), "--retention", "4", "--data-dir", d(dir.path())];
    ok(&args);
    assert_eq!(counts(), (4, 4, 0));
    let kept = list_json(dir.path(), &[]);
    assert!(kept.iter().all(|d| d["id"].as_u64().unwrap() >= last), "the newest are kept");
}
