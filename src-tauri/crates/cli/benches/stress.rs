//! What a public URL must survive, measured against a release `hookscope-cli serve`.
//!
//! ```text
//! cargo bench -p hookscope-cli --bench stress
//! ```
//!
//! Each scenario gets a fresh `serve` (default flags, loopback only) and a fresh data dir, and
//! prints one labelled line of figures with the target it is held to (reported, never asserted):
//!
//! - slow bodies: 1 000 connections send their headers, then trickle the body 1 byte every 2 s;
//!   meanwhile ordinary 1 KiB POSTs go out at 10 a second on new connections: p50/p99/max
//!   latency and how many were not answered within 5 s;
//! - oversized claims: 1 000 connections each claim a 25 MiB Content-Length and send 1 KiB:
//!   `serve`'s peak RSS (VmHWM);
//! - big bodies: 200 concurrent 5 MiB bodies: peak RSS and how they were answered;
//! - WAL: a flood of 1 KiB POSTs over 64 connections for 20 s with `list --search` run in a
//!   loop beside it: the write-ahead log's peak size, its size when the flood ends, and what is
//!   left on disk after a clean exit;
//! - SIGKILL: a flood is cut short by SIGKILL; every id answered 2xx is looked up in the store.
//!
//! `serve` runs with a soft limit of 1 024 open files, the usual default of a desktop session
//! (its hard limit stays as inherited); this process raises its own soft limit to hold all its
//! connections. A `serve` whose RSS passes 6 GiB is killed, so a bad build cannot take the
//! machine down; the line says so.
//!
//! Environment: `HOOKSCOPE_STRESS_FLOOD_SECS` (WAL flood, default 20),
//! `HOOKSCOPE_STRESS_NOFILE` (`serve`'s soft open-file limit, default 1 024),
//! `HOOKSCOPE_STRESS_RSS_CAP_MIB` (default 6 144).
//!
//! Without `--bench` (under `cargo test --benches`) every scenario runs at a small fraction of
//! its size, to prove the harness works without costing minutes.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use anyhow::{Context, Result, ensure};
use common::{grouped, mib, millis, seconds};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const CLI: &str = env!("CARGO_BIN_EXE_hookscope-cli");
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// An ordinary request not answered in this long counts as timed out.
const ORDINARY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connecting takes longer than this only when the listener's backlog is full.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TRICKLE_EVERY: Duration = Duration::from_secs(2);
const CLAIM: u64 = 25 * 1024 * 1024;
const FLOOD_CONNECTIONS: usize = 64;
const TARGET_LATENCY: Duration = Duration::from_secs(1);
const TARGET_RSS_MIB: f64 = 300.0;
const TARGET_WAL_MIB: f64 = 256.0;
const DB_FILE: &str = "hookscope.db";

fn main() -> ExitCode {
    // Cargo passes `--bench` only from `cargo bench`.
    let full = std::env::args().any(|arg| arg == "--bench");
    match Settings::from_env(full).and_then(|settings| run(&settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("stress bench failed: {err:#}");
            ExitCode::FAILURE
        }
    }
}

struct Settings {
    slow_connections: usize,
    ordinary_requests: usize,
    claims: usize,
    big_bodies: usize,
    big_body_len: usize,
    flood: Duration,
    kill_after: Duration,
    nofile: u64,
    rss_cap_kib: u64,
}

impl Settings {
    fn from_env(full: bool) -> Result<Self> {
        let s = if full {
            Self {
                slow_connections: 1_000,
                ordinary_requests: 100,
                claims: 1_000,
                big_bodies: 200,
                big_body_len: 5 * 1024 * 1024,
                flood: Duration::from_secs(20),
                kill_after: Duration::from_secs(5),
                nofile: 1_024,
                rss_cap_kib: 6 * 1024 * 1024,
            }
        } else {
            Self {
                slow_connections: 20,
                ordinary_requests: 5,
                claims: 20,
                big_bodies: 4,
                big_body_len: 1024 * 1024,
                flood: Duration::from_millis(500),
                kill_after: Duration::from_millis(500),
                nofile: 1_024,
                rss_cap_kib: 6 * 1024 * 1024,
            }
        };
        Ok(Self {
            flood: Duration::from_secs_f64(env_or(
                "HOOKSCOPE_STRESS_FLOOD_SECS",
                s.flood.as_secs_f64(),
            )?),
            nofile: env_or("HOOKSCOPE_STRESS_NOFILE", s.nofile)?,
            rss_cap_kib: env_or("HOOKSCOPE_STRESS_RSS_CAP_MIB", s.rss_cap_kib / 1024)? * 1024,
            ..s
        })
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match std::env::var(name) {
        Ok(value) => {
            value.trim().parse().with_context(|| format!("{name}={value:?} is not a number"))
        }
        Err(_) => Ok(default),
    }
}

fn run(settings: &Settings) -> Result<()> {
    let own_limit = raise_nofile_limit(settings)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the load runtime")?;
    let mut lines = vec![format!(
        "stress bench: `hookscope-cli serve` with default flags, open-file limit {} (soft); this \
         process {}",
        grouped(settings.nofile),
        grouped(own_limit)
    )];

    progress("slow bodies");
    lines.push(runtime.block_on(slow_bodies(settings))?);
    progress("oversized claims");
    lines.push(runtime.block_on(oversized_claims(settings))?);
    progress("big bodies");
    lines.push(runtime.block_on(big_bodies(settings))?);
    progress("WAL during a flood with searches");
    lines.push(runtime.block_on(wal_during_flood(settings))?);
    progress("SIGKILL during a flood");
    lines.push(runtime.block_on(sigkill_during_flood(settings))?);

    println!();
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

fn progress(what: &str) {
    eprintln!("stress bench: {what}…");
}

/// Raises this process's soft open-file limit to what its connections need (at most the hard
/// limit); returns the new soft limit.
fn raise_nofile_limit(settings: &Settings) -> Result<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let wanted = (settings.slow_connections.max(settings.claims) as u64 + 1_024).max(4_096);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= wanted {
        return Ok(current);
    }
    let raised = limit.maximum.map_or(wanted, |max| wanted.min(max));
    let mut new = limit;
    new.current = Some(raised);
    setrlimit(Resource::Nofile, new).context("cannot raise the open-file limit")?;
    Ok(raised)
}

/// A `serve` under test, killed when dropped so no run leaves processes behind.
struct Server {
    child: Child,
    addr: SocketAddr,
    data_dir: PathBuf,
    _dir: tempfile::TempDir,
    rss_guard: Option<RssGuard>,
}

impl Server {
    fn start(settings: &Settings, extra: &[&str]) -> Result<Self> {
        let dir = tempfile::tempdir().context("cannot create a data dir")?;
        let data_dir = dir.path().join("data");
        // The shell lowers the soft limit, then becomes `serve` (same pid): set before it runs,
        // so `serve` may still raise it towards the hard limit itself.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -Sn "$0" && exec "$@""#)
            .arg(settings.nofile.to_string())
            .arg(CLI)
            .arg("serve")
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start hookscope-cli serve")?;
        let stdout = child.stdout.take();
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            _dir: dir,
            rss_guard: None,
        };
        let stdout = stdout.context("child stdout is not piped")?;
        server.addr = announced_addr(stdout).context("hookscope-cli serve did not start")?;
        server.rss_guard = Some(RssGuard::start(server.child.id(), settings.rss_cap_kib));
        Ok(server)
    }

    fn status(&self) -> Option<String> {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()
    }

    /// Peak resident memory so far (VmHWM), in KiB.
    fn peak_kib(&self) -> Option<u64> {
        status_field(&self.status()?, "VmHWM:")
    }

    /// The soft open-file limit `serve` runs with (it may have raised it itself).
    fn nofile(&self) -> Option<u64> {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.child.id())).ok()?;
        let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
        line.trim_start_matches("Max open files").split_whitespace().next()?.parse().ok()
    }

    /// Open file descriptors.
    fn fds(&self) -> Option<u64> {
        let dir = std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).ok()?;
        Some(dir.count() as u64)
    }

    fn capped(&self) -> bool {
        self.rss_guard.as_ref().is_some_and(|g| g.tripped.load(Ordering::Relaxed))
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn signal(&self, signal: rustix::process::Signal) -> Result<()> {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, signal).context("cannot signal serve")
    }

    /// SIGTERM, then waits up to 30 s for the exit (SIGKILL after that).
    fn terminate(&mut self) -> Result<bool> {
        self.signal(rustix::process::Signal::TERM)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        Ok(false)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wal_len(&self) -> u64 {
        file_len(&self.data_dir.join(format!("{DB_FILE}-wal")))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn status_field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
}

/// Kills `serve` once its RSS passes the cap: a bench must not take the machine down.
struct RssGuard {
    tripped: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl RssGuard {
    fn start(pid: u32, cap_kib: u64) -> Self {
        let tripped = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, s) = (tripped.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
                    return;
                };
                if status_field(&status, "VmRSS:").is_some_and(|rss| rss > cap_kib) {
                    t.store(true, Ordering::Relaxed);
                    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Self { tripped, stop }
    }
}

impl Drop for RssGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads the `local: http://HOST:PORT` line `serve` prints first.
fn announced_addr(stdout: ChildStdout) -> Result<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader.read_line(&mut line).map(|_| line);
        let _ = tx.send(read);
        // Keep draining, so a `serve` that prints more never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = rx
        .recv_timeout(STARTUP_TIMEOUT)
        .context("no address printed in time")?
        .context("cannot read its stdout")?;
    line.trim()
        .strip_prefix("local: http://")
        .and_then(|addr| addr.parse().ok())
        .with_context(|| format!("unexpected first line {line:?}"))
}

async fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(stream) => {
            let stream = stream?;
            stream.set_nodelay(true)?;
            Ok(stream)
        }
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

fn head(path: &str, content_length: u64) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\n\r\n"
    )
    .into_bytes()
}

fn request(path: &str, body: &[u8]) -> Vec<u8> {
    let mut out = head(path, body.len() as u64);
    out.extend_from_slice(body);
    out
}

/// A Fleiko-style 1 KiB event; `seq` keeps each one distinct.
fn json_body(seq: u64) -> Vec<u8> {
    let mut body = format!(
        "{{\"id\":\"evt_{seq:08}\",\"type\":\"job.completed\",\"data\":{{\"office\":\"Rotterdam \
         Noord\",\"note\":\""
    )
    .into_bytes();
    body.resize(1021, b'n');
    body.extend_from_slice(b"\"}}");
    body
}

/// A response: status and, for a 2xx from capture, the delivery id.
struct Answer {
    status: u16,
    id: Option<u64>,
}

/// Reads one Content-Length framed response from `stream` into `buf` (which may hold bytes
/// already) and leaves anything after it in `buf`.
async fn read_answer(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Answer> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = response.parse(buf).map_err(|e| invalid(&e.to_string()))?;
        if let httparse::Status::Complete(len) = parsed {
            let status = response.code.unwrap_or(0);
            let body_len: usize = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < len + body_len {
                fill(stream, buf).await?;
            }
            let id = (200..300)
                .contains(&status)
                .then(|| {
                    serde_json::from_slice::<serde_json::Value>(&buf[len..len + body_len]).ok()
                })
                .flatten()
                .and_then(|v| v["id"].as_u64());
            buf.drain(..len + body_len);
            return Ok(Answer { status, id });
        }
        fill(stream, buf).await?;
    }
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.reserve(4096);
    if stream.read_buf(buf).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// One request on a new connection, bounded by `timeout`.
async fn one_request(addr: SocketAddr, raw: &[u8], timeout: Duration) -> Result<Answer, Failure> {
    let attempt = async {
        let mut stream = connect(addr).await?;
        stream.write_all(raw).await?;
        read_answer(&mut stream, &mut Vec::new()).await
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(_)) => Err(Failure::Error),
        Err(_) => Err(Failure::TimedOut),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Failure {
    TimedOut,
    Error,
}

/// How a set of requests was answered.
#[derive(Default)]
struct Statuses {
    ok: u64,
    other: std::collections::BTreeMap<u16, u64>,
    timed_out: u64,
    errors: u64,
}

impl Statuses {
    fn record(&mut self, outcome: &Result<Answer, Failure>) {
        match outcome {
            Ok(a) if (200..300).contains(&a.status) => self.ok += 1,
            Ok(a) => *self.other.entry(a.status).or_default() += 1,
            Err(Failure::TimedOut) => self.timed_out += 1,
            Err(Failure::Error) => self.errors += 1,
        }
    }

    fn summary(&self) -> String {
        let mut parts = vec![format!("{} 2xx", grouped(self.ok))];
        for (status, count) in &self.other {
            parts.push(format!("{} {status}", grouped(*count)));
        }
        if self.timed_out > 0 {
            parts.push(format!("{} timed out", grouped(self.timed_out)));
        }
        if self.errors > 0 {
            parts.push(format!("{} connection errors", grouped(self.errors)));
        }
        parts.join(", ")
    }
}

/// Connections that hold their request open: each sends `head` and `first` body bytes, then
/// one more byte every `trickle` (if any) until stopped or the server answers or closes.
struct Holders {
    /// Connection attempts that have finished, opened or not.
    attempted: Arc<AtomicU64>,
    opened: Arc<AtomicU64>,
    ended_by_server: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Holders {
    fn start(
        addr: SocketAddr,
        count: usize,
        head: Vec<u8>,
        first: usize,
        trickle: Option<Duration>,
    ) -> Self {
        let attempted = Arc::new(AtomicU64::new(0));
        let opened = Arc::new(AtomicU64::new(0));
        let ended = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = watch::channel(false);
        let head: Arc<[u8]> = head.into();
        let tasks = (0..count)
            .map(|_| {
                let (attempted, opened, ended, head) =
                    (attempted.clone(), opened.clone(), ended.clone(), head.clone());
                let mut stopped = stopped.clone();
                tokio::spawn(async move {
                    let mut first_bytes = head.to_vec();
                    first_bytes.resize(head.len() + first, b'x');
                    let stream = match connect(addr).await {
                        Ok(mut stream) => stream.write_all(&first_bytes).await.map(|()| stream),
                        Err(err) => Err(err),
                    };
                    attempted.fetch_add(1, Ordering::Relaxed);
                    let Ok(mut stream) = stream else { return };
                    opened.fetch_add(1, Ordering::Relaxed);
                    let mut buf = [0u8; 1024];
                    loop {
                        let tick = async {
                            match trickle {
                                Some(every) => tokio::time::sleep(every).await,
                                None => std::future::pending().await,
                            }
                        };
                        tokio::select! {
                            _ = stopped.changed() => return,
                            _ = stream.read(&mut buf) => {
                                // An answer (408, 413, 503…) or a close: either way it is over.
                                ended.fetch_add(1, Ordering::Relaxed);
                                return;
                            }
                            () = tick => {
                                if stream.write_all(b"x").await.is_err() {
                                    ended.fetch_add(1, Ordering::Relaxed);
                                    return;
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        Self { attempted, opened, ended_by_server: ended, stop, tasks }
    }

    /// Waits until every connection attempt has finished (bounded by the connect timeout).
    async fn settle(&self, count: usize) {
        let deadline = Instant::now() + CONNECT_TIMEOUT + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.attempted.load(Ordering::Relaxed) as usize >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn open_now(&self) -> u64 {
        self.opened
            .load(Ordering::Relaxed)
            .saturating_sub(self.ended_by_server.load(Ordering::Relaxed))
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn slow_bodies(settings: &Settings) -> Result<String> {
    let server = Server::start(settings, &[])?;
    let n = settings.slow_connections;
    let started = Instant::now();
    let holders =
        Holders::start(server.addr, n, head("/fleiko/slow", 100_000), 1, Some(TRICKLE_EVERY));
    holders.settle(n).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let opened = holders.opened.load(Ordering::Relaxed);
    let fds = server.fds();
    let nofile = server.nofile();

    // Ordinary deliveries on a fixed schedule, each on a new connection.
    let interval = Duration::from_millis(100);
    let mut tasks = Vec::with_capacity(settings.ordinary_requests);
    for i in 0..settings.ordinary_requests {
        let raw = request("/fleiko/ordinary", &json_body(i as u64));
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let outcome = one_request(addr, &raw, ORDINARY_TIMEOUT).await;
            (outcome, sent.elapsed())
        }));
        tokio::time::sleep(interval).await;
    }
    let mut statuses = Statuses::default();
    let mut latencies = Vec::new();
    for task in tasks {
        let (outcome, took) = task.await.context("a request task panicked")?;
        statuses.record(&outcome);
        if outcome.is_ok() {
            latencies.push(took);
        }
    }
    latencies.sort_unstable();
    let still_open = holders.open_now();
    let held_for = started.elapsed();
    holders.stop().await;

    let max = latencies.last().copied();
    let met = statuses.ok == settings.ordinary_requests as u64
        && max.is_some_and(|max| max < TARGET_LATENCY);
    Ok(format!(
        "slow bodies ({} connections, 1 byte every {} s): {} opened, {} still open after {} s, \
         serve holds {} fds (its limit: {})\n  ordinary POST latency while held: p50 {}  p99 {}  max {}  \
         ({} sent at 10/s: {}; target all answered, max < {} s: {}){}",
        grouped(n as u64),
        TRICKLE_EVERY.as_secs(),
        grouped(opened),
        grouped(still_open),
        seconds(held_for),
        fds.map_or("?".to_owned(), grouped),
        nofile.map_or("?".to_owned(), grouped),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        max.map_or("-".to_owned(), millis),
        settings.ordinary_requests,
        statuses.summary(),
        TARGET_LATENCY.as_secs(),
        verdict(met),
        capped_note(&server, settings),
    ))
}

async fn oversized_claims(settings: &Settings) -> Result<String> {
    let server = Server::start(settings, &[])?;
    let n = settings.claims;
    let holders = Holders::start(server.addr, n, head("/fleiko/claim", CLAIM), 1024, None);
    holders.settle(n).await;
    // Time for the server to act on every claim it has read.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let opened = holders.opened.load(Ordering::Relaxed);
    let still_open = holders.open_now();
    let peak = server.peak_kib();
    let fds = server.fds();
    holders.stop().await;
    Ok(format!(
        "oversized claims ({} connections, each Content-Length 25 MiB, 1 KiB sent): peak RSS {} \
         (target < {TARGET_RSS_MIB:.0} MiB: {}); {} opened, {} still held, serve holds {} fds{}",
        grouped(n as u64),
        peak.map_or("?".to_owned(), mib_text),
        verdict(peak.is_some_and(|p| mib(p) < TARGET_RSS_MIB) && !server.capped()),
        grouped(opened),
        grouped(still_open),
        fds.map_or("?".to_owned(), grouped),
        capped_note(&server, settings),
    ))
}

async fn big_bodies(settings: &Settings) -> Result<String> {
    let server = Server::start(settings, &[])?;
    let n = settings.big_bodies;
    let len = settings.big_body_len;
    let mut body = Vec::with_capacity(len);
    while body.len() < len {
        body.extend_from_slice(b"0123456789abcdef");
    }
    body.truncate(len);
    let raw: Arc<[u8]> = request("/fleiko/big", &body).into();
    drop(body);
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let raw = raw.clone();
            let addr = server.addr;
            tokio::spawn(async move { one_request(addr, &raw, Duration::from_secs(120)).await })
        })
        .collect();
    let mut statuses = Statuses::default();
    for task in tasks {
        statuses.record(&task.await.context("a request task panicked")?);
    }
    let took = started.elapsed();
    let peak = server.peak_kib();
    Ok(format!(
        "big bodies ({} concurrent, {} each): peak RSS {} (target < {TARGET_RSS_MIB:.0} MiB: {}); \
         {} in {} s{}",
        grouped(n as u64),
        mib_text(len as u64 / 1024),
        peak.map_or("?".to_owned(), mib_text),
        verdict(peak.is_some_and(|p| mib(p) < TARGET_RSS_MIB) && !server.capped()),
        statuses.summary(),
        seconds(took),
        capped_note(&server, settings),
    ))
}

/// A closed-loop flood: `FLOOD_CONNECTIONS` keep-alive connections each send the next 1 KiB
/// POST as soon as the last is answered, until `stop` says so. Returns the 2xx answers' ids
/// and how every request was answered.
async fn flood(addr: SocketAddr, stop: watch::Receiver<bool>) -> (Vec<u64>, Statuses) {
    let seq = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..FLOOD_CONNECTIONS)
        .map(|_| {
            let seq = seq.clone();
            let mut stop = stop.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                let mut statuses = Statuses::default();
                let mut conn: Option<TcpStream> = None;
                let mut buf = Vec::new();
                while !*stop.borrow() {
                    let raw =
                        request("/fleiko/flood", &json_body(seq.fetch_add(1, Ordering::Relaxed)));
                    let attempt = async {
                        let stream = match &mut conn {
                            Some(stream) => stream,
                            None => {
                                buf.clear();
                                conn.insert(connect(addr).await?)
                            }
                        };
                        stream.write_all(&raw).await?;
                        read_answer(stream, &mut buf).await
                    };
                    let outcome = tokio::select! {
                        _ = stop.changed() => break,
                        outcome = tokio::time::timeout(Duration::from_secs(30), attempt) => outcome,
                    };
                    let outcome = match outcome {
                        Ok(Ok(answer)) => Ok(answer),
                        Ok(Err(_)) => Err(Failure::Error),
                        Err(_) => Err(Failure::TimedOut),
                    };
                    statuses.record(&outcome);
                    match outcome {
                        Ok(answer) => {
                            ids.extend(answer.id.filter(|_| (200..300).contains(&answer.status)))
                        }
                        Err(_) => {
                            conn = None;
                            // The server is gone or refusing: do not spin on it.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                (ids, statuses)
            })
        })
        .collect();
    let mut ids = Vec::new();
    let mut all = Statuses::default();
    for task in tasks {
        if let Ok((part, statuses)) = task.await {
            ids.extend(part);
            all.ok += statuses.ok;
            all.timed_out += statuses.timed_out;
            all.errors += statuses.errors;
            for (status, count) in statuses.other {
                *all.other.entry(status).or_default() += count;
            }
        }
    }
    (ids, all)
}

async fn wal_during_flood(settings: &Settings) -> Result<String> {
    let mut server = Server::start(settings, &[])?;
    let (stop, stopped) = watch::channel(false);
    let flooding = tokio::spawn(flood(server.addr, stopped));

    // Searches, one after another, for as long as the flood lasts.
    let searching = Arc::new(AtomicBool::new(true));
    let data_dir = server.data_dir.clone();
    let searcher = {
        let searching = searching.clone();
        std::thread::spawn(move || {
            let (mut runs, mut failed, mut slowest) = (0u64, 0u64, Duration::ZERO);
            while searching.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = Command::new(CLI)
                    .args(["list", "--search", "completed", "--limit", "20", "--data-dir"])
                    .arg(&data_dir)
                    .env("RUST_LOG", "error")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                slowest = slowest.max(started.elapsed());
                runs += 1;
                if !status.is_ok_and(|s| s.success()) {
                    failed += 1;
                }
            }
            (runs, failed, slowest)
        })
    };

    let wal_path = server.data_dir.join(format!("{DB_FILE}-wal"));
    let deadline = Instant::now() + settings.flood;
    let mut peak = 0;
    while Instant::now() < deadline {
        peak = peak.max(file_len(&wal_path));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    let (ids, statuses) = flooding.await.context("the flood panicked")?;
    searching.store(false, Ordering::Relaxed);
    let (runs, failed, slowest) =
        searcher.join().map_err(|_| anyhow::anyhow!("searcher panicked"))?;
    peak = peak.max(server.wal_len());
    let at_end = server.wal_len();
    let clean = server.terminate()?;
    let after_exit = server.wal_len();
    let rate = ids.len() as f64 / settings.flood.as_secs_f64();
    Ok(format!(
        "WAL during a {} s flood ({FLOOD_CONNECTIONS} connections, 1 KiB) with `list --search` in \
         a loop: peak {} (target < {TARGET_WAL_MIB:.0} MiB: {}), {} when the flood ended, {} left \
         after {}; {} ({} 2xx/s), {} searches ({} failed, slowest {}){}",
        seconds(settings.flood),
        mib_text(peak / 1024),
        verdict(mib(peak / 1024) < TARGET_WAL_MIB),
        mib_text(at_end / 1024),
        mib_text(after_exit / 1024),
        if clean { "a clean exit (SIGTERM)" } else { "SIGTERM did not end it in 30 s (killed)" },
        statuses.summary(),
        grouped(rate.round() as u64),
        grouped(runs),
        grouped(failed),
        millis(slowest),
        capped_note(&server, settings),
    ))
}

async fn sigkill_during_flood(settings: &Settings) -> Result<String> {
    // Retention well above anything a short flood delivers, so nothing acknowledged is pruned.
    let mut server = Server::start(settings, &["--retention", "10000000"])?;
    let (stop, stopped) = watch::channel(false);
    let flooding = tokio::spawn(flood(server.addr, stopped));
    tokio::time::sleep(settings.kill_after).await;
    // Mid-flood: requests are in flight on every connection.
    server.signal(rustix::process::Signal::KILL)?;
    let _ = server.child.wait();
    let _ = stop.send(true);
    let (mut acked, statuses) = flooding.await.context("the flood panicked")?;
    acked.sort_unstable();
    acked.dedup();
    ensure!(!server.alive(), "serve survived SIGKILL");

    let db = rusqlite::Connection::open(server.data_dir.join(DB_FILE))
        .context("cannot open the killed server's store")?;
    let mut query = db.prepare("SELECT id FROM deliveries").context("cannot read deliveries")?;
    let stored: HashSet<u64> = query
        .query_map([], |row| row.get::<_, i64>(0))?
        .filter_map(|id| id.ok())
        .map(|id| id.max(0) as u64)
        .collect();
    let kept = acked.iter().filter(|id| stored.contains(id)).count() as u64;
    let missing = acked.len() as u64 - kept;
    Ok(format!(
        "SIGKILL after {} s of flood: {} acknowledged (2xx), {} of them stored, {} missing \
         (target 0 missing: {}); {} rows in the store; the flood saw {}",
        seconds(settings.kill_after),
        grouped(acked.len() as u64),
        grouped(kept),
        grouped(missing),
        verdict(missing == 0 && !acked.is_empty()),
        grouped(stored.len() as u64),
        statuses.summary(),
    ))
}

fn capped_note(server: &Server, settings: &Settings) -> String {
    if server.capped() {
        format!("  [serve passed {} RSS and was killed]", mib_text(settings.rss_cap_kib))
    } else {
        String::new()
    }
}

fn percentile(sorted: &[Duration], q: f64) -> String {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).map_or("-".to_owned(), |d| millis(*d))
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn mib_text(kib: u64) -> String {
    format!("{:.1} MiB", mib(kib))
}
