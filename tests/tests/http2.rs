//! HTTP/2 over cleartext on the capture port, through the real `serve`: prior knowledge with
//! hyper's HTTP/2 client, `Upgrade: h2c` with a client written frame by frame (no client
//! library continues an upgraded connection), and the limits an HTTP/1 request meets.

#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};

use hookscope_e2e::{Serve, exchange, fleiko_headers, list_json, post, set_secret, show};

type Body = BoxBody<Bytes, Infallible>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A body sent as one DATA frame (at least) per part, of unknown length.
fn in_parts(parts: Vec<Vec<u8>>) -> Body {
    let frames = parts.into_iter().map(|p| Ok(Frame::data(Bytes::from(p))));
    StreamBody::new(futures::stream::iter(frames)).boxed()
}

async fn connect(addr: SocketAddr) -> SendRequest<Body> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    send
}

/// Sends one request; the answer's status and body.
async fn send(
    client: &mut SendRequest<Body>,
    serve: &Serve,
    method: &str,
    target: &str,
    headers: &[(&str, &[u8])],
    body: Body,
) -> (u16, Bytes) {
    let mut request = hyper::Request::builder().method(method).uri(serve.url(target));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    client.ready().await.unwrap();
    let response = client.send_request(request.body(body).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().collect().await.unwrap().to_bytes())
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

fn shown(serve: &Serve, id: u64) -> serde_json::Value {
    json(&show(&serve.data_dir, id, &["--json"]))
}

fn header_names(detail: &serde_json::Value) -> Vec<String> {
    detail["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap().to_owned())
        .collect()
}

/// 40 KiB that are not UTF-8 (every byte value, over and over), in three uneven parts.
fn binary_parts() -> Vec<Vec<u8>> {
    let all: Vec<u8> = (0..40 * 1024).map(|i| (i * 7 % 256) as u8).collect();
    vec![all[..1].to_vec(), all[1..20_000].to_vec(), all[20_000..].to_vec()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prior_knowledge_requests_are_captured_like_http1_ones() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let mut client = connect(serve.addr).await;
    let parts = binary_parts();
    let body: Vec<u8> = parts.concat();
    assert!(std::str::from_utf8(&body).is_err());
    let headers: &[(&str, &[u8])] = &[
        ("content-type", b"application/octet-stream"),
        ("x-zeta", b"first"),
        ("x-alpha", b"second"),
        ("x-dup", b"1"),
        ("x-dup", b"2"),
        ("x-bytes", b"caf\xc3\xa9"),
    ];
    let (status, answer) =
        send(&mut client, &serve, "PUT", "/flovi/jobs?b=2&a=1", headers, in_parts(parts)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let answer = json(&answer);
    assert_eq!(answer["captured"], true);
    let id = answer["id"].as_u64().unwrap();

    let d = shown(&serve, id);
    assert_eq!(d["method"], "PUT");
    assert_eq!(d["path"], "/flovi/jobs");
    assert_eq!(d["query"], "b=2&a=1");
    assert_eq!(d["httpVersion"], "HTTP/2.0");
    assert_eq!(d["bodySize"], body.len());
    // The authority arrived as `:authority`, recorded in the target; no Host was invented.
    assert_eq!(d["target"], serve.url("/flovi/jobs?b=2&a=1"));
    let names = header_names(&d);
    assert!(!names.iter().any(|n| n == "host" || n.starts_with(':')), "{names:?}");
    let sent: Vec<&String> = names.iter().filter(|n| n.starts_with("x-")).collect();
    assert_eq!(sent, ["x-zeta", "x-alpha", "x-dup", "x-dup", "x-bytes"], "in the order sent");
    assert_eq!(d["headers"][0], serde_json::json!(["content-type", "application/octet-stream"]));
    assert!(d["headers"].as_array().unwrap().contains(&serde_json::json!(["x-dup", "2"])));
    assert_eq!(show(&serve.data_dir, id, &["--raw"]), body, "the body byte for byte");

    // The same answer as over HTTP/1.
    let http1 = post(&serve, "/flovi/jobs", &[], b"{}");
    assert_eq!(http1.status, 200);
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&answer), keys(&http1.json()));

    // HAR export tells the protocol.
    let data = serve.data_dir.to_str().unwrap();
    let out = hookscope_e2e::cli(&["export", "--data-dir", data, "--format", "har"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let har = json(&out.stdout);
    let entries = har["log"]["entries"].as_array().unwrap();
    let versions: Vec<&str> =
        entries.iter().map(|e| e["request"]["httpVersion"].as_str().unwrap()).collect();
    assert!(versions.contains(&"HTTP/2.0") && versions.contains(&"HTTP/1.1"), "{versions:?}");
    let text = hookscope_e2e::cli(&["show", &id.to_string(), "--data-dir", data]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("HTTP/2.0"));
}

/// `export` of every delivery in `data`, in `format`.
fn export(data: &std::path::Path, format: &str) -> Vec<u8> {
    let out =
        hookscope_e2e::cli(&["export", "--data-dir", data.to_str().unwrap(), "--format", format]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Each HAR entry's request URL and protocol.
fn har_requests(har: &[u8]) -> Vec<(String, String)> {
    let har = json(har);
    let entries = har["log"]["entries"].as_array().unwrap();
    let field = |e: &serde_json::Value, k: &str| e["request"][k].as_str().unwrap().to_owned();
    entries.iter().map(|e| (field(e, "url"), field(e, "httpVersion"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_and_absolute_form_deliveries_export_the_url_they_were_sent_to() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let mut client = connect(serve.addr).await;
    let headers: &[(&str, &[u8])] = &[("content-type", b"application/json")];
    let (status, _) = send(&mut client, &serve, "POST", "/flovi/h2?a=1", headers, full("{}")).await;
    assert_eq!(status, 200);
    // HTTP/1 with an absolute-form target naming another host than Host does.
    let absolute = "http://hooks.example.test:8080/fleiko/abs?x=1";
    let raw = format!(
        "POST {absolute} HTTP/1.1\r\nHost: other.example.test\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    let response = exchange(&mut serve.connect(), raw.as_bytes()).unwrap();
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));

    // The authority the HTTP/2 client used: the real address, not `localhost`.
    let h2_url = serve.url("/flovi/h2?a=1");
    assert!(h2_url.starts_with("http://127.0.0.1:"), "{h2_url}");
    let expected =
        vec![(h2_url.clone(), "HTTP/2.0".to_owned()), (absolute.to_owned(), "HTTP/1.1".to_owned())];
    let har = export(dir.path(), "har");
    assert_eq!(har_requests(&har), expected);
    let curl = String::from_utf8(export(dir.path(), "curl")).unwrap();
    assert!(curl.contains(&format!("curl -X 'POST' '{h2_url}'")), "{curl}");
    assert!(curl.contains(&format!("curl -X 'POST' '{absolute}'")), "{curl}");

    // Imported elsewhere and exported again, the URLs stay.
    let file = dir.path().join("sent.har");
    std::fs::write(&file, &har).unwrap();
    let copy = tempfile::tempdir().unwrap();
    let data = copy.path().to_str().unwrap();
    let out = hookscope_e2e::cli(&["import", file.to_str().unwrap(), "--data-dir", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(har_requests(&export(copy.path(), "har")), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_streams_on_one_connection_are_all_stored() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let client = connect(serve.addr).await;
    let serve = std::sync::Arc::new(serve);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let mut client = client.clone();
        let serve = serve.clone();
        tasks.push(tokio::spawn(async move {
            let body = in_parts(vec![format!("part one of {i};").into(), b" part two".to_vec()]);
            let target = format!("/stream/{i}");
            let (status, answer) = send(&mut client, &serve, "POST", &target, &[], body).await;
            assert_eq!(status, 200);
            (i, json(&answer)["id"].as_u64().unwrap())
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    let listed = list_json(&serve.data_dir, &["--limit", "100"]);
    assert_eq!(listed.len(), 20);
    for (i, id) in ids {
        let d = listed.iter().find(|d| d["id"].as_u64() == Some(id)).unwrap();
        assert_eq!(d["path"], format!("/stream/{i}"));
        let body = show(&serve.data_dir, id, &["--raw"]);
        assert_eq!(body, format!("part one of {i}; part two").as_bytes());
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_delivery_verifies_over_http2() {
    let dir = tempfile::tempdir().unwrap();
    set_secret(dir.path(), "fleiko", "whsec_fleiko");
    let serve = Serve::start(dir.path(), &[]);
    let mut client = connect(serve.addr).await;
    let body = r#"{"id":"evt_h2","type":"job.completed","created":1700000000,"company_id":"co_1","api_version":"2024-01-01","data":{"job_id":"job_2"}}"#;
    let signed = fleiko_headers("whsec_fleiko", now(), body, "dlv_h2", 1);
    let headers: Vec<(&str, &[u8])> =
        signed.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    // Split mid-body: the signature covers the bytes, not the frames.
    let parts = vec![body.as_bytes()[..30].to_vec(), body.as_bytes()[30..].to_vec()];
    let (status, answer) =
        send(&mut client, &serve, "POST", "/fleiko", &headers, in_parts(parts)).await;
    assert_eq!(status, 200);
    let id = json(&answer)["id"].as_u64().unwrap();
    let d = list_json(dir.path(), &[]).into_iter().find(|d| d["id"] == id).unwrap();
    assert_eq!(d["provider"], "fleiko");
    assert_eq!(d["signature"], "valid", "{d}");
    assert_eq!(d["eventType"], "job.completed");

    // A tampered body does not.
    let tampered = body.replace("job_2", "job_3");
    let (status, answer) =
        send(&mut client, &serve, "POST", "/fleiko", &headers, full(tampered)).await;
    assert_eq!(status, 200);
    let id = json(&answer)["id"].as_u64().unwrap();
    let d = list_json(dir.path(), &[]).into_iter().find(|d| d["id"] == id).unwrap();
    assert_eq!(d["signature"], "invalid", "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_body_over_the_limit_gets_413_and_its_attempt_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &["--max-body", "1024"]);
    let mut client = connect(serve.addr).await;
    // Declared (hyper sends content-length for a body of known size) and found while reading.
    let (status, answer) =
        send(&mut client, &serve, "POST", "/big", &[], full(vec![7u8; 2048])).await;
    assert_eq!(status, 413);
    let declared = json(&answer);
    assert!(declared["error"].as_str().unwrap().contains("1024"), "{declared}");
    let mut client = connect(serve.addr).await;
    let parts = vec![vec![1u8; 1000], vec![2u8; 1000]];
    let (status, answer) = send(&mut client, &serve, "POST", "/big", &[], in_parts(parts)).await;
    assert_eq!(status, 413);
    let streamed = json(&answer);

    let (status, _) = send(&mut client, &serve, "POST", "/ok", &[], full(vec![3u8; 1024])).await;
    assert_eq!(status, 200, "the connection serves on after a refused stream");
    let listed = list_json(dir.path(), &[]);
    assert_eq!(listed.len(), 3);
    for refused in [declared, streamed] {
        let id = refused["id"].as_u64().unwrap();
        let attempt = listed.iter().find(|d| d["id"].as_u64() == Some(id)).unwrap();
        assert_eq!(attempt["responseStatus"], 413);
        assert_eq!(attempt["bodyStored"], false);
        assert!(show(dir.path(), id, &["--raw"]).is_empty());
    }
}

// Frame by frame, for what client libraries cannot send or do not do.

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

struct Frame2 {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// The next frame, or None once the server closed the connection.
fn read_frame(tcp: &mut TcpStream) -> Option<Frame2> {
    let mut head = [0u8; 9];
    if tcp.read_exact(&mut head).is_err() {
        return None;
    }
    let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).ok()?;
    let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    Some(Frame2 { kind: head[3], flags: head[4], stream, payload })
}

/// HPACK integer with an `n`-bit prefix (RFC 7541 §5.1), `first` holding the pattern bits.
fn hpack_int(first: u8, n: u32, value: usize, out: &mut Vec<u8>) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(first | value as u8);
        return;
    }
    out.push(first | max as u8);
    let mut rest = value - max;
    while rest >= 128 {
        out.push((rest % 128 + 128) as u8);
        rest /= 128;
    }
    out.push(rest as u8);
}

/// A literal field without indexing, with a literal name (no Huffman).
fn literal(name: &str, value: &[u8], out: &mut Vec<u8>) {
    out.push(0x00);
    hpack_int(0, 7, name.len(), out);
    out.extend_from_slice(name.as_bytes());
    hpack_int(0, 7, value.len(), out);
    out.extend_from_slice(value);
}

/// `:method POST`, `:scheme http`, then `:path` and `:authority` as literals with indexed
/// names, then `extra` headers.
fn request_block(path: &str, authority: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut block = vec![0x83, 0x86];
    hpack_int(0x00, 4, 4, &mut block);
    hpack_int(0, 7, path.len(), &mut block);
    block.extend_from_slice(path.as_bytes());
    hpack_int(0x00, 4, 1, &mut block);
    hpack_int(0, 7, authority.len(), &mut block);
    block.extend_from_slice(authority.as_bytes());
    for (name, value) in extra {
        literal(name, value, &mut block);
    }
    block
}

/// Reads frames until stream `id` has answered completely: the first byte of its header
/// block (0x88 is `:status 200` from the static table) and its body.
fn answer_on(tcp: &mut TcpStream, id: u32) -> (u8, Vec<u8>) {
    let mut status = None;
    let mut body = Vec::new();
    loop {
        let f = read_frame(tcp).expect("the connection stayed open until the answer");
        if f.kind == SETTINGS && f.flags & 1 == 0 {
            tcp.write_all(&frame(SETTINGS, 1, 0, &[])).unwrap();
        }
        assert_ne!(f.kind, GOAWAY, "the server gave up the connection");
        assert!(!(f.kind == RST_STREAM && f.stream == id), "stream {id} was reset");
        if f.stream != id {
            continue;
        }
        if f.kind == HEADERS {
            status = Some(f.payload[0]);
        }
        if f.kind == DATA {
            body.extend_from_slice(&f.payload);
        }
        if f.flags & END_STREAM != 0 {
            return (status.expect("headers before the end"), body);
        }
    }
}

#[test]
fn an_h2c_upgrade_captures_the_request_and_continues_in_http2() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let mut tcp = serve.connect();
    let body: &[u8] = b"upgrade body \xff\xfe\x00 bytes";
    let head = format!(
        "POST /flowella/up?x=1 HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade, HTTP2-Settings\r\n\
         Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nX-Case: Kept\r\n\
         Content-Length: {}\r\n\r\n",
        serve.addr,
        body.len()
    );
    tcp.write_all(head.as_bytes()).unwrap();
    tcp.write_all(body).unwrap();
    // The 101 head, read byte by byte so no HTTP/2 byte is taken with it.
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        tcp.read_exact(&mut byte).unwrap();
        answer.push(byte[0]);
    }
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 101 "), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("upgrade: h2c"), "{answer}");

    let mut start = PREFACE.to_vec();
    start.extend_from_slice(&frame(SETTINGS, 0, 0, &[]));
    tcp.write_all(&start).unwrap();
    let (status, reply) = answer_on(&mut tcp, 1);
    assert_eq!(status, 0x88, "stream 1 is answered 200");
    let upgraded = json(&reply)["id"].as_u64().unwrap();

    // The connection goes on in HTTP/2: stream 3.
    let block = request_block("/flowella/next", &serve.addr.to_string(), &[("x-later", b"yes")]);
    tcp.write_all(&frame(HEADERS, END_HEADERS, 3, &block)).unwrap();
    tcp.write_all(&frame(DATA, 0, 3, b"second ")).unwrap();
    tcp.write_all(&frame(DATA, END_STREAM, 3, b"\x00request")).unwrap();
    let (status, reply) = answer_on(&mut tcp, 3);
    assert_eq!(status, 0x88);
    let next = json(&reply)["id"].as_u64().unwrap();

    let d = shown(&serve, upgraded);
    assert_eq!(d["method"], "POST");
    assert_eq!(d["path"], "/flowella/up");
    assert_eq!(d["query"], "x=1");
    assert_eq!(d["httpVersion"], "HTTP/1.1", "the upgrade request itself was HTTP/1.1");
    assert!(header_names(&d).contains(&"X-Case".to_owned()), "its head is kept as sent");
    assert_eq!(show(dir.path(), upgraded, &["--raw"]), body);
    let d = shown(&serve, next);
    assert_eq!(d["httpVersion"], "HTTP/2.0");
    assert_eq!(d["path"], "/flowella/next");
    assert_eq!(d["headers"], serde_json::json!([["x-later", "yes"]]));
    assert_eq!(show(dir.path(), next, &["--raw"]), b"second \x00request");
    assert_eq!(list_json(dir.path(), &[]).len(), 2, "stream 1 was stored once");
}

/// Reads until the server closes the connection; what it sent before.
fn until_closed(tcp: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            // A reset is a close too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return all,
            Err(e) => panic!("the connection was not closed: {e}"),
        }
    }
}

#[test]
fn malformed_http2_closes_the_connection_and_serve_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    // A preface followed by frames that are not frames.
    let mut tcp = serve.connect();
    let mut garbage = PREFACE.to_vec();
    garbage.extend_from_slice(&[0xff; 64]);
    tcp.write_all(&garbage).unwrap();
    until_closed(&mut tcp);
    // Data on stream 0, after a proper start.
    let mut tcp = serve.connect();
    let mut start = PREFACE.to_vec();
    start.extend_from_slice(&frame(SETTINGS, 0, 0, &[]));
    start.extend_from_slice(&frame(DATA, 0, 0, b"nothing"));
    tcp.write_all(&start).unwrap();
    until_closed(&mut tcp);
    // A header block that does not decode.
    let mut tcp = serve.connect();
    let mut start = PREFACE.to_vec();
    start.extend_from_slice(&frame(SETTINGS, 0, 0, &[]));
    start.extend_from_slice(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0xff, 0xff, 0xff]));
    tcp.write_all(&start).unwrap();
    until_closed(&mut tcp);
    // Almost a preface: an HTTP/1 request line that cannot be parsed.
    let mut tcp = serve.connect();
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n").unwrap();
    until_closed(&mut tcp);

    assert!(list_json(dir.path(), &[]).is_empty(), "nothing was stored");
    let ok = post(&serve, "/after", &[], b"still here");
    assert_eq!(ok.status, 200);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut client = connect(serve.addr).await;
        let (status, _) = send(&mut client, &serve, "POST", "/after", &[], full("h2")).await;
        assert_eq!(status, 200);
    });
    assert_eq!(list_json(dir.path(), &[]).len(), 2);
}

#[test]
fn a_header_list_over_64_kib_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let mut tcp = serve.connect();
    let big = vec![b'a'; 70 * 1024];
    let block = request_block("/huge", "h", &[("x-big", &big)]);
    let mut start = PREFACE.to_vec();
    start.extend_from_slice(&frame(SETTINGS, 0, 0, &[]));
    // In frames no larger than the protocol's default maximum of 16 KiB.
    let pieces: Vec<&[u8]> = block.chunks(16 * 1024).collect();
    for (i, piece) in pieces.iter().enumerate() {
        let kind = if i == 0 { HEADERS } else { CONTINUATION };
        let last = i + 1 == pieces.len();
        let mut flags = if last { END_HEADERS } else { 0 };
        if i == 0 {
            flags |= END_STREAM;
        }
        start.extend_from_slice(&frame(kind, flags, 1, piece));
    }
    // The server may close before reading it all.
    let _ = tcp.write_all(&start);
    // Whatever the server says about stream 1, it is not a 200, and nothing is stored.
    let mut answered_ok = false;
    while let Some(f) = read_frame(&mut tcp) {
        if f.kind == SETTINGS && f.flags & 1 == 0 {
            let _ = tcp.write_all(&frame(SETTINGS, 1, 0, &[]));
        }
        if f.stream == 1 && f.kind == HEADERS {
            answered_ok |= f.payload.first() == Some(&0x88);
        }
        if (f.stream == 1 && (f.kind == RST_STREAM || f.flags & END_STREAM != 0))
            || f.kind == GOAWAY
        {
            break;
        }
    }
    assert!(!answered_ok, "a 64 KiB+ header list was accepted");
    assert!(list_json(dir.path(), &[]).is_empty());

    // A list just under the limit is taken.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut client = connect(serve.addr).await;
        let value = vec![b'b'; 60 * 1024];
        let headers: &[(&str, &[u8])] = &[("x-big", &value)];
        let (status, _) = send(&mut client, &serve, "POST", "/fits", headers, full("")).await;
        assert_eq!(status, 200);
    });
    let listed = list_json(dir.path(), &[]);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["path"], "/fits");
}

#[test]
fn http2_arrives_through_a_tunnel_too() {
    use std::io::BufRead;
    let _port = hookscope_e2e::bore::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let _server = hookscope_e2e::bore::BoreServer::start();
    let mut child = std::process::Command::new(hookscope_e2e::bin("hookscope-cli"))
        .args(["serve", "--listen", "127.0.0.1:0", "--tunnel", "bore"])
        .args(["--bore-server", "127.0.0.1", "--data-dir"])
        .arg(dir.path())
        .env("HOOKSCOPE_NO_KEYRING", "1")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let public = lines.find_map(|l| l.unwrap().strip_prefix("public: http://").map(str::to_owned));
    // Read on, so `serve` can go on writing.
    std::thread::spawn(move || lines.for_each(drop));
    let addr: SocketAddr = public.unwrap().trim_end_matches('/').parse().unwrap();
    let id = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut client = connect(addr).await;
        let uri = format!("http://{addr}/flovi/tunnelled");
        let request = hyper::Request::post(uri).body(full(&b"via bore \xff"[..])).unwrap();
        client.ready().await.unwrap();
        let response = client.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let answer = response.into_body().collect().await.unwrap().to_bytes();
        json(&answer)["id"].as_u64().unwrap()
    });
    let d = json(&show(dir.path(), id, &["--json"]));
    assert_eq!(d["viaTunnel"], "bore");
    assert_eq!(d["httpVersion"], "HTTP/2.0");
    assert_eq!(show(dir.path(), id, &["--raw"]), b"via bore \xff");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_connection_without_a_request_is_closed_after_the_header_read_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    // A proper start, then a header block that never ends: no request ever completes.
    let mut tcp = serve.connect();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(90))).unwrap();
    let mut start = PREFACE.to_vec();
    start.extend_from_slice(&frame(SETTINGS, 0, 0, &[]));
    start.extend_from_slice(&frame(HEADERS, 0, 1, &request_block("/never", "h", &[])));
    tcp.write_all(&start).unwrap();
    // The 30 s timeout closes it; the 90 s read timeout only keeps a failure from hanging.
    until_closed(&mut tcp);
    assert!(list_json(dir.path(), &[]).is_empty());
}
