//! The one place that sends an HTTP request to a user's target (a replay, a forwarded
//! delivery, a sample) and records what happened: the request as sent, the answer (status,
//! headers, body up to a cap), the timing, and transport failures put in plain words.
//!
//! Redirects are never followed: a webhook handler answering 3xx is itself the result, and
//! following it could carry a signed payload to another host.

use std::error::Error as _;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::store::{Store, StoreError, outbound as db};

/// How long a request may take, connecting included, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Answer bytes kept; the rest is dropped and the record flagged as truncated.
pub const MAX_RESPONSE_BODY: usize = 10 * 1024 * 1024;

/// Headers that describe one connection rather than the message; the client recomputes them
/// (Host and Content-Length from the URL and body) so an edited body or target stays coherent.
/// `HTTP2-Settings` belongs to an h2c upgrade, which is never passed on.
const HOP_BY_HOP: [&str; 10] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "http2-settings",
];

/// True for a header the sender must not copy from a captured request.
pub fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Why an outbound request was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum OutboundKind {
    Replay,
    Forward,
    Sample,
    /// A request of a handler check (see `handler_check`).
    Check,
}

impl OutboundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Replay => "replay",
            Self::Forward => "forward",
            Self::Sample => "sample",
            Self::Check => "check",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "replay" => Some(Self::Replay),
            "forward" => Some(Self::Forward),
            "sample" => Some(Self::Sample),
            "check" => Some(Self::Check),
            _ => None,
        }
    }
}

/// A request to send. Headers are ordered `(name, value bytes)` pairs, duplicates allowed;
/// hop-by-hop ones are dropped when sending (see [`is_hop_by_hop`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl OutboundRequest {
    /// The headers that actually go out, in order.
    pub fn sent_headers(&self) -> Vec<(String, Vec<u8>)> {
        self.headers.iter().filter(|(name, _)| !is_hop_by_hop(name)).cloned().collect()
    }
}

/// Limits for one send.
#[derive(Debug, Clone, Copy)]
pub struct SendOptions {
    pub timeout: Duration,
    pub max_response_body: usize,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self { timeout: DEFAULT_TIMEOUT, max_response_body: MAX_RESPONSE_BODY }
    }
}

/// What came back. `error` is set when no complete answer arrived; `status` and `headers`
/// may still be set when the answer broke off in the body.
#[derive(Debug, Clone, Default)]
pub struct OutboundResponse {
    pub status: Option<u16>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub truncated: bool,
    pub duration: Duration,
    pub error: Option<TransportError>,
}

impl OutboundResponse {
    /// True when the target answered completely with a 2xx status.
    pub fn is_success(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The standard reason phrase of a status, e.g. "Not Found" for 404.
pub fn reason_phrase(status: u16) -> Option<&'static str> {
    reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason())
}

/// A transport failure as the user needs it: what happened with which host.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransportError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "connection refused by {host}: nothing is listening there; check the URL (and that the \
         server is running)"
    )]
    Refused { host: String },
    #[error(
        "cannot find the host {host} (DNS lookup failed): check the URL and the network connection"
    )]
    Dns { host: String },
    #[error(
        "the secure (TLS) connection to {host} failed: {detail}; check that the server speaks \
         HTTPS with a valid certificate for this host name"
    )]
    Tls { host: String, detail: String },
    #[error("no answer from {host} within {secs} s (timed out)")]
    Timeout { host: String, secs: f64 },
    #[error("{host} closed the connection before answering completely")]
    Closed { host: String },
    #[error("cannot connect to {host}: {detail}")]
    Connect { host: String, detail: String },
    #[error("the request to {host} failed: {detail}")]
    Other { host: String, detail: String },
}

/// Sends `request` once and returns whatever came back; never fails, errors are in the answer.
pub async fn send(request: &OutboundRequest, options: SendOptions) -> OutboundResponse {
    let started = Instant::now();
    let mut response = OutboundResponse::default();
    if let Err(error) = attempt(&mut response, request, options).await {
        response.error = Some(error);
    }
    response.duration = started.elapsed();
    response
}

async fn attempt(
    out: &mut OutboundResponse,
    request: &OutboundRequest,
    options: SendOptions,
) -> Result<(), TransportError> {
    let url = parse_url(&request.url)?;
    let method = reqwest::Method::from_bytes(request.method.trim().as_bytes()).map_err(|_| {
        TransportError::Invalid(format!("{:?} is not an HTTP method", request.method))
    })?;
    let mut headers = HeaderMap::new();
    for (name, value) in request.sent_headers() {
        let header = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| TransportError::Invalid(format!("{name:?} is not a valid header name")))?;
        let value = HeaderValue::from_bytes(&value).map_err(|_| {
            TransportError::Invalid(format!(
                "the value of header {name} cannot be sent (line break?)"
            ))
        })?;
        headers.append(header, value);
    }
    let client = client(&url, options.timeout)?;
    let transport = |e: reqwest::Error| classify(&e, &url, options.timeout);
    let mut answer = client
        .request(method, url.clone())
        .headers(headers)
        .body(request.body.clone())
        .send()
        .await
        .map_err(transport)?;
    out.status = Some(answer.status().as_u16());
    out.headers = answer
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    while let Some(chunk) = answer.chunk().await.map_err(transport)? {
        let room = options.max_response_body.saturating_sub(out.body.len());
        if chunk.len() > room {
            out.body.extend_from_slice(&chunk[..room]);
            out.truncated = true;
            break;
        }
        out.body.extend_from_slice(&chunk);
    }
    Ok(())
}

/// Checks a target URL: http or https, with a host.
pub fn parse_url(text: &str) -> Result<Url, TransportError> {
    let text = text.trim();
    let url = Url::parse(text)
        .map_err(|e| TransportError::Invalid(format!("the target {text:?} is not a URL: {e}")))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => {
            Err(TransportError::Invalid(format!("the target {text:?} has no host")))
        }
        other => Err(TransportError::Invalid(format!(
            "the target must start with http:// or https:// (found {other}://)"
        ))),
    }
}

/// A client for one request: no redirects, the given timeout, header names as providers
/// write them.
pub(crate) fn client(url: &Url, timeout: Duration) -> Result<reqwest::Client, TransportError> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .http1_title_case_headers();
    if is_loopback(url) {
        // A proxy from the environment cannot reach this machine's test server.
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| TransportError::Other {
        host: host_port(url),
        detail: format!("cannot set up the HTTP client: {}", root_cause(&e)),
    })
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn host_port(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.as_str().to_owned(),
    }
}

/// Puts a reqwest failure in words: refused, DNS, TLS, timeout, closed early, or the cause.
pub fn classify(error: &reqwest::Error, url: &Url, timeout: Duration) -> TransportError {
    let host = host_port(url);
    let chain = causes(error);
    let io_kind = |kind: std::io::ErrorKind| {
        let mut source = error.source();
        while let Some(e) = source {
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == kind) {
                return true;
            }
            source = e.source();
        }
        false
    };
    let mentions = |words: &[&str]| words.iter().any(|w| chain.contains(w));
    if error.is_timeout() || io_kind(std::io::ErrorKind::TimedOut) {
        TransportError::Timeout { host, secs: timeout.as_secs_f64() }
    } else if io_kind(std::io::ErrorKind::ConnectionRefused) {
        TransportError::Refused { host }
    } else if mentions(&["dns error", "failed to lookup address", "name or service not known"]) {
        TransportError::Dns { host: url.host_str().unwrap_or("?").to_owned() }
    } else if url.scheme() == "https"
        // tokio-rustls hands TLS failures up as I/O errors of this kind.
        && (io_kind(std::io::ErrorKind::InvalidData)
            || mentions(&["certificate", "tls", "handshake", "corrupt message"]))
    {
        TransportError::Tls { host, detail: root_cause(error) }
    } else if error.is_connect() {
        TransportError::Connect { host, detail: root_cause(error) }
    } else if mentions(&["connection closed", "connection reset", "incomplete message"]) {
        TransportError::Closed { host }
    } else {
        TransportError::Other { host, detail: root_cause(error) }
    }
}

/// Every message in the error's chain, lower-cased, for classifying it.
fn causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(" | ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text.to_lowercase()
}

/// The innermost cause: the part that says what actually went wrong.
pub(crate) fn root_cause(error: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// What a record is linked to and how it was made, besides the exchange itself.
#[derive(Debug, Clone, Default)]
pub struct RecordContext {
    /// The captured delivery the request was built from.
    pub delivery_id: Option<i64>,
    /// Options used, as JSON (e.g. a replay's re-sign and delivery id choices).
    pub options: Option<serde_json::Value>,
    /// The provider's delivery/event id the request carried, when it differs from the source.
    pub sent_event_id: Option<String>,
}

/// Records an exchange; returns the new record's id.
pub fn record(
    store: &Store,
    kind: OutboundKind,
    context: &RecordContext,
    request: &OutboundRequest,
    response: &OutboundResponse,
) -> Result<i64, StoreError> {
    let row = db::NewOutbound {
        at: now_ms(),
        kind,
        delivery_id: context.delivery_id,
        method: request.method.trim().to_owned(),
        url: request.url.trim().to_owned(),
        request_headers: request.sent_headers(),
        request_body: request.body.clone(),
        status: response.status,
        response_headers: response.headers.clone(),
        response_body: response.body.clone(),
        truncated: response.truncated,
        duration_ms: response.duration.as_millis().min(u128::from(u64::MAX)) as u64,
        error: response.error.as_ref().map(ToString::to_string),
        options: context.options.as_ref().map(ToString::to_string),
        sent_event_id: context.sent_event_id.clone(),
    };
    store.write(|c| db::insert(c, &row))
}

/// Sends and records in one step; returns the record id and the answer.
pub async fn send_and_record(
    store: &Store,
    kind: OutboundKind,
    context: &RecordContext,
    request: &OutboundRequest,
    options: SendOptions,
) -> Result<(i64, OutboundResponse), StoreError> {
    let response = send(request, options).await;
    let id = record(store, kind, context, request, &response)?;
    Ok((id, response))
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests;
