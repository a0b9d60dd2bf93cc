//! The capture listener: accepts any method on any path, routes it to an endpoint by longest
//! path prefix, stores it byte-exactly and answers only once the store has committed it.

mod answer;
mod budget;
mod conns;
mod forward;
mod framing;
mod h2;
mod io;
mod tunnelled;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::analysis::{self, Captured, EndpointRuntime};
use crate::registry::{Registry, RegistryError};
use crate::store::responses::{ResponseSource, StoredResponse};
use crate::store::rules::{EndpointLab, ForwardMode};
use crate::store::{NewDelivery, StoreError, Writer};
use answer::{Plan, SequenceHits};
pub use budget::DEFAULT_MAX_IN_FLIGHT;
use budget::{BodyBuffer, Charge, InFlight};
pub use conns::DEFAULT_MAX_CONNECTIONS;
use conns::{Admission, Busy, Connections, Slot};
pub use framing::{MAX_HEADERS, RawHead, Tracker};
pub use tunnelled::TunnelEntry;

/// Largest body stored when nothing else is configured (25 MiB).
pub const DEFAULT_MAX_BODY: u64 = 25 * 1024 * 1024;
/// How long open connections may finish their request after shutdown is asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for the next body byte when nothing else is configured.
pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest time to receive a whole body when nothing else is configured.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(120);
/// What hyper may buffer per connection, and so the largest request head (64 KiB). hyper's
/// default (~400 KiB) times a thousand connections is memory a client should not command.
const MAX_BUF_SIZE: usize = 64 * 1024;
/// What a client refused for lack of room in the in-flight budget is told to wait.
const RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot listen on {addr}: address already in use")]
    AddrInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// Where the listener can be reached, for the UI's top bar and the empty state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ServerInfo {
    /// e.g. `http://127.0.0.1:8787`; empty when the listener could not start.
    pub base_url: String,
    pub data_dir: String,
    #[ts(type = "number")]
    pub max_body: u64,
    /// Why the listener is not running, when it is not.
    pub listen_error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CaptureConfig {
    pub listen: SocketAddr,
    pub max_body: u64,
    /// Longest wait between two bytes of a body before it is answered 408.
    pub body_idle_timeout: Duration,
    /// Longest time from the end of the head to the end of the body before it is answered 408.
    pub body_timeout: Duration,
    /// Open connections allowed (lowered to fit the file handle limit).
    pub max_connections: usize,
    /// Bytes all bodies in flight may hold together; past it requests are answered 503.
    pub max_in_flight: u64,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            max_body: DEFAULT_MAX_BODY,
            body_idle_timeout: DEFAULT_BODY_IDLE_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// The one-line warning due when `addr` is reachable from other machines, `None` for loopback.
pub fn exposure_warning(addr: &SocketAddr) -> Option<String> {
    (!addr.ip().to_canonical().is_loopback()).then(|| {
        format!(
            "warning: listening on {addr}: anyone who can reach this machine on the network \
             can send deliveries"
        )
    })
}

/// How long a body may take.
#[derive(Debug, Clone, Copy)]
struct BodyDeadlines {
    idle: Duration,
    total: Duration,
}

struct CaptureState {
    writer: Writer,
    registry: Registry,
    max_body: u64,
    deadlines: BodyDeadlines,
    in_flight: Arc<InFlight>,
    conns: Arc<Connections>,
    /// Sorted longest prefix first.
    /// Shared, so a capture takes its endpoint without copying names and secrets.
    endpoints: RwLock<Vec<Arc<EndpointRuntime>>>,
    /// The registry version `endpoints` was loaded at.
    version: AtomicI64,
    /// Response rules and forward targets by endpoint id, reloaded with `endpoints`.
    labs: RwLock<Arc<HashMap<i64, EndpointLab>>>,
    sequence_hits: SequenceHits,
}

/// How often a running listener looks for endpoint changes made elsewhere (the CLI, say).
const RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// A bound, not yet serving, capture listener.
pub struct Listener {
    tcp: TcpListener,
    state: Arc<CaptureState>,
}

impl Listener {
    pub async fn bind(config: &CaptureConfig, registry: &Registry) -> Result<Self, CaptureError> {
        let addr = config.listen;
        let tcp = TcpListener::bind(addr).await.map_err(|source| {
            if source.kind() == std::io::ErrorKind::AddrInUse {
                CaptureError::AddrInUse { addr }
            } else {
                CaptureError::Bind { addr, source }
            }
        })?;
        let fd_limit = conns::raise_fd_limit();
        let cap = conns::cap_for(config.max_connections, fd_limit);
        if cap < config.max_connections {
            tracing::warn!(
                "at most {cap} connections at once, not {}: the process may open only {} files",
                config.max_connections,
                fd_limit.unwrap_or_default()
            );
        }
        let state = Arc::new(CaptureState {
            writer: registry.store().writer()?,
            registry: registry.clone(),
            max_body: config.max_body,
            deadlines: BodyDeadlines { idle: config.body_idle_timeout, total: config.body_timeout },
            in_flight: InFlight::new(config.max_in_flight),
            conns: Connections::new(cap),
            endpoints: RwLock::new(Vec::new()),
            version: AtomicI64::new(i64::MIN),
            labs: RwLock::new(Arc::default()),
            sequence_hits: SequenceHits::default(),
        });
        let listener = Self { tcp, state };
        listener.handle().reload_endpoints()?;
        Ok(listener)
    }

    pub fn local_addr(&self) -> SocketAddr {
        // A bound socket always has an address; fall back to the unspecified one.
        self.tcp.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// How many connections may be open at once (the configured cap, lowered to fit the file
    /// handle limit).
    pub fn max_connections(&self) -> usize {
        self.state.conns.cap()
    }

    /// A handle to change the running listener's settings.
    pub fn handle(&self) -> ListenerHandle {
        ListenerHandle { state: self.state.clone() }
    }

    /// Serves until `shutdown` resolves, then lets open requests finish (up to a few seconds).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let router = app(self.state.clone());
        let reloader = tokio::spawn(reload_on_change(self.handle()));
        let drain = Drain::new();
        let protocols = protocols();
        tokio::pin!(shutdown);
        let mut admitted = None;
        loop {
            // Room is made before accepting, so the cap bounds the file handles in use.
            let admission = match admitted.take() {
                Some(admission) => admission,
                None => tokio::select! {
                    admission = self.state.conns.admit() => admission,
                    () = &mut shutdown => break,
                },
            };
            let (stream, remote) = tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accept failed: {err}");
                        admitted = Some(admission);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            serve_connection(&protocols, &router, admission, stream, remote, None, Some(&drain));
        }
        drop(self.tcp);
        reloader.abort();
        tokio::select! {
            () = drain.shutdown() => {}
            () = tokio::time::sleep(DRAIN_TIMEOUT) => {
                tracing::warn!("some connections were still open after {DRAIN_TIMEOUT:?}");
            }
        }
    }
}

/// Changes settings of a listener while it runs.
#[derive(Clone)]
pub struct ListenerHandle {
    state: Arc<CaptureState>,
}

impl ListenerHandle {
    /// Re-reads endpoints and their secrets (after one was added, changed or removed).
    pub fn reload_endpoints(&self) -> Result<(), RegistryError> {
        let version = self.state.registry.version()?;
        let mut endpoints = self.state.registry.runtimes()?;
        endpoints.sort_by_key(|e| std::cmp::Reverse(e.settings.path_prefix.len()));
        let labs = self.state.registry.labs()?;
        *self.state.endpoints.write().unwrap_or_else(|e| e.into_inner()) =
            endpoints.into_iter().map(Arc::new).collect();
        let mut current = self.state.labs.write().unwrap_or_else(|e| e.into_inner());
        if **current != labs {
            // A changed rule starts its sequences over: the user is setting up a new run.
            self.state.sequence_hits.reset();
            *current = Arc::new(labs);
        }
        drop(current);
        self.state.version.store(version, Ordering::Relaxed);
        Ok(())
    }

    fn reload_if_changed(&self) -> Result<(), RegistryError> {
        if self.state.registry.version()? != self.state.version.load(Ordering::Relaxed) {
            self.reload_endpoints()?;
        }
        Ok(())
    }
}

async fn reload_on_change(handle: ListenerHandle) {
    loop {
        tokio::time::sleep(RELOAD_INTERVAL).await;
        let handle = handle.clone();
        match tokio::task::spawn_blocking(move || handle.reload_if_changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!("cannot reload endpoints: {err}"),
            Err(_) => return,
        }
    }
}

#[derive(Clone)]
struct ConnInfo {
    remote: SocketAddr,
    head: Option<RawHead>,
    /// The tunnel the connection came through, if any (`"bore"`, `"ngrok"`).
    via_tunnel: Option<&'static str>,
    slot: Arc<Slot>,
}

/// The HTTP/1 and HTTP/2 servers every connection is offered to.
struct Protocols {
    http1: hyper::server::conn::http1::Builder,
    http2: hyper::server::conn::http2::Builder<TokioExecutor>,
}

fn protocols() -> Arc<Protocols> {
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_BUF_SIZE)
        .keep_alive(true);
    Arc::new(Protocols { http1, http2: h2::builder() })
}

/// Tells open connections to finish their requests and close, and waits until they have.
struct Drain(tokio::sync::watch::Sender<bool>);

/// One connection's view of a [`Drain`]; held while the connection is open.
struct Stop(Option<tokio::sync::watch::Receiver<bool>>);

impl Drain {
    fn new() -> Self {
        Self(tokio::sync::watch::Sender::new(false))
    }

    fn watcher(&self) -> Stop {
        Stop(Some(self.0.subscribe()))
    }

    async fn shutdown(self) {
        let _ = self.0.send(true);
        self.0.closed().await;
    }
}

impl Stop {
    async fn requested(&mut self) {
        match &mut self.0 {
            Some(rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
            None => std::future::pending().await,
        }
    }
}

type ConnError = Box<dyn std::error::Error + Send + Sync>;

/// Polls a hyper connection until it ends; when shutdown is asked for (or, over HTTP/2, the
/// connection has had no stream for the header read timeout) lets it finish what it is
/// answering, for at most the drain timeout.
async fn drive<C, E>(
    conn: C,
    stop: &mut Stop,
    idle: Option<&h2::Streams>,
    shut: impl FnOnce(std::pin::Pin<&mut C>),
) -> Result<(), ConnError>
where
    C: Future<Output = Result<(), E>>,
    E: Into<ConnError>,
{
    tokio::pin!(conn);
    let idle = async {
        match idle {
            Some(streams) => streams.idle_for(HEADER_READ_TIMEOUT).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = &mut conn => return result.map_err(Into::into),
        () = stop.requested() => {}
        () = idle => {}
    }
    shut(conn.as_mut());
    match tokio::time::timeout(DRAIN_TIMEOUT, conn).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err("did not finish draining in time".into()),
    }
}

/// Serves one accepted connection on its own task, in HTTP/1 (recording its raw request heads)
/// or HTTP/2. The connection is closed early when the cap needs its room (see [`conns`]).
fn serve_connection<S>(
    protocols: &Arc<Protocols>,
    router: &Router,
    admission: Admission,
    stream: S,
    remote: SocketAddr,
    via_tunnel: Option<&'static str>,
    drain: Option<&Drain>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    admission.open();
    // Tunnelled connections have no graceful drain: the tunnel closes them anyway.
    let stop = drain.map_or(Stop(None), Drain::watcher);
    let conn = Conn { remote, via_tunnel, slot: admission.slot.clone(), router: router.clone() };
    let protocols = protocols.clone();
    tokio::spawn(async move {
        let result = tokio::select! {
            result = conn.serve(&protocols, stream, stop) => Some(result),
            () = admission.slot.evicted() => None,
        };
        match result {
            Some(Ok(())) => {}
            Some(Err(err)) => tracing::debug!("connection from {remote} ended: {err}"),
            None => tracing::debug!("connection from {remote} closed to make room"),
        }
        drop(admission);
    });
}

/// What an h2c upgrade leaves for the HTTP/2 half: the way to the upgraded connection and the
/// answer to the request that asked for it.
struct Upgrade {
    on_upgrade: hyper::upgrade::OnUpgrade,
    answer: Response,
}

/// One connection and what its requests are tagged with.
#[derive(Clone)]
struct Conn {
    remote: SocketAddr,
    via_tunnel: Option<&'static str>,
    slot: Arc<Slot>,
    router: Router,
}

impl Conn {
    fn info(&self, head: Option<RawHead>) -> ConnInfo {
        ConnInfo { remote: self.remote, head, via_tunnel: self.via_tunnel, slot: self.slot.clone() }
    }

    async fn serve<S>(
        self,
        protocols: &Protocols,
        stream: S,
        mut stop: Stop,
    ) -> Result<(), ConnError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let tracker = Arc::new(Mutex::new(Tracker::default()));
        let mut io = io::TrackedStream::new(stream, tracker.clone(), self.slot.clone());
        let sniffed = tokio::select! {
            sniffed = tokio::time::timeout(HEADER_READ_TIMEOUT, h2::sniff(&mut io)) => sniffed,
            () = stop.requested() => return Ok(()),
        };
        let read = match sniffed {
            Ok(Ok(h2::Sniffed::Http2(read))) => {
                // The raw-head tracker gives up on the preface, which is no HTTP/1 head.
                let io = h2::Rewind::new(read, io);
                return self.serve_http2(protocols, io, None, &mut stop).await;
            }
            Ok(Ok(h2::Sniffed::Http1(read))) => read,
            Ok(Err(err)) => return Err(err.into()),
            Err(_) => return Err("nothing received within the header read timeout".into()),
        };
        let upgrade = Arc::new(Mutex::new(None::<Upgrade>));
        let service = {
            let conn = Arc::new(self.clone());
            let upgrade = upgrade.clone();
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                let head = tracker.lock().unwrap_or_else(|e| e.into_inner()).pop();
                req.extensions_mut().insert(conn.info(head));
                let router = conn.router.clone();
                let upgrade = upgrade.clone();
                async move {
                    if !h2::wants_upgrade(&req) {
                        return router.oneshot(req.map(Body::new)).await;
                    }
                    // Captured like any request, body and all; the answer waits for HTTP/2.
                    let on_upgrade = hyper::upgrade::on(&mut req);
                    let answer = router.oneshot(req.map(Body::new)).await?;
                    if answer.headers().contains_key(header::CONNECTION) {
                        // A refusal closes the connection: no reason to switch.
                        return Ok(answer);
                    }
                    *upgrade.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(Upgrade { on_upgrade, answer });
                    Ok(h2::switching_protocols())
                }
            })
        };
        let io = TokioIo::new(h2::Rewind::new(read, io));
        let conn = protocols.http1.serve_connection(io, service).with_upgrades();
        drive(conn, &mut stop, None, |c| c.graceful_shutdown()).await?;
        let upgrade = upgrade.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some(Upgrade { on_upgrade, answer }) = upgrade else { return Ok(()) };
        let mut upgraded = TokioIo::new(on_upgrade.await?);
        let start =
            tokio::time::timeout(HEADER_READ_TIMEOUT, h2::upgraded_start(&mut upgraded)).await;
        let start = start.map_err(|_| "no HTTP/2 preface within the header read timeout")??;
        let io = h2::Rewind::new(start, upgraded);
        self.serve_http2(protocols, io, Some(answer), &mut stop).await
    }

    /// Serves HTTP/2 on `io`; `upgraded` is the answer for stream 1 after an h2c upgrade.
    async fn serve_http2<S>(
        self,
        protocols: &Protocols,
        io: S,
        upgraded: Option<Response>,
        stop: &mut Stop,
    ) -> Result<(), ConnError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let streams = h2::Streams::new();
        let service = {
            let conn = Arc::new(self);
            let streams = streams.clone();
            let upgraded = Mutex::new(upgraded);
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                let open = streams.open();
                // Taken by the first stream whatever it is: only stream 1 is the upgrade's.
                let answer = upgraded
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .filter(|_| h2::is_upgrade_stream(&req));
                req.extensions_mut().insert(conn.info(None));
                let router = conn.router.clone();
                async move {
                    let _open = open;
                    match answer {
                        Some(answer) => Ok(answer),
                        None => router.oneshot(req.map(Body::new)).await,
                    }
                }
            })
        };
        let conn = protocols.http2.serve_connection(TokioIo::new(io), service);
        drive(conn, stop, Some(&streams), |c| c.graceful_shutdown()).await
    }
}

fn app(state: Arc<CaptureState>) -> Router {
    Router::new().fallback(capture).with_state(state)
}

/// Does `path` fall under `prefix` on a segment boundary (`/fleiko` covers `/fleiko/x`, not
/// `/fleikox`)?
pub(crate) fn under_prefix(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || path == prefix
        || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

enum BodyOutcome {
    /// The body, and its charge against the in-flight budget.
    Complete(Bytes, Charge),
    /// Over the limit: how many bytes were declared or seen before giving up.
    TooLarge(u64),
    /// No room left in the in-flight budget: how many bytes had arrived with the refused ones.
    OverBudget(u64),
    /// A deadline passed: how many bytes had arrived, and which deadline it was.
    TimedOut(u64, Expiry),
    /// The client went away or broke framing mid-body.
    Failed(u64, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// No byte for the idle timeout.
    Idle,
    /// The body as a whole took longer than the body timeout.
    Total,
}

/// When the wait for the next part of a body ends, and which deadline that is: the idle
/// timeout from now, unless the whole body's deadline comes first.
fn next_deadline(
    now: tokio::time::Instant,
    idle: Duration,
    total_end: tokio::time::Instant,
) -> (tokio::time::Instant, Expiry) {
    match now.checked_add(idle) {
        Some(idle_end) if idle_end < total_end => (idle_end, Expiry::Idle),
        _ => (total_end, Expiry::Total),
    }
}

/// Reads a body as it arrives, within the body limit, the deadlines and the in-flight budget.
async fn read_body(
    body: Body,
    declared: Option<u64>,
    max: u64,
    deadlines: BodyDeadlines,
    in_flight: &Arc<InFlight>,
) -> BodyOutcome {
    use futures::StreamExt;
    if let Some(len) = declared.filter(|&len| len > max) {
        return BodyOutcome::TooLarge(len);
    }
    // A declared length only caps how far the buffer grows: memory is taken as bytes arrive.
    let mut buf = BodyBuffer::new(in_flight, declared.unwrap_or(max));
    let mut body = body.into_data_stream();
    let start = tokio::time::Instant::now();
    let total_end = start.checked_add(deadlines.total).unwrap_or(start + Duration::from_secs(1));
    loop {
        let (deadline, expiry) =
            next_deadline(tokio::time::Instant::now(), deadlines.idle, total_end);
        let frame = match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => return BodyOutcome::TimedOut(buf.len() as u64, expiry),
        };
        match frame {
            Ok(data) => {
                let seen = buf.len() as u64 + data.len() as u64;
                if seen > max {
                    return BodyOutcome::TooLarge(declared.unwrap_or(seen));
                }
                if buf.push(&data).is_err() {
                    return BodyOutcome::OverBudget(seen);
                }
            }
            Err(err) => return BodyOutcome::Failed(buf.len() as u64, err.to_string()),
        }
    }
    let (bytes, charge) = buf.finish();
    BodyOutcome::Complete(bytes, charge)
}

/// Seconds for people: `30 s`, `0.5 s`.
fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Is `raw`, the target on the wire, the one hyper parsed into `uri`? Origin-form targets are
/// compared as text; absolute-form, authority-form and `*` by what they parse to.
fn same_target(raw: &str, uri: &Uri) -> bool {
    uri.path_and_query().is_some_and(|pq| pq.as_str() == raw)
        || raw.parse::<Uri>().is_ok_and(|parsed| parsed == *uri)
}

/// The path and query as stored, joined the way an origin-form target writes them.
fn origin_form(path: &str, query: Option<&str>) -> String {
    match query {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    }
}

/// A refused body's status and the problem recorded with it.
struct Refusal {
    status: StatusCode,
    problem: String,
    /// The limit that refused it, told to the client.
    limit: Option<u64>,
}

async fn capture(State(state): State<Arc<CaptureState>>, req: Request) -> Response {
    let started = Instant::now();
    let received_at = now_ms();
    let (mut parts, body) = req.into_parts();
    // Taken, not cloned: the recovered head is moved into the delivery as it is.
    let mut info = parts.extensions.remove::<ConnInfo>();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    // Trust the wire head only if it is the one hyper parsed for this request.
    let wire = info
        .as_mut()
        .and_then(|i| i.head.take())
        .filter(|h| h.method == method && same_target(&h.target, &parts.uri));
    let (headers, target) = match wire {
        Some(head) => (head.headers, head.target),
        None => (
            parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
            parts.uri.to_string(),
        ),
    };
    // Kept only when the path and query do not already say it (an absolute-form target).
    let target = Some(target).filter(|t| *t != origin_form(&path, query.as_deref()));
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let endpoint = state
        .endpoints
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|e| under_prefix(&path, &e.settings.path_prefix))
        .cloned();

    let outcome =
        read_body(body, declared, state.max_body, state.deadlines, &state.in_flight).await;
    // The request is complete: from here on its connection is not closed to make room.
    let _busy = info.as_ref().map(|i| Busy::new(i.slot.clone()));
    // From here to the queue is work on this thread only: let the writer wait for it.
    let coming = state.writer.coming();
    let (body, charge, body_size, refusal) = match outcome {
        BodyOutcome::Complete(bytes, charge) => {
            let size = bytes.len() as u64;
            (Some(bytes), Some(charge), size, None)
        }
        BodyOutcome::TooLarge(size) => (
            None,
            None,
            size,
            Some(Refusal {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                problem: format!("body exceeds the {} byte limit", state.max_body),
                limit: Some(state.max_body),
            }),
        ),
        BodyOutcome::OverBudget(size) => (
            None,
            None,
            size,
            Some(Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                problem: format!(
                    "too many bytes in flight: bodies being received may hold {} bytes \
                     together; retry later",
                    state.in_flight.limit()
                ),
                limit: Some(state.in_flight.limit()),
            }),
        ),
        BodyOutcome::TimedOut(size, expiry) => {
            let problem = match expiry {
                Expiry::Idle => format!(
                    "body stalled: no byte for {} ({size} bytes received)",
                    secs(state.deadlines.idle)
                ),
                Expiry::Total => format!(
                    "body not complete after {} ({size} bytes received)",
                    secs(state.deadlines.total)
                ),
            };
            (
                None,
                None,
                size,
                Some(Refusal { status: StatusCode::REQUEST_TIMEOUT, problem, limit: None }),
            )
        }
        BodyOutcome::Failed(size, err) => (
            None,
            None,
            size,
            Some(Refusal {
                status: StatusCode::BAD_REQUEST,
                problem: format!("body could not be read: {err}"),
                limit: None,
            }),
        ),
    };
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| r.status);

    let (provider, analysis) = analysis::analyse(
        endpoint.as_deref(),
        &Captured {
            method: &method,
            path: &path,
            headers: &headers,
            body: body.as_deref(),
            received_at_ms: received_at,
        },
    );
    let lab = endpoint.as_ref().and_then(|e| {
        state.labs.read().unwrap_or_else(|e| e.into_inner()).get(&e.settings.id).cloned()
    });
    // A proxied delivery gets the target's answer, so it takes no step of a sequence.
    let proxied =
        lab.as_ref().and_then(|l| l.forward.as_ref()).is_some_and(|f| f.mode == ForwardMode::Proxy);
    let plan = match (&refusal, lab.as_ref().and_then(|l| l.rule.as_ref()), &endpoint) {
        (None, Some(rule), Some(e)) if !proxied => {
            Plan::from_rule(rule, &state.sequence_hits, e.settings.id, &analysis, body.as_deref())
        }
        _ => Plan::plain(status),
    };
    // Forwarding needs the request after it has been handed to the writer.
    let outgoing = match (lab.as_ref().and_then(|l| l.forward.clone()), &endpoint, &body) {
        (Some(config), Some(e), Some(bytes)) if refusal.is_none() => {
            let url =
                forward::target_url(&config.url, &e.settings.path_prefix, &path, query.as_deref());
            Some((config, forward::request(&method, url, &headers, bytes)))
        }
        _ => None,
    };
    let delivery = NewDelivery {
        received_at,
        method,
        path,
        query,
        target,
        http_version: format!("{:?}", parts.version),
        headers,
        body,
        body_size,
        via_tunnel: info.as_ref().and_then(|i| i.via_tunnel).map(str::to_owned),
        remote_addr: info.as_ref().map(|i| i.remote.to_string()),
        endpoint_id: endpoint.as_ref().map(|e| e.settings.id),
        endpoint: endpoint.map(|e| e.settings.name.clone()),
        provider: provider.map(|p| p.as_str().to_owned()),
        response_status: plan.status.as_u16(),
        response_latency_us: (started.elapsed() + plan.delay).as_micros() as i64,
        analysis,
    };
    let bodyless_request = delivery.method == "HEAD";
    let id = match coming.insert(delivery).await {
        Ok(summary) => summary.id,
        Err(err) => {
            // No delivery, so no answer to record with one.
            tracing::error!("delivery not stored: {err}");
            return json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "captured": false, "error": format!("not stored: {err}") }),
            );
        }
    };
    let writer = &state.writer;
    match refusal {
        None => match outgoing {
            Some((config, request)) if config.mode == ForwardMode::Proxy => {
                let store = state.registry.store().clone();
                let (response, source) = forward::proxy(store, &config, id, request, started).await;
                record_answer(writer, id, source, bodyless_request, response).await
            }
            outgoing => {
                if let Some((config, request)) = outgoing {
                    // The forward's copy of the body stays charged until it is sent.
                    let store = state.registry.store().clone();
                    forward::spawn(store, config, id, request, charge);
                }
                // Recorded before the delay: should the sender hang up while it waits, the
                // answer decided for it is still kept.
                let response =
                    record_answer(writer, id, plan.source(), bodyless_request, plan.respond(id))
                        .await;
                if !plan.delay.is_zero() {
                    tokio::time::sleep(plan.delay).await;
                }
                response
            }
        },
        Some(refusal) => {
            let response = refused(&refusal, Some(id), parts.version);
            record_answer(writer, id, ResponseSource::Refusal, bodyless_request, response).await
        }
    }
}

/// Hands `response` back as it will go out, and has the writer record it for delivery `id`
/// without waiting. What hyper would add on the wire (`Date`, `Content-Length`) is set here,
/// so the record holds the headers as sent; a body the wire does not carry (the answer to a
/// HEAD, a 1xx, 204 or 304) is recorded empty.
async fn record_answer(
    writer: &Writer,
    id: i64,
    source: ResponseSource,
    bodyless_request: bool,
    response: Response,
) -> Response {
    let (mut parts, body) = response.into_parts();
    // Every answer here is built in memory: collecting it does not wait on anything.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(err) => {
            tracing::warn!("the answer to delivery {id} has no body: {err}");
            Bytes::new()
        }
    };
    let status = parts.status;
    // As hyper frames it: these statuses carry neither a body nor a length, and the answer to
    // a HEAD carries the length without the body.
    let no_length = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let bodyless = no_length || bodyless_request;
    let headers = &mut parts.headers;
    if !no_length && !headers.contains_key(header::CONTENT_LENGTH) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    if !headers.contains_key(header::DATE)
        && let Ok(date) = HeaderValue::from_str(&http_date(jiff::Timestamp::now()))
    {
        headers.insert(header::DATE, date);
    }
    let sent: Vec<(Vec<u8>, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| (n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    let kept = if bodyless { Bytes::new() } else { body.clone() };
    writer.record_response(id, StoredResponse::new(source, status.as_u16(), sent, kept));
    Response::from_parts(parts, Body::from(body))
}

/// An HTTP date (RFC 9110's IMF-fixdate), as a `Date` header writes it.
fn http_date(at: jiff::Timestamp) -> String {
    jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&at).unwrap_or_default()
}

/// The answer to a refused body. An HTTP/1 connection is closed after it: the rest of the body
/// may still be on its way and must not be read as the next request. HTTP/2 ends just the
/// stream, and has no `Connection` header.
fn refused(refusal: &Refusal, id: Option<i64>, version: http::Version) -> Response {
    let mut body = serde_json::json!({ "id": id, "captured": false, "error": refusal.problem });
    if let Some(limit) = refusal.limit {
        body["limit"] = limit.into();
    }
    let mut response = json_response(refusal.status, &body);
    let headers = response.headers_mut();
    if version < http::Version::HTTP_2 {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if refusal.status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_on_segment_boundaries() {
        assert!(under_prefix("/fleiko", "/fleiko"));
        assert!(under_prefix("/fleiko/jobs", "/fleiko"));
        assert!(under_prefix("/fleiko/jobs", "/fleiko/"));
        assert!(!under_prefix("/fleikox", "/fleiko"));
        assert!(under_prefix("/anything", "/"));
    }

    #[test]
    fn only_non_loopback_addresses_are_warned_about() {
        let warning = |a: &str| exposure_warning(&a.parse().unwrap());
        assert_eq!(warning("127.0.0.1:8787"), None);
        assert_eq!(warning("[::1]:8787"), None);
        assert_eq!(warning("[::ffff:127.0.0.1]:8787"), None);
        let all = warning("0.0.0.0:8787").unwrap();
        assert!(all.starts_with("warning: listening on 0.0.0.0:8787: anyone"), "{all}");
        assert!(!all.contains('\n'));
        assert!(warning("192.168.1.5:80").is_some());
        assert!(warning("[::]:80").is_some());
    }

    #[test]
    fn the_idle_deadline_gives_way_to_the_total_one() {
        let now = tokio::time::Instant::now();
        let idle = Duration::from_secs(30);
        let end = now + Duration::from_secs(120);
        assert_eq!(next_deadline(now, idle, end), (now + idle, Expiry::Idle));
        let late = now + Duration::from_secs(100);
        assert_eq!(next_deadline(late, idle, end), (end, Expiry::Total));
    }

    #[test]
    fn dates_are_written_as_http_wants_them() {
        let at: jiff::Timestamp = "1994-11-06T08:49:37Z".parse().unwrap();
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn wire_targets_match_in_every_form() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(same_target("/a?b=1", &uri("/a?b=1")));
        assert!(same_target("http://Example.com:81/a?b", &uri("http://Example.com:81/a?b")));
        assert!(!same_target("http://example.com/a", &uri("/a")));
        assert!(!same_target("/b", &uri("/a")));
        assert_eq!(origin_form("/a", Some("")), "/a?");
        assert_eq!(origin_form("/a", None), "/a");
    }

    /// A body whose parts arrive after the given pauses.
    fn trickle(parts: Vec<(u64, &'static [u8])>) -> Body {
        let stream = futures::stream::iter(parts).then(|(pause, bytes)| async move {
            tokio::time::sleep(Duration::from_millis(pause)).await;
            Ok::<_, std::io::Error>(Bytes::from_static(bytes))
        });
        Body::from_stream(stream)
    }

    fn deadlines(idle_ms: u64, total_ms: u64) -> BodyDeadlines {
        BodyDeadlines {
            idle: Duration::from_millis(idle_ms),
            total: Duration::from_millis(total_ms),
        }
    }

    use futures::StreamExt;

    #[tokio::test]
    async fn a_stalled_body_times_out_with_what_had_arrived() {
        let budget = InFlight::new(1024);
        let body = trickle(vec![(0, b"ab"), (10, b"c"), (2_000, b"never")]);
        let outcome = read_body(body, Some(100), 1000, deadlines(300, 60_000), &budget).await;
        assert!(matches!(outcome, BodyOutcome::TimedOut(3, Expiry::Idle)));
        assert_eq!(budget.used(), 0, "a refused body gives its memory back");
    }

    #[tokio::test]
    async fn a_body_that_keeps_trickling_meets_the_total_deadline() {
        let budget = InFlight::new(1024);
        let parts = (0..40).map(|_| (50, b"x" as &'static [u8])).collect();
        let outcome = read_body(trickle(parts), None, 1000, deadlines(1_000, 400), &budget).await;
        match outcome {
            BodyOutcome::TimedOut(n, Expiry::Total) => assert!(n > 0 && n < 40, "{n}"),
            _ => panic!("expected the total deadline"),
        }
    }

    #[tokio::test]
    async fn a_body_over_the_budget_is_refused_and_one_within_it_is_kept() {
        let budget = InFlight::new(64 * 1024);
        let big: &'static [u8] = Box::leak(vec![7u8; 100 * 1024].into_boxed_slice());
        let outcome =
            read_body(trickle(vec![(0, big)]), None, 1 << 20, deadlines(1_000, 5_000), &budget)
                .await;
        assert!(matches!(outcome, BodyOutcome::OverBudget(n) if n == big.len() as u64));
        let outcome = read_body(
            trickle(vec![(0, b"hello"), (5, b" world")]),
            Some(11),
            1 << 20,
            deadlines(1_000, 5_000),
            &budget,
        )
        .await;
        let BodyOutcome::Complete(bytes, charge) = outcome else { panic!("not complete") };
        assert_eq!(&bytes[..], b"hello world");
        assert_eq!(budget.used(), 11, "held, at the declared length, until the charge goes");
        drop(charge);
        assert_eq!(budget.used(), 0);
    }
}
