//! Interoperability with software Hookscope does not control, through the real binaries: the
//! curl commands it exports run under a real shell and `curl`, a body re-encoded by Python's
//! `json.dumps` is explained as such, and a re-signed replay keeps the signature in the form
//! the provider's handler was seen to receive.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use hookscope_e2e::{Serve, cli, cli_with_env, hmac_hex, list_json, post, set_secret, show};

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn capture(serve: &Serve, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> u64 {
    let response = post(serve, path, headers, body);
    assert_eq!(response.status, 200, "{:?}", String::from_utf8_lossy(&response.body));
    response.json()["id"].as_u64().unwrap()
}

/// 200 KiB of text with everything a shell could trip on: quotes, `%`, backslashes, `$`,
/// backticks, non-ASCII, CRLF, tabs, and no final newline.
fn awkward_text(len: usize) -> Vec<u8> {
    let line = "it's 100% \"quoted\" \\n $HOME `id` Zürich 😀\t{\"a\":[1,2]}\r\n";
    let mut body = line.repeat(len / line.len() + 1).into_bytes();
    body.truncate(len);
    // Cut back to a character boundary, and make sure the last byte is not a newline.
    while std::str::from_utf8(&body).is_err() {
        body.pop();
    }
    body.extend_from_slice(b"end");
    body
}

#[test]
fn exported_curl_commands_send_large_and_binary_bodies_byte_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let serve = Serve::start(&data, &[]);
    let text_body = awkward_text(200 * 1024);
    assert!(text_body.len() >= 200 * 1024);
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let small = br#"{"small":"it's fine"}"#.to_vec();
    let bodies = [text_body, binary, small];
    let types: [&[u8]; 3] =
        [b"text/plain; charset=utf-8", b"application/octet-stream", b"application/json"];
    // Captured from real curl, so the Host header (which the export's URL comes from) names
    // this listener.
    let mut ids = Vec::new();
    for (i, (body, content_type)) in bodies.iter().zip(types).enumerate() {
        let file = dir.path().join(format!("body{i}"));
        std::fs::write(&file, body).unwrap();
        let out = Command::new("curl")
            .args(["-sS", "-X", "POST", "-H"])
            .arg(format!("Content-Type: {}", String::from_utf8_lossy(content_type)))
            .arg("--data-binary")
            .arg(format!("@{}", file.display()))
            .arg(serve.url("/curl-src"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        ids.push(answer["id"].as_u64().unwrap().to_string());
    }

    let script = dir.path().join("replay.sh");
    let mut args = vec!["export", "--format", "curl", "--data-dir", data.to_str().unwrap()];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--out", script.to_str().unwrap()]);
    let out = cli(&args);
    assert!(out.status.success(), "{}", text(&out));
    let exported = std::fs::read_to_string(&script).unwrap();
    assert!(exported.contains("--data-binary @-"), "large bodies go through stdin");

    // The commands point at the listener they were captured by (the Host header): running
    // the script captures each body a second time. Run by a POSIX shell, not only bash.
    for shell in ["sh", "bash"] {
        let before = list_json(&data, &[]).len();
        let out = Command::new(shell).arg(&script).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", text(&out));
        assert!(!text(&out).contains("Argument list too long"), "{}", text(&out));
        let listed = list_json(&data, &[]);
        assert_eq!(listed.len(), before + bodies.len(), "{shell}: {}", text(&out));
        // Newest first: the last command's delivery is the first listed.
        for (i, body) in bodies.iter().enumerate() {
            let d = &listed[bodies.len() - 1 - i];
            let id = d["id"].as_u64().unwrap();
            let got = show(&data, id, &["--raw"]);
            assert_eq!(got.len(), body.len(), "{shell}: body {i} length");
            assert!(got == *body, "{shell}: body {i} differs");
        }
    }
    serve.terminate();
}

#[test]
fn verify_says_a_python_json_dumps_body_was_re_serialised() {
    let dir = tempfile::tempdir().unwrap();
    // What Flovi signed, and the same value after `json.dumps(json.loads(body))`.
    let signed = r#"{"event":"reservation_state_changed","driver":{"name":"Jürgen Müller"},"costs":{"total":12.5},"plates":["ÄB-12"]}"#;
    let python = r#"{"event": "reservation_state_changed", "driver": {"name": "J\u00fcrgen M\u00fcller"}, "costs": {"total": 12.5}, "plates": ["\u00c4B-12"]}"#;
    let body = dir.path().join("body.json");
    std::fs::write(&body, python).unwrap();
    let header = format!("x-hub-signature: {}", hmac_hex("flovi-secret", signed.as_bytes()));
    let args = [
        "verify",
        "--provider",
        "flovi",
        "--secret-env",
        "FLOVI_SECRET",
        "--header",
        &header,
        "--body-file",
        body.to_str().unwrap(),
    ];
    let env = [("FLOVI_SECRET", "flovi-secret")];
    let out = cli_with_env(&args, &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.starts_with("invalid"), "{shown}");
    assert!(shown.contains("re-serialised"), "{shown}");
    assert!(shown.contains("separators"), "{shown}");
    assert!(shown.contains("non-ASCII escaped"), "{shown}");
    assert!(!shown.contains("wrong secret"), "{shown}");
    assert!(!shown.contains("flovi-secret"), "the secret is never printed");

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = cli_with_env(&json_args, &env);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reason"]["kind"], "bodyChanged", "{v}");
    let change = v["reason"]["change"].as_str().unwrap();
    assert!(change.starts_with("JSON re-serialised ("), "{change}");
    assert!(change.contains(r"ü → \u00fc"), "{change}");
    assert_eq!(v["matchedSecret"], "current", "{v}");

    // A body whose value changed is not a re-serialisation: wrong secret, as before.
    std::fs::write(&body, python.replace("12.5", "13.5")).unwrap();
    let out = cli_with_env(&json_args, &env);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reason"]["kind"], "wrongSecret", "{v}");
}

/// A one-shot HTTP receiver on 127.0.0.1 that answers 200 and hands over the raw request.
fn receiver() -> (String, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut reader = BufReader::new(stream);
        let mut raw = Vec::new();
        let mut length = 0;
        loop {
            let mut line = Vec::new();
            reader.read_until(b'\n', &mut line).unwrap();
            let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
            if let Some(v) = text.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            raw.extend_from_slice(&line);
            if line == b"\r\n" || line.is_empty() {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        raw.extend_from_slice(&body);
        let mut stream = reader.into_inner();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .unwrap();
        tx.send(raw).unwrap();
    });
    (url, rx)
}

/// The values of header `name` (any case) in a raw HTTP request.
fn raw_header(raw: &[u8], name: &str) -> Vec<(String, String)> {
    let head = String::from_utf8_lossy(raw);
    let head = head.split("\r\n\r\n").next().unwrap();
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, v)| (n.to_owned(), v.trim().to_owned()))
        .collect()
}

/// Replays `id` re-signed with `body_file` as the body; the raw request the receiver got and
/// the record of what was sent.
fn resigned_replay(data: &Path, id: u64, body_file: &Path) -> (Vec<u8>, serde_json::Value) {
    let (url, got) = receiver();
    let out = cli(&[
        "replay",
        &id.to_string(),
        "--to",
        &url,
        "--resign",
        "--body-file",
        body_file.to_str().unwrap(),
        "--json",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let raw = got.recv_timeout(Duration::from_secs(60)).unwrap();
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (raw, results[0].clone())
}

fn sent_header(result: &serde_json::Value, name: &str) -> Vec<(String, String)> {
    result["record"]["requestHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn resigned_replays_keep_the_captured_signature_form() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    set_secret(&data, "flovi", "fv-secret");
    set_secret(&data, "flowella", "fw-secret");
    let serve = Serve::start(&data, &[]);
    let body = r#"{"event":"reservation_state_changed","reservation":"r-1","state":"taken"}"#;
    let edited = body.replace("taken", "driving");
    let edited_file = dir.path().join("edited.json");
    std::fs::write(&edited_file, &edited).unwrap();

    // Flovi as its docs' text describes it: a bare hex digest in a lower-case header.
    let bare = hmac_hex("fv-secret", body.as_bytes());
    let id = capture(
        &serve,
        "/flovi",
        &[("content-type", b"application/json"), ("x-hub-signature", bare.as_bytes())],
        body.as_bytes(),
    );
    assert_eq!(list_json(&data, &[])[0]["signature"], "valid");
    let (raw, result) = resigned_replay(&data, id, &edited_file);
    let expected = hmac_hex("fv-secret", edited.as_bytes());
    let on_wire = raw_header(&raw, "x-hub-signature");
    assert_eq!(on_wire.len(), 1, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(on_wire[0].1, expected, "bare hex, as captured, not sha256=");
    assert!(raw.ends_with(edited.as_bytes()));
    assert_eq!(sent_header(&result, "x-hub-signature"), [("x-hub-signature".into(), expected)]);
    assert!(
        result["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("bare hex")),
        "{result}"
    );

    // The prefixed form, captured with the prefix: it stays prefixed.
    let prefixed = format!("sha256={bare}");
    let id =
        capture(&serve, "/flovi", &[("X-Hub-Signature", prefixed.as_bytes())], body.as_bytes());
    let (raw, result) = resigned_replay(&data, id, &edited_file);
    let expected = format!("sha256={}", hmac_hex("fv-secret", edited.as_bytes()));
    assert_eq!(raw_header(&raw, "x-hub-signature")[0].1, expected);
    assert_eq!(sent_header(&result, "x-hub-signature"), [("X-Hub-Signature".into(), expected)]);

    // Flowella signs bare hex; a handler that got `sha256=` in its own header keeps getting it.
    let flowella = format!("sha256={}", hmac_hex("fw-secret", body.as_bytes()));
    let id = capture(
        &serve,
        "/flowella",
        &[("x-flowella-signature", flowella.as_bytes())],
        body.as_bytes(),
    );
    assert_eq!(list_json(&data, &["--limit", "1"])[0]["signature"], "valid");
    let (raw, result) = resigned_replay(&data, id, &edited_file);
    let expected = format!("sha256={}", hmac_hex("fw-secret", edited.as_bytes()));
    let on_wire = raw_header(&raw, "x-flowella-signature");
    assert_eq!(on_wire.len(), 1, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(on_wire[0].1, expected);
    assert_eq!(
        sent_header(&result, "x-flowella-signature"),
        [("x-flowella-signature".into(), expected)]
    );
    serve.terminate();
}
