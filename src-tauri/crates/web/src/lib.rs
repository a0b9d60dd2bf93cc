//! Hookscope in a browser: the built UI and an HTTP API carrying the desktop window's commands,
//! on a port of its own (never the capture listener's), behind a Host/Origin check and a token.
//!
//! Transport only: every command is a method of [`hookscope_core::app::App`], called here as
//! the desktop shell calls it over Tauri's IPC.

mod assets;
mod csp;
mod dispatch;
mod error;
mod events;
mod security;
mod token;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use http::HeaderMap;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

pub use dispatch::{AppBackend, COMMANDS};
pub use error::ApiError;
pub use security::Hosts;
pub use token::{generate as generate_token, is_usable as token_is_usable};

/// Largest API request body; HAR uploads get [`IMPORT_LIMIT`].
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;
/// Event streams open at once: each holds a subscription in the core.
pub const MAX_STREAMS: usize = 64;
/// Connections open at once; past it new ones are closed at once. The UI may listen beyond
/// loopback, so nothing a peer does may grow without bound.
pub const MAX_CONNECTIONS: usize = 256;
/// Longest wait for a request's head, so idle or trickling connections give their slot back.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(20);
/// How often an idle event stream says it is alive (proxies close silent ones).
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One command call as it arrived: the raw body (JSON arguments, or HAR bytes for
/// `import_har`) and the query string.
pub struct CommandRequest {
    pub body: Bytes,
    pub query: Option<String>,
}

/// A command's answer: JSON, or bytes sent as they are (`get_delivery_body`).
pub enum Reply {
    Json(Vec<u8>),
    Bytes(Vec<u8>),
}

/// One live event, as the desktop emits it: name and JSON payload.
pub struct ServerEvent {
    pub name: String,
    pub data: serde_json::Value,
}

/// What the server serves: the commands and the live events. [`App`](hookscope_core::app::App)
/// is the one real implementation; tests of the checks use a small stand-in.
pub trait Backend: Send + Sync + 'static {
    fn call(
        &self,
        command: String,
        request: CommandRequest,
    ) -> BoxFuture<'static, Result<Reply, ApiError>>;
    /// A new subscription to live events, ending when the core stops.
    fn events(&self) -> BoxStream<'static, ServerEvent>;
}

/// How the UI server listens and whom it admits.
#[derive(Clone, Debug)]
pub struct UiConfig {
    pub listen: SocketAddr,
    /// The session token; a fresh random one when `None`.
    pub token: Option<String>,
    /// Host names besides loopback and IP literals that requests may name.
    pub allowed_hosts: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("cannot listen for the UI on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot make a session token: {0}")]
    Token(std::io::Error),
    #[error(
        "the token cannot travel in a header and a URL: use printable ASCII without spaces, '#', '&' or '%'"
    )]
    BadToken,
    #[error("the Content-Security-Policy in tauri.conf.json cannot be read: {0}")]
    Csp(serde_json::Error),
}

struct Shared {
    backend: Arc<dyn Backend>,
    hosts: Hosts,
    token: String,
    csp: HeaderValue,
    streams: Arc<Semaphore>,
}

/// A bound UI server, not yet serving.
pub struct UiServer {
    listener: TcpListener,
    addr: SocketAddr,
    token: String,
    router: Router,
}

/// Binds the UI server for a running Hookscope.
pub async fn bind(
    config: UiConfig,
    app: Arc<hookscope_core::app::App>,
) -> Result<UiServer, UiError> {
    bind_backend(config, Arc::new(AppBackend(app))).await
}

/// Binds the UI server for `backend`.
pub async fn bind_backend(
    config: UiConfig,
    backend: Arc<dyn Backend>,
) -> Result<UiServer, UiError> {
    let token = match config.token {
        Some(token) if token::is_usable(&token) => token,
        Some(_) => return Err(UiError::BadToken),
        None => token::generate().map_err(UiError::Token)?,
    };
    let router = router(backend, token.clone(), Hosts::new(&config.allowed_hosts))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| UiError::Bind { addr: config.listen, source })?;
    let addr =
        listener.local_addr().map_err(|source| UiError::Bind { addr: config.listen, source })?;
    Ok(UiServer { listener, addr, token, router })
}

impl UiServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address to open: the page takes the token from the fragment, which browsers never
    /// send to the server.
    pub fn url(&self) -> String {
        let addr = SocketAddr::new(security::reachable(self.addr.ip()), self.addr.port());
        format!("http://{addr}/#token={}", self.token)
    }

    /// Serves until `shutdown` completes, then closes every connection (event streams too).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let mut tasks = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                accepted = self.listener.accept() => {
                    let stream = match accepted {
                        Ok((stream, _)) => stream,
                        Err(err) => {
                            // Out of file handles, say: wait rather than spin.
                            tracing::warn!("the UI server cannot accept a connection: {err}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = connections.clone().try_acquire_owned() else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let router = self.router.clone();
                    tasks.spawn(async move {
                        let _permit = permit;
                        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            router.clone().oneshot(req.map(Body::new))
                        });
                        let mut builder = http1::Builder::new();
                        builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
                        if let Err(err) = builder.serve_connection(TokioIo::new(stream), service).await {
                            tracing::debug!("UI connection ended: {err}");
                        }
                    });
                }
            }
        }
        tasks.shutdown().await;
    }
}

/// The whole HTTP surface: the checks around the API and the embedded UI.
pub fn router(backend: Arc<dyn Backend>, token: String, hosts: Hosts) -> Result<Router, UiError> {
    let csp = csp::policy().map_err(UiError::Csp)?;
    let csp = HeaderValue::from_str(&csp).map_err(|e| UiError::Csp(serde::de::Error::custom(e)))?;
    let shared = Arc::new(Shared {
        backend,
        hosts,
        token,
        csp,
        streams: Arc::new(Semaphore::new(MAX_STREAMS)),
    });
    Ok(Router::new()
        .route("/api/events", get(events::stream))
        .route("/api/{command}", post(command).fallback(api_unknown))
        .fallback(static_file)
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared))
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The checks, in the contract's order, and the headers every answer carries.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let headers = request.headers();
    let verdict = if security::check_host(headers, &shared.hosts).is_err() {
        Err(ApiError::forbidden("this server does not answer for that Host"))
    } else if !api {
        Ok(())
    } else if security::check_origin(headers).is_err() {
        Err(ApiError::forbidden("requests from other sites"))
    } else if !token::matches(headers.get(AUTHORIZATION).map(|v| v.as_bytes()), &shared.token) {
        Err(ApiError::unauthorized())
    } else {
        Ok(())
    };
    let mut response = match verdict {
        Ok(()) => next.run(request).await,
        Err(err) => err.into_response(),
    };
    let headers = response.headers_mut();
    // Whatever a handler set, no CORS header leaves this server.
    let cors: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in cors {
        headers.remove(name);
    }
    headers.insert("content-security-policy", shared.csp.clone());
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if api {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn static_file(request: Request) -> Response {
    if is_api(request.uri().path()) {
        return api_unknown(request).await.into_response();
    }
    assets::serve(request.method(), request.uri().path())
}

async fn api_unknown(request: Request) -> ApiError {
    ApiError::not_found(request.uri().path().trim_start_matches("/api/"))
}

async fn command(
    State(shared): State<Arc<Shared>>,
    Path(command): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = if command == "import_har" { IMPORT_LIMIT } else { BODY_LIMIT };
    let body = read_body(body, &headers, limit).await?;
    match shared.backend.call(command, CommandRequest { body, query }).await? {
        Reply::Json(json) => Ok(([(CONTENT_TYPE, "application/json")], json).into_response()),
        Reply::Bytes(bytes) => {
            Ok(([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
        }
    }
}

/// The body, refused with 413 as soon as it is known to pass `limit` (declared or as read).
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let inner = err.into_inner();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(inner.as_ref());
        while let Some(err) = source {
            if err.is::<http_body_util::LengthLimitError>() {
                return ApiError::too_large(limit);
            }
            source = err.source();
        }
        ApiError::invalid(format!("cannot read the request body: {inner}"))
    })
}

/// A 503 for when every event stream slot is taken.
fn busy() -> ApiError {
    ApiError::new("busy", format!("too many event streams open (at most {MAX_STREAMS})"))
}

#[cfg(test)]
mod tests;
