//! The listener against hostile and faulty clients, over real sockets against the real
//! `hookscope-cli serve`: bodies that stall or trickle, a thousand connections held open,
//! lengths claimed but never sent, more body bytes at once than memory should hold, and
//! absolute-form request targets.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hookscope_e2e::{RawResponse, Serve, exchange, list_json, post, show};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The peak resident memory `serve` may reach in the memory scenarios.
const RSS_BOUND_KIB: u64 = 300 * 1024;

/// Lets this process hold a thousand sockets: raises its soft open-file limit towards the
/// hard one (never above it, so this cannot fail for lack of privileges).
fn allow_many_sockets() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let want = limit.maximum.unwrap_or(u64::MAX).min(16_384);
    if limit.current.is_some_and(|current| current < want) {
        let raised = Rlimit { current: Some(want), maximum: limit.maximum };
        setrlimit(Resource::Nofile, raised).unwrap();
    }
}

/// A line of `/proc/PID/status` in KiB (`VmHWM`, `VmRSS`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// How many files (sockets included) the process has open.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

/// Reads one response off an async stream (Content-Length framed, as the listener answers).
async fn read_response(stream: &mut (impl AsyncReadExt + Unpin)) -> std::io::Result<RawResponse> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(RawResponse { status, headers, body })
}

fn header<'a>(response: &'a RawResponse, name: &str) -> Option<&'a str> {
    response.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Sends `raw` while reading the answer, so an answer given before the whole request was
/// taken (a refusal) is read even though the rest of the request can no longer be written.
async fn send(addr: SocketAddr, raw: Vec<u8>) -> std::io::Result<RawResponse> {
    let stream = TcpStream::connect(addr).await?;
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        // A refused request's connection is closed under the writer: that is expected.
        let _ = writer.write_all(&raw).await;
        writer
    });
    let response = tokio::time::timeout(Duration::from_secs(60), read_response(&mut reader))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?;
    drop(writing.await);
    response
}

fn post_bytes(path: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// Holds a connection that claims `claim` body bytes, sends `first` of them, then one more
/// every `every` (starting `offset` in) until `stop`. Returns whether the server still had it
/// open at the end.
async fn slow_body(
    addr: SocketAddr,
    claim: u64,
    first: usize,
    (every, offset): (Duration, Duration),
    stop: Arc<AtomicBool>,
    started: Arc<AtomicUsize>,
) -> Slow {
    let Ok(mut stream) = TcpStream::connect(addr).await else { return Slow::NotConnected };
    let mut raw = format!("POST /slow HTTP/1.1\r\nHost: test\r\nContent-Length: {claim}\r\n\r\n")
        .into_bytes();
    raw.extend(std::iter::repeat_n(b'.', first));
    if stream.write_all(&raw).await.is_err() {
        return Slow::NotConnected;
    }
    started.fetch_add(1, Ordering::Relaxed);
    let mut next = tokio::time::Instant::now() + offset;
    loop {
        // A closed connection shows up as a readable end of stream (or a reset).
        let mut probe = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return Slow::Closed;
        }
        if stop.load(Ordering::Relaxed) {
            return Slow::Held;
        }
        tokio::time::sleep_until(next.min(tokio::time::Instant::now() + STOP_CHECK)).await;
        if tokio::time::Instant::now() >= next {
            if stream.write_all(b".").await.is_err() {
                return Slow::Closed;
            }
            next += every;
        }
    }
}

/// How a slow-body connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slow {
    /// It never got its head sent: the machine's own limits, not serve's doing.
    NotConnected,
    /// serve closed it while its body was still coming.
    Closed,
    /// Still open when the test stopped it.
    Held,
}

/// How often a slow sender looks whether it should stop.
const STOP_CHECK: Duration = Duration::from_millis(250);

/// Opens `n` slow-body connections on `runtime`; returns their handles once each has sent its
/// head (or failed to), within a bounded wait.
async fn hold_slow_bodies(
    addr: SocketAddr,
    n: usize,
    claim: u64,
    first: usize,
    every: Duration,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Slow>> {
    let started = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            // Senders start out of step, as real ones would.
            let offset = every.mul_f64((i % 100) as f64 / 100.0);
            let (stop, started) = (stop.clone(), started.clone());
            tokio::spawn(slow_body(addr, claim, first, (every, offset), stop, started))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while started.load(Ordering::Relaxed) < n && Instant::now() < deadline {
        if tasks.iter().all(|t| t.is_finished()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tasks
}

/// Ordinary deliveries sent one after the other; returns each one's latency, asserting it was
/// stored (200).
async fn ordinary_posts(addr: SocketAddr, n: usize) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for i in 0..n {
        let body = format!("{{\"type\":\"test.ping\",\"n\":{i}}}");
        let started = Instant::now();
        let response = send(addr, post_bytes("/fleiko/ordinary", body.as_bytes())).await.unwrap();
        latencies.push(started.elapsed());
        assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    latencies
}

fn describe(latencies: &[Duration]) -> String {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    format!(
        "median {:?}, max {:?} over {}",
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1],
        sorted.len()
    )
}

#[test]
fn a_stalled_or_trickling_body_is_answered_408_and_its_attempt_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &["--body-idle-timeout", "2", "--body-timeout", "4"]);

    // Ten bytes of a hundred, then nothing.
    let stalled = std::thread::spawn({
        let mut stream = serve.connect();
        move || {
            let started = Instant::now();
            let head = "POST /flovi/stalled HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                        Content-Length: 100\r\n\r\n0123456789";
            let response = exchange(&mut stream, head.as_bytes()).unwrap();
            (response, started.elapsed())
        }
    });
    // A byte every 300 ms: never idle for two seconds, but not done after four.
    let trickling = std::thread::spawn({
        let mut stream = serve.connect();
        move || {
            use std::io::Write;
            let started = Instant::now();
            stream
                .write_all(
                    b"POST /flovi/trickle HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n",
                )
                .unwrap();
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(300));
                if stream.write_all(b"x").is_err() {
                    break;
                }
                if started.elapsed() > Duration::from_millis(3300) {
                    // Close to the body deadline: stop, well before the idle one could pass.
                    break;
                }
            }
            let response = hookscope_e2e::read_response(&mut stream).unwrap();
            (response, started.elapsed())
        }
    });

    let (response, took) = stalled.join().unwrap();
    println!("stalled body answered {} after {took:?}", response.status);
    assert_eq!(response.status, 408, "{}", String::from_utf8_lossy(&response.body));
    assert!(took >= Duration::from_millis(1900), "answered before the idle deadline: {took:?}");
    assert!(took < Duration::from_secs(15), "{took:?}");
    let error = response.json();
    assert_eq!(error["captured"], false);
    assert!(error["error"].as_str().unwrap().contains("no byte for 2 s"), "{error}");
    let stalled_id = error["id"].as_u64().unwrap();

    let (response, took) = trickling.join().unwrap();
    println!("trickling body answered {} after {took:?}", response.status);
    assert_eq!(response.status, 408, "{}", String::from_utf8_lossy(&response.body));
    assert!(took >= Duration::from_millis(3900), "answered before the body deadline: {took:?}");
    let error = response.json();
    assert!(error["error"].as_str().unwrap().contains("not complete after 4 s"), "{error}");
    let trickle_id = error["id"].as_u64().unwrap();

    let listed = list_json(dir.path(), &[]);
    let find = |id: u64| listed.iter().find(|d| d["id"].as_u64() == Some(id)).unwrap();
    let stalled = find(stalled_id);
    assert_eq!(stalled["responseStatus"], 408);
    assert_eq!(stalled["bodyStored"], false);
    assert_eq!(stalled["bodySize"], 10, "the bytes that had arrived");
    assert_eq!(stalled["path"], "/flovi/stalled");
    assert_eq!(stalled["contentType"], "application/json");
    assert!(show(dir.path(), stalled_id, &["--raw"]).is_empty());
    let trickled = find(trickle_id);
    assert_eq!(trickled["responseStatus"], 408);
    assert_eq!(trickled["bodyStored"], false);

    // The listener carries on as usual.
    assert_eq!(post(&serve, "/flovi", &[], b"{}").status, 200);
}

/// A thousand connections trickle a body a byte every few seconds while ordinary deliveries
/// are sent; returns how many slow connections were still open at the end.
fn slow_bodies_and_ordinary_posts(extra: &[&str]) -> (usize, usize, usize) {
    allow_many_sockets();
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), extra);
    let addr = serve.addr;
    let pid = serve.child.id();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (ends, files) = runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let every = Duration::from_secs(3);
        let tasks = hold_slow_bodies(addr, 1000, 1000, 10, every, &stop).await;
        // Let them trickle for a while, as an attacker's would.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let files = open_files(pid);
        let latencies = ordinary_posts(addr, 10).await;
        println!(
            "{extra:?}: ordinary POST latency with 1000 slow bodies: {}",
            describe(&latencies)
        );
        for latency in &latencies {
            assert!(*latency < Duration::from_secs(5), "{latency:?}");
        }
        stop.store(true, Ordering::Relaxed);
        let mut ends = Vec::new();
        for task in tasks {
            ends.push(task.await.unwrap());
        }
        (ends, files)
    });
    let count = |what: Slow| ends.iter().filter(|&&e| e == what).count();
    let (held, closed) = (count(Slow::Held), count(Slow::Closed));
    println!(
        "{extra:?}: {held} slow connections still open, {closed} closed by serve, {} never \
         connected; serve had {files} files open",
        count(Slow::NotConnected)
    );
    // Every slow body ended in a recorded attempt too: look past them.
    let stored = list_json(dir.path(), &["--limit", "5000"]);
    assert_eq!(stored.iter().filter(|d| d["path"] == "/fleiko/ordinary").count(), 10);
    (held, closed, files)
}

#[test]
fn ordinary_posts_are_answered_quickly_while_a_thousand_slow_bodies_are_held() {
    let (held, _, files) = slow_bodies_and_ordinary_posts(&[]);
    // Nearly all: the test's own client, a thousand tasks on two threads, now and then sees a
    // connection end that a plain socket client does not.
    assert!(held >= 900, "under the default cap the slow connections are held: {held}");
    assert!(files >= 900, "serve held the connections: {files} files open");
}

#[test]
fn at_a_connection_cap_below_a_thousand_the_stalest_make_room() {
    let (held, _, files) = slow_bodies_and_ordinary_posts(&["--max-connections", "200"]);
    assert!(held <= 200, "{held} slow connections outlived a cap of 200");
    assert!(files <= 200 + 64, "the cap bounds the files serve holds: {files}");
}

#[test]
fn a_thousand_claims_of_25_mib_keep_memory_bounded() {
    allow_many_sockets();
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let addr = serve.addr;
    let pid = serve.child.id();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let claim = 25 * 1024 * 1024;
        let tasks = hold_slow_bodies(addr, 1000, claim, 1024, Duration::from_secs(2), &stop).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let latencies = ordinary_posts(addr, 3).await;
        println!("ordinary POST latency with 1000 claims of 25 MiB: {}", describe(&latencies));
        stop.store(true, Ordering::Relaxed);
        let mut open = 0;
        for task in tasks {
            open += usize::from(task.await.unwrap() == Slow::Held);
        }
        assert!(open >= 900, "the claims were held while memory was measured: {open}");
    });
    let peak = status_kib(pid, "VmHWM");
    println!("peak RSS with 1000 claims of 25 MiB: {} MiB", peak / 1024);
    assert!(peak < RSS_BOUND_KIB, "peak RSS {} MiB", peak / 1024);
}

#[test]
fn two_hundred_concurrent_5_mib_bodies_are_stored_or_refused_503_within_bounded_memory() {
    allow_many_sockets();
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let addr = serve.addr;
    let pid = serve.child.id();
    let body: Arc<Vec<u8>> = Arc::new((0..5 * 1024 * 1024).map(|i| (i % 251) as u8).collect());
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let responses = runtime.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let body = body.clone();
                tokio::spawn(async move {
                    send(addr, post_bytes(&format!("/flovi/bulk{i}"), &body)).await
                })
            })
            .collect();
        let mut responses = Vec::new();
        for task in tasks {
            responses.push(task.await.unwrap().unwrap());
        }
        responses
    });
    let peak = status_kib(pid, "VmHWM");
    let mut stored = Vec::new();
    let mut refused = 0;
    for response in &responses {
        match response.status {
            200 => stored.push(response.json()["id"].as_u64().unwrap()),
            503 => {
                let retry = header(response, "retry-after").expect("503 without Retry-After");
                assert!(retry.parse::<u64>().unwrap() > 0);
                assert_eq!(response.json()["captured"], false);
                refused += 1;
            }
            other => panic!("answered {other}: {}", String::from_utf8_lossy(&response.body)),
        }
    }
    println!(
        "200 concurrent 5 MiB bodies: {} stored, {refused} refused 503; peak RSS {} MiB",
        stored.len(),
        peak / 1024
    );
    assert!(peak < RSS_BOUND_KIB, "peak RSS {} MiB", peak / 1024);
    assert!(!stored.is_empty(), "some bodies fit the in-flight budget");
    let listed = list_json(dir.path(), &["--limit", "1000"]);
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body.as_slice()));
    for id in stored {
        let delivery = listed.iter().find(|d| d["id"].as_u64() == Some(id));
        let delivery = delivery.unwrap_or_else(|| panic!("answered 200 but #{id} is not stored"));
        assert_eq!(delivery["bodyStored"], true);
        assert_eq!(delivery["bodySha256"].as_str(), Some(sha.as_str()));
    }
    let refused_listed = listed.iter().filter(|d| d["responseStatus"] == 503).count();
    assert_eq!(refused_listed, refused, "every refusal's attempt is recorded");
}

#[test]
fn a_body_beyond_the_in_flight_cap_gets_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &["--max-in-flight", "1048576"]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let big = vec![b'b'; 2 * 1024 * 1024];
    let response = runtime.block_on(send(serve.addr, post_bytes("/fleiko/big", &big))).unwrap();
    assert_eq!(response.status, 503, "{}", String::from_utf8_lossy(&response.body));
    assert!(header(&response, "retry-after").is_some(), "{:?}", response.headers);
    let error = response.json();
    assert_eq!(error["captured"], false);
    assert_eq!(error["limit"], 1_048_576);
    assert!(error["error"].as_str().unwrap().contains("in flight"), "{error}");
    let id = error["id"].as_u64().unwrap();

    // The refused body's memory was given back: one within the budget is stored.
    let small = vec![b's'; 512 * 1024];
    let ok = runtime.block_on(send(serve.addr, post_bytes("/fleiko/small", &small))).unwrap();
    assert_eq!(ok.status, 200);

    let listed = list_json(dir.path(), &[]);
    let attempt = listed.iter().find(|d| d["id"].as_u64() == Some(id)).unwrap();
    assert_eq!(attempt["responseStatus"], 503);
    assert_eq!(attempt["bodyStored"], false);
    assert_eq!(attempt["path"], "/fleiko/big");
}

#[test]
fn absolute_form_targets_are_stored_byte_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(dir.path(), &[]);
    let target = "http://Hooks.Example.COM:8080/fleiko/abs?x=1&y=%20z";
    let raw = format!(
        "POST {target} HTTP/1.1\r\nHost: Hooks.Example.COM:8080\r\nX-Mixed-CASE: a\r\n\
         content-type: application/json\r\nx-mixed-case: b\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    let mut stream = serve.connect();
    let response = exchange(&mut stream, raw.as_bytes()).unwrap();
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    let id = response.json()["id"].as_u64().unwrap();
    let detail: serde_json::Value =
        serde_json::from_slice(&show(dir.path(), id, &["--json"])).unwrap();
    assert_eq!(detail["target"], target);
    assert_eq!(detail["path"], "/fleiko/abs", "routed by its path");
    assert_eq!(detail["query"], "x=1&y=%20z");
    assert_eq!(detail["endpoint"], "fleiko");
    let headers: Vec<(String, String)> = serde_json::from_value(detail["headers"].clone()).unwrap();
    let expected: Vec<(String, String)> = [
        ("Host", "Hooks.Example.COM:8080"),
        ("X-Mixed-CASE", "a"),
        ("content-type", "application/json"),
        ("x-mixed-case", "b"),
        ("Content-Length", "2"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    assert_eq!(headers, expected);
    assert_eq!(show(dir.path(), id, &["--raw"]), b"{}");

    // An origin-form target reads back as sent too.
    let response = post(&serve, "/flovi/plain?a=1", &[], b"x");
    let id = response.json()["id"].as_u64().unwrap();
    let detail: serde_json::Value =
        serde_json::from_slice(&show(dir.path(), id, &["--json"])).unwrap();
    assert_eq!(detail["target"], "/flovi/plain?a=1");
}
