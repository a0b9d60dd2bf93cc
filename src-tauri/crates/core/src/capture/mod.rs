//! The capture listener: accepts any method on any path, routes it to an endpoint by longest
//! path prefix, stores it byte-exactly and answers only once the store has committed it.

mod answer;
mod forward;
mod framing;
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
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::analysis::{self, Captured, EndpointRuntime};
use crate::registry::{Registry, RegistryError};
use crate::store::rules::{EndpointLab, ForwardMode};
use crate::store::{NewDelivery, StoreError, Writer};
use answer::{Plan, SequenceHits};
pub use framing::{MAX_HEADERS, RawHead, Tracker};
pub use tunnelled::TunnelEntry;

/// Largest body stored when nothing else is configured (25 MiB).
pub const DEFAULT_MAX_BODY: u64 = 25 * 1024 * 1024;
/// How long open connections may finish their request after shutdown is asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

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
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self { listen: SocketAddr::from(([127, 0, 0, 1], 8787)), max_body: DEFAULT_MAX_BODY }
    }
}

struct CaptureState {
    writer: Writer,
    registry: Registry,
    max_body: u64,
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
        let state = Arc::new(CaptureState {
            writer: registry.store().writer()?,
            registry: registry.clone(),
            max_body: config.max_body,
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

    /// A handle to change the running listener's settings.
    pub fn handle(&self) -> ListenerHandle {
        ListenerHandle { state: self.state.clone() }
    }

    /// Serves until `shutdown` resolves, then lets open requests finish (up to a few seconds).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let router = app(self.state.clone());
        let reloader = tokio::spawn(reload_on_change(self.handle()));
        let graceful = GracefulShutdown::new();
        let builder = http1_builder();
        tokio::pin!(shutdown);
        loop {
            let (stream, remote) = tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accept failed: {err}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            serve_connection(&builder, &router, stream, remote, None, Some(&graceful));
        }
        drop(self.tcp);
        reloader.abort();
        tokio::select! {
            () = graceful.shutdown() => {}
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
}

fn http1_builder() -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    builder
}

/// Serves one accepted connection on its own task, recording its raw request heads.
fn serve_connection<S>(
    builder: &hyper::server::conn::http1::Builder,
    router: &Router,
    stream: S,
    remote: SocketAddr,
    via_tunnel: Option<&'static str>,
    graceful: Option<&GracefulShutdown>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let io = TokioIo::new(io::TrackedStream::new(stream, tracker.clone()));
    let router = router.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
        let head = tracker.lock().unwrap_or_else(|e| e.into_inner()).pop();
        req.extensions_mut().insert(ConnInfo { remote, head, via_tunnel });
        router.clone().oneshot(req.map(Body::new))
    });
    let conn = builder.serve_connection(io, service);
    let log_end = move |result: Result<(), hyper::Error>| {
        if let Err(err) = result {
            tracing::debug!("connection from {remote} ended: {err}");
        }
    };
    // Tunnelled connections have no graceful drain: the tunnel closes them anyway.
    match graceful {
        Some(graceful) => {
            let conn = graceful.watch(conn);
            tokio::spawn(async move { log_end(conn.await) });
        }
        None => {
            tokio::spawn(async move { log_end(conn.await) });
        }
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
    Complete(Bytes),
    /// Over the limit: how many bytes were declared or seen before giving up.
    TooLarge(u64),
    /// The client went away or broke framing mid-body.
    Failed(u64, String),
}

async fn read_body(body: Body, declared: Option<u64>, max: u64) -> BodyOutcome {
    if let Some(len) = declared.filter(|&len| len > max) {
        return BodyOutcome::TooLarge(len);
    }
    let mut buf = BytesMut::with_capacity(declared.unwrap_or(0).min(max) as usize);
    let mut body = body.into_data_stream();
    use futures::StreamExt;
    while let Some(frame) = body.next().await {
        match frame {
            Ok(data) => {
                if buf.len() as u64 + data.len() as u64 > max {
                    return BodyOutcome::TooLarge(
                        declared.unwrap_or(buf.len() as u64 + data.len() as u64),
                    );
                }
                buf.extend_from_slice(&data);
            }
            Err(err) => return BodyOutcome::Failed(buf.len() as u64, err.to_string()),
        }
    }
    BodyOutcome::Complete(buf.freeze())
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
    let wire = info.as_mut().and_then(|i| i.head.take()).filter(|h| {
        h.method == method && parts.uri.path_and_query().is_some_and(|pq| h.target == pq.as_str())
    });
    let headers = match wire {
        Some(head) => head.headers,
        None => parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect(),
    };
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

    let outcome = read_body(body, declared, state.max_body).await;
    // From here to the queue is work on this thread only: let the writer wait for it.
    let coming = state.writer.coming();
    let (body, body_size, status, problem) = match outcome {
        BodyOutcome::Complete(bytes) => {
            let size = bytes.len() as u64;
            (Some(bytes), size, StatusCode::OK, None)
        }
        BodyOutcome::TooLarge(size) => (
            None,
            size,
            StatusCode::PAYLOAD_TOO_LARGE,
            Some(format!("body exceeds the {} byte limit", state.max_body)),
        ),
        BodyOutcome::Failed(size, err) => {
            (None, size, StatusCode::BAD_REQUEST, Some(format!("body could not be read: {err}")))
        }
    };

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
    let plan = match (&problem, lab.as_ref().and_then(|l| l.rule.as_ref()), &endpoint) {
        (None, Some(rule), Some(e)) if !proxied => {
            Plan::from_rule(rule, &state.sequence_hits, e.settings.id, &analysis, body.as_deref())
        }
        _ => Plan::plain(status),
    };
    // Forwarding needs the request after it has been handed to the writer.
    let outgoing = match (lab.as_ref().and_then(|l| l.forward.clone()), &endpoint, &body) {
        (Some(config), Some(e), Some(bytes)) if problem.is_none() => {
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
        http_version: format!("{:?}", parts.version),
        headers,
        body,
        body_size,
        via_tunnel: info.as_ref().and_then(|i| i.via_tunnel).map(str::to_owned),
        remote_addr: info.map(|i| i.remote.to_string()),
        endpoint_id: endpoint.as_ref().map(|e| e.settings.id),
        endpoint: endpoint.map(|e| e.settings.name.clone()),
        provider: provider.map(|p| p.as_str().to_owned()),
        response_status: plan.status.as_u16(),
        response_latency_us: (started.elapsed() + plan.delay).as_micros() as i64,
        analysis,
    };
    match coming.insert(delivery).await {
        Ok(summary) => match problem {
            None => match outgoing {
                Some((config, request)) if config.mode == ForwardMode::Proxy => {
                    let store = state.registry.store().clone();
                    forward::proxy(store, &config, summary.id, request, started).await
                }
                outgoing => {
                    if let Some((config, request)) = outgoing {
                        forward::spawn(state.registry.store().clone(), config, summary.id, request);
                    }
                    if !plan.delay.is_zero() {
                        tokio::time::sleep(plan.delay).await;
                    }
                    plan.respond(summary.id)
                }
            },
            Some(error) => json_response(
                status,
                &serde_json::json!({ "id": summary.id, "captured": false, "error": error,
                    "limit": state.max_body }),
            ),
        },
        Err(err) => {
            tracing::error!("delivery not stored: {err}");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "captured": false, "error": format!("not stored: {err}") }),
            )
        }
    }
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
}
