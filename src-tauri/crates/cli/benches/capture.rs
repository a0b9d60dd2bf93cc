//! Capture throughput, latency, durability and memory, measured against a bare axum handler.
//!
//! ```text
//! cargo bench -p hookscope-cli --bench capture
//! ```
//!
//! One run loads two servers, each in its own process so both are measured the same way:
//! the real `hookscope-cli serve` and a bare axum handler (this executable, started again with
//! `HOOKSCOPE_BENCH_BARE=1`) that reads the body and stores nothing. The same load generator
//! sends 1 KiB JSON bodies over 64 keep-alive connections:
//!
//! - closed loop for a fixed time: throughput of each, and capture as a share of bare;
//! - open loop at 1 000 req/s: p50/p90/p99/max latency from each request's *scheduled* send
//!   time, so a stalled server is charged for the requests it delayed;
//! - durability: `serve` is killed with SIGKILL and the store is read back with
//!   `hookscope-cli list`: every 2xx answer's id must be there;
//! - memory: a fresh `serve` takes 100 000 deliveries, then its peak and current RSS are read.
//!
//! Targets (capture >= 40 % of bare, RSS < 64 MiB) are reported, never asserted.
//!
//! Environment: `HOOKSCOPE_BENCH_SECS` (closed-loop seconds, default 8),
//! `HOOKSCOPE_BENCH_OPEN_SECS` (open-loop seconds, default 5), `HOOKSCOPE_BENCH_RSS_COUNT`
//! (deliveries before RSS is read, default 100 000).
//!
//! Without `--bench` (that is, under `cargo test --benches`) the same steps run for a fraction
//! of a second each, to prove the harness still works without costing minutes.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use anyhow::{Context, Result, bail, ensure};
use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use common::{grouped, mib, millis, seconds};
use hookscope_core::capture::DEFAULT_MAX_BODY;
use hookscope_core::store::{DEFAULT_RETENTION, DeliverySummary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};

/// Set in the environment of the child that serves the bare handler.
const BARE_ENV: &str = "HOOKSCOPE_BENCH_BARE";
const CLI: &str = env!("CARGO_BIN_EXE_hookscope-cli");
const CONNECTIONS: usize = 64;
const BODY_LEN: usize = 1024;
const REQUEST_PATH: &str = "/fleiko/bench";
const OPEN_RATE: u64 = 1_000;
const TARGET_SHARE: f64 = 40.0;
const TARGET_RSS_MIB: f64 = 64.0;
/// Rows read back after the kill: enough to show the last groups committed before it.
const TAIL_CHECKED: u64 = 10_000;
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// A request that takes longer than this counts as an error rather than hanging the run.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

// The same allocator as `hookscope-cli`, so the bare handler is measured on equal terms.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let outcome = if std::env::var_os(BARE_ENV).is_some() {
        run_bare()
    } else {
        // Cargo passes `--bench` only from `cargo bench`; other arguments are filters meant
        // for libtest, which this harness does not have.
        let full = std::env::args().any(|arg| arg == "--bench");
        Settings::from_env(full).and_then(|settings| run(&settings))
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("capture bench failed: {err:#}");
            ExitCode::FAILURE
        }
    }
}

struct Settings {
    warmup: Duration,
    closed: Duration,
    open: Duration,
    rss_count: u64,
    /// Gives up on the RSS load after this long, so a slow build still finishes.
    rss_cap: Duration,
}

impl Settings {
    fn from_env(full: bool) -> Result<Self> {
        let (warmup, closed, open, rss_count) =
            if full { (1.0, 8.0, 5.0, 100_000) } else { (0.1, 0.5, 0.5, 1_000) };
        Ok(Self {
            warmup: Duration::from_secs_f64(warmup),
            closed: Duration::from_secs_f64(env_or("HOOKSCOPE_BENCH_SECS", closed)?),
            open: Duration::from_secs_f64(env_or("HOOKSCOPE_BENCH_OPEN_SECS", open)?),
            rss_count: env_or("HOOKSCOPE_BENCH_RSS_COUNT", rss_count)?,
            rss_cap: Duration::from_secs(120),
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
    let runtime = tokio::runtime::Runtime::new().context("cannot start the load runtime")?;
    let body = json_body()?;

    progress("bare axum handler");
    let bare = Server::bare()?;
    let bare_run = runtime.block_on(measure(&bare, &body, settings))?;
    drop(bare);

    progress("hookscope capture");
    let data = tempfile::tempdir().context("cannot create a data dir")?;
    let mut capture = Server::capture(data.path())?;
    let capture_run = runtime.block_on(measure(&capture, &body, settings))?;
    // SIGKILL, not a graceful stop: whatever was answered 2xx must already be on disk.
    capture.kill()?;
    let durability = check_durability(data.path(), &capture_run)?;

    progress("serve memory");
    let rss_data = tempfile::tempdir().context("cannot create a data dir")?;
    let rss_server = Server::capture(rss_data.path())?;
    let at_start = rss_server.memory();
    let rss_load = runtime.block_on(closed_loop(
        &Target::new(rss_server.addr, &body),
        Stop::Answers(settings.rss_count, settings.rss_cap),
    ));
    let after = rss_server.memory();
    drop(rss_server);

    println!();
    println!(
        "capture bench — 1 KiB JSON, {CONNECTIONS} connections, {} s each",
        seconds(settings.closed)
    );
    let bare_rate = bare_run.closed.rate();
    let capture_rate = capture_run.closed.rate();
    println!(
        "bare axum handler   {:>7} req/s{}",
        grouped(bare_rate.round() as u64),
        failures(&bare_run.closed.tally)
    );
    let share = if bare_rate > 0.0 { 100.0 * capture_rate / bare_rate } else { 0.0 };
    println!(
        "hookscope capture   {:>7} req/s   ({share:.1} % of bare; target >= {TARGET_SHARE:.0} %: \
         {}){}",
        grouped(capture_rate.round() as u64),
        verdict(share >= TARGET_SHARE),
        failures(&capture_run.closed.tally)
    );
    println!(
        "latency at {} req/s, open loop {} s, from scheduled send time",
        grouped(OPEN_RATE),
        seconds(settings.open)
    );
    println!("  bare axum handler {}", bare_run.open.summary());
    println!("  hookscope capture {}", capture_run.open.summary());
    println!("{durability}");
    println!("{}", memory_line(&rss_load, at_start, after, settings.rss_count));
    Ok(())
}

fn progress(what: &str) {
    eprintln!("capture bench: measuring {what}…");
}

/// The body every request carries: a Fleiko-style event of exactly 1 KiB.
///
/// Filled with line items rather than one repeated character: capture indexes bodies for
/// search, and a run of identical bytes would index far faster than a real payload does.
fn json_body() -> Result<Vec<u8>> {
    let mut event = serde_json::json!({
        "id": "evt_01HZX3K9",
        "type": "job.completed",
        "created": 1_700_000_000,
        "data": {
            "job": { "id": "job_0001", "status": "completed", "office": "Rotterdam Noord" },
            "items": [],
            "note": "",
        },
    });
    for i in 1u64.. {
        let item = serde_json::json!({
            "sku": format!("FLK-{:05}", i * 7_919 % 100_000),
            "name": format!("Pallet wrap {i}"),
            "qty": i % 9 + 1,
            "unitCents": i * 1_237 % 10_000,
        });
        let items = event["data"]["items"].as_array_mut().context("items is an array")?;
        items.push(item);
        if serde_json::to_vec(&event)?.len() > BODY_LEN {
            event["data"]["items"].as_array_mut().context("items is an array")?.pop();
            break;
        }
    }
    let unpadded = serde_json::to_vec(&event)?.len();
    event["data"]["note"] = "n".repeat(BODY_LEN - unpadded).into();
    let body = serde_json::to_vec(&event)?;
    ensure!(body.len() == BODY_LEN, "body is {} bytes", body.len());
    Ok(body)
}

/// Everything measured against one server.
struct TargetRun {
    closed: Closed,
    open: Open,
    /// Answers of every phase, warm-up included: the durability check needs them all.
    all: Tally,
}

async fn measure(server: &Server, body: &[u8], settings: &Settings) -> Result<TargetRun> {
    let target = Target::new(server.addr, body);
    let warmup = closed_loop(&target, Stop::After(settings.warmup)).await;
    ensure!(
        warmup.tally.ok > 0,
        "{} answered nothing during warm-up ({} errors)",
        server.name,
        warmup.tally.errors
    );
    let closed = closed_loop(&target, Stop::After(settings.closed)).await;
    let open = open_loop(&target, settings.open).await?;
    let mut all = Tally::default();
    for tally in [&warmup.tally, &closed.tally, &open.tally] {
        all.add(tally);
    }
    Ok(TargetRun { closed, open, all })
}

/// A server under test, killed when dropped so no run leaves processes behind.
struct Server {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn capture(data_dir: &Path) -> Result<Self> {
        let mut cmd = Command::new(CLI);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        Self::spawn("hookscope-cli serve", cmd)
    }

    fn bare() -> Result<Self> {
        let exe = std::env::current_exe().context("cannot find the bench executable")?;
        let mut cmd = Command::new(exe);
        // A piped stdin lets the child notice when this process is gone, even if it was
        // killed before it could kill the child.
        cmd.env(BARE_ENV, "1").stdin(Stdio::piped());
        Self::spawn("bare axum handler", cmd)
    }

    fn spawn(name: &'static str, mut cmd: Command) -> Result<Self> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let stdout = child.stdout.take();
        // Own the child before anything else can fail, so an error still kills it.
        let mut server = Self { name, child, addr: SocketAddr::from(([127, 0, 0, 1], 0)) };
        let stdout = stdout.context("child stdout is not piped")?;
        server.addr = announced_addr(stdout).with_context(|| format!("{name} did not start"))?;
        Ok(server)
    }

    /// Peak and current resident memory, where the OS tells (Linux).
    fn memory(&self) -> Option<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().strip_suffix("kB"))
                .and_then(|kib| kib.trim().parse::<u64>().ok())
        };
        Some(Memory { peak_kib: field("VmHWM:")?, now_kib: field("VmRSS:")? })
    }

    fn kill(&mut self) -> Result<()> {
        self.child.kill().with_context(|| format!("cannot kill {}", self.name))?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the `local: http://HOST:PORT` line both servers print first.
fn announced_addr(stdout: ChildStdout) -> Result<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    // A thread, so a child that never prints cannot block the bench forever.
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = tx.send(read);
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

#[derive(Clone, Copy)]
struct Memory {
    peak_kib: u64,
    now_kib: u64,
}

/// A prebuilt request, sent as is over every connection to one server.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    request: Arc<[u8]>,
}

impl Target {
    fn new(addr: SocketAddr, body: &[u8]) -> Self {
        let mut request = format!(
            "POST {REQUEST_PATH} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        Self { addr, request: request.into() }
    }
}

/// What one request got back.
struct Answer {
    status: u16,
    /// The `id` a 2xx answer carries (capture numbers deliveries from 1).
    id: Option<u64>,
}

#[derive(serde::Deserialize)]
struct AnswerBody {
    id: u64,
}

/// One keep-alive client connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream, buf: Vec::with_capacity(4096) })
    }

    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<Answer> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        loop {
            if let Some(head) = parse_head(&self.buf)? {
                let end = head.len + head.content_length;
                while self.buf.len() < end {
                    self.fill().await?;
                }
                if self.buf.len() > end {
                    return Err(invalid("bytes after the response on an idle connection"));
                }
                let body = &self.buf[head.len..end];
                let id = (200..300)
                    .contains(&head.status)
                    .then(|| serde_json::from_slice::<AnswerBody>(body).ok())
                    .flatten()
                    .map(|answer| answer.id);
                return Ok(Answer { status: head.status, id });
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        self.buf.reserve(4096);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

struct Head {
    status: u16,
    len: usize,
    content_length: usize,
}

fn parse_head(buf: &[u8]) -> std::io::Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(buf).map_err(|e| invalid(&e.to_string()))? {
        httparse::Status::Partial => return Ok(None),
        httparse::Status::Complete(len) => len,
    };
    // Both servers answer with a fixed-size body; anything else is a framing surprise.
    let content_length = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| invalid("response without a Content-Length"))?;
    Ok(Some(Head { status: response.code.unwrap_or(0), len, content_length }))
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// Sends one request on `conn`, connecting first if needed; a failed connection is dropped so
/// the next request reconnects.
async fn send(conn: &mut Option<Conn>, target: &Target, tally: &mut Tally) -> Option<Answer> {
    let attempt = async {
        let c = match conn {
            Some(c) => c,
            None => conn.insert(Conn::open(target.addr).await?),
        };
        c.exchange(&target.request).await
    };
    match tokio::time::timeout(EXCHANGE_TIMEOUT, attempt).await {
        Ok(Ok(answer)) => {
            tally.record(&answer);
            Some(answer)
        }
        Ok(Err(_)) | Err(_) => {
            tally.errors += 1;
            *conn = None;
            None
        }
    }
}

#[derive(Default)]
struct Tally {
    ok: u64,
    non_2xx: u64,
    errors: u64,
    /// Ids carried by 2xx answers.
    ids: Vec<u64>,
}

impl Tally {
    fn record(&mut self, answer: &Answer) {
        if (200..300).contains(&answer.status) {
            self.ok += 1;
            self.ids.extend(answer.id);
        } else {
            self.non_2xx += 1;
        }
    }

    fn add(&mut self, other: &Tally) {
        self.ok += other.ok;
        self.non_2xx += other.non_2xx;
        self.errors += other.errors;
        self.ids.extend_from_slice(&other.ids);
    }
}

enum Stop {
    After(Duration),
    /// Until this many 2xx answers, or the time runs out.
    Answers(u64, Duration),
}

struct Closed {
    tally: Tally,
    elapsed: Duration,
}

impl Closed {
    fn rate(&self) -> f64 {
        self.tally.ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Every connection sends its next request as soon as the previous one is answered.
async fn closed_loop(target: &Target, stop: Stop) -> Closed {
    let started = Instant::now();
    let (deadline, quota) = match stop {
        Stop::After(time) => (started + time, None),
        Stop::Answers(count, cap) => (started + cap, Some(count)),
    };
    // Deliveries are claimed before they are sent so that exactly `quota` succeed; a
    // failed one is retried by whoever claimed it.
    let claimed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let target = target.clone();
        let claimed = claimed.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut conn = None;
            'claims: while Instant::now() < deadline {
                if quota.is_some_and(|quota| claimed.fetch_add(1, Ordering::Relaxed) >= quota) {
                    break;
                }
                loop {
                    let answered = send(&mut conn, &target, &mut tally).await;
                    let ok = answered.is_some_and(|a| (200..300).contains(&a.status));
                    if ok || quota.is_none() {
                        break;
                    }
                    if Instant::now() >= deadline {
                        break 'claims;
                    }
                    if conn.is_none() {
                        // The server refuses connections: do not spin on it.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            tally
        }));
    }
    let mut tally = Tally::default();
    for task in tasks {
        match task.await {
            Ok(part) => tally.add(&part),
            Err(_) => tally.errors += 1,
        }
    }
    Closed { tally, elapsed: started.elapsed() }
}

struct Open {
    tally: Tally,
    /// Scheduled send time to end of response, sorted.
    latencies: Vec<Duration>,
}

impl Open {
    fn percentile(&self, q: f64) -> Option<Duration> {
        let rank = (q * self.latencies.len() as f64).ceil() as usize;
        self.latencies.get(rank.max(1) - 1).copied()
    }

    fn summary(&self) -> String {
        let at = |q| self.percentile(q).map_or("-".to_owned(), millis);
        format!(
            "  p50 {:>8}   p90 {:>8}   p99 {:>8}   max {:>8}{}",
            at(0.50),
            at(0.90),
            at(0.99),
            at(1.0),
            failures(&self.tally)
        )
    }
}

/// Requests go out on a fixed schedule whether or not earlier ones were answered; latency
/// counts from the scheduled time, so time spent waiting for a free connection is included.
async fn open_loop(target: &Target, duration: Duration) -> Result<Open> {
    let total = (duration.as_secs_f64() * OPEN_RATE as f64).round() as u64;
    let interval = Duration::from_secs(1) / OPEN_RATE as u32;
    let mut conns = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        conns.push(Conn::open(target.addr).await.context("cannot connect")?);
    }
    let (tx, rx) = mpsc::unbounded_channel::<u64>();
    let slots = Arc::new(Mutex::new(rx));
    let start = Instant::now() + Duration::from_millis(20);
    // tokio's timer ticks in whole milliseconds, too coarse for a 1 ms schedule; a thread
    // sleeping on the OS clock keeps the pace.
    let pacer = std::thread::spawn(move || {
        for slot in 0..total {
            let due = start + interval * slot as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if tx.send(slot).is_err() {
                break;
            }
        }
    });
    let mut tasks = Vec::with_capacity(CONNECTIONS);
    for conn in conns {
        let target = target.clone();
        let slots = slots.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Some(conn);
            let mut tally = Tally::default();
            let mut latencies = Vec::new();
            loop {
                let slot = slots.lock().await.recv().await;
                let Some(slot) = slot else { break };
                let due = start + interval * slot as u32;
                if send(&mut conn, &target, &mut tally).await.is_some() {
                    latencies.push(due.elapsed());
                }
            }
            (tally, latencies)
        }));
    }
    let mut open = Open { tally: Tally::default(), latencies: Vec::with_capacity(total as usize) };
    for task in tasks {
        let (tally, latencies) = task.await.context("a load task panicked")?;
        open.tally.add(&tally);
        open.latencies.extend(latencies);
    }
    if pacer.join().is_err() {
        bail!("the pacer thread panicked");
    }
    open.latencies.sort_unstable();
    Ok(open)
}

/// Reads the killed server's store back and compares it with the answers it gave.
fn check_durability(data_dir: &Path, run: &TargetRun) -> Result<String> {
    let answered = &run.all;
    let limit = answered.ok.clamp(1, TAIL_CHECKED);
    let output = Command::new(CLI)
        .arg("list")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--json", "--limit", &limit.to_string()])
        .env("RUST_LOG", "warn")
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run hookscope-cli list")?;
    ensure!(output.status.success(), "hookscope-cli list failed");
    let stored: Vec<DeliverySummary> =
        serde_json::from_slice(&output.stdout).context("hookscope-cli list printed bad JSON")?;
    let newest = stored.first().map_or(0, |d| d.id.max(0) as u64);
    // Ids only advance on commit, so an answered id at or below the newest stored id was
    // committed before the kill; the newest rows must also be gapless.
    let mut ids = answered.ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let distinct = ids.len() as u64;
    let committed = ids.iter().filter(|&&id| id <= newest).count() as u64;
    let tail_gapless =
        stored.iter().zip((1..=newest).rev()).all(|(d, expected)| d.id.max(0) as u64 == expected);
    let durable = committed == answered.ok
        && distinct == answered.ok
        && newest == answered.ok
        && tail_gapless
        && answered.non_2xx == 0
        && answered.errors == 0;
    let mut line = format!(
        "durable: {} of {} 2xx answers stored ({}; newest id {} after SIGKILL, newest {} rows \
         {})",
        grouped(committed),
        grouped(answered.ok),
        verdict(durable),
        grouped(newest),
        grouped(stored.len() as u64),
        if tail_gapless { "gapless" } else { "with gaps" }
    );
    if distinct != answered.ok {
        line.push_str(&format!("; {} answers repeated an id", grouped(answered.ok - distinct)));
    }
    if answered.non_2xx + answered.errors > 0 {
        line.push_str(&format!(
            "; {} non-2xx answers, {} errors",
            grouped(answered.non_2xx),
            grouped(answered.errors)
        ));
    }
    if answered.ok > DEFAULT_RETENTION {
        line.push_str(&format!("; retention keeps the newest {}", grouped(DEFAULT_RETENTION)));
    }
    Ok(line)
}

fn memory_line(
    load: &Closed,
    at_start: Option<Memory>,
    after: Option<Memory>,
    wanted: u64,
) -> String {
    let delivered = load.tally.ok.min(wanted);
    let mut line = format!("serve RSS after {} deliveries: ", grouped(delivered));
    match after {
        Some(after) => {
            let peak = mib(after.peak_kib);
            line.push_str(&format!(
                "peak {peak:.1} MiB, now {:.1} MiB (target < {TARGET_RSS_MIB:.0} MiB: {})",
                mib(after.now_kib),
                verdict(peak < TARGET_RSS_MIB)
            ));
            if let Some(start) = at_start {
                line.push_str(&format!(", {:.1} MiB at start", mib(start.now_kib)));
            }
        }
        None => line.push_str("unavailable (no /proc on this OS)"),
    }
    if delivered < wanted {
        line.push_str(&format!(
            "; stopped short of {} after {}",
            grouped(wanted),
            seconds(load.elapsed)
        ));
    }
    line.push_str(&failures(&load.tally));
    line
}

fn failures(tally: &Tally) -> String {
    if tally.non_2xx + tally.errors == 0 {
        return String::new();
    }
    format!("   [{} non-2xx, {} errors]", grouped(tally.non_2xx), grouped(tally.errors))
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// The bare handler's process: same runtime as `serve`, a router that reads the body and
/// stores nothing.
fn run_bare() -> Result<()> {
    // The parent holds our stdin; when it closes, the parent is gone and so should we be.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "local: http://{addr}")?;
            out.flush()?;
        }
        // The capture listener disables Nagle too; keep the comparison fair.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = Router::new().fallback(bare_handler);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

async fn bare_handler(body: Body) -> Response {
    match axum::body::to_bytes(body, DEFAULT_MAX_BODY as usize).await {
        Ok(_) => ([(header::CONTENT_TYPE, "application/json")], r#"{"id":1,"captured":true}"#)
            .into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}
