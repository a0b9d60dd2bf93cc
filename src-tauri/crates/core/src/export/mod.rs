//! Export deliveries as HAR 1.2, curl commands or JSON, and import HAR files back.
//!
//! Only deliveries leave: request line, headers and body as captured, with the answer
//! Hookscope gave. Endpoint settings, secrets and API keys are never read here, so they cannot
//! end up in a file.

mod curl;
mod har;
mod har_response;
mod import;
/// Kept under its old path for callers that still name it.
pub use crate::time;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::analysis::{self, Captured, EndpointRuntime};
use crate::registry::{Registry, RegistryError};
use crate::store::responses::{self, ForwardedResponse, StoredResponse};
use crate::store::{NewDelivery, Store, StoreError, headers};

pub use curl::{curl_command, shell_quote};
pub use har::{FormBody, HarEntry, HarError, HarItem, for_each_entry, parse_har};
pub use import::{ImportOptions, import_har_from};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("not a HAR file: {0}")]
    Har(#[from] HarError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = ExportError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportFormat {
    Har,
    Curl,
    Json,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "har" => Ok(Self::Har),
            "curl" => Ok(Self::Curl),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown format {other:?} (expected har, curl or json)")),
        }
    }
}

/// A delivery as exported: the request byte-exact, and the answer it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedDelivery {
    pub id: i64,
    pub received_at: i64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The request target as stored, when the path and query do not spell it: an
    /// absolute-form `http://host/path?query`, or an HTTP/2 request's scheme and `:authority`
    /// with them.
    pub target: Option<String>,
    pub http_version: String,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// None when the body was refused (over the size limit).
    pub body: Option<Vec<u8>>,
    pub body_size: u64,
    pub endpoint: Option<String>,
    pub provider: Option<String>,
    pub response_status: Option<u16>,
    pub response_latency_us: Option<i64>,
    /// The answer as sent; none when it was not recorded.
    pub response: Option<StoredResponse>,
    /// What the target of the latest forward answered.
    pub forward_response: Option<ForwardedResponse>,
}

impl ExportedDelivery {
    /// The URL the sender used: the target itself when it is an absolute URL (HTTP/2 has no
    /// Host header, and an absolute-form target names its own host), else rebuilt from the
    /// Host header.
    pub fn url(&self) -> String {
        if let Some(target) = self.target.as_deref().filter(|t| is_absolute(t)) {
            return target.to_owned();
        }
        self.url_from_host()
    }

    /// The URL as the Host header, path and query spell it.
    fn url_from_host(&self) -> String {
        let host = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"host"))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_else(|| "localhost".into());
        let query = self.query.as_deref().map(|q| format!("?{q}")).unwrap_or_default();
        format!("http://{host}{}{query}", self.path)
    }

    /// The target an import stores for `url`, the entry's URL without its fragment: none when
    /// the Host header, path and query already rebuild it, so that exporting the import again
    /// writes the same URL.
    fn target_for(&self, url: &str) -> Option<String> {
        let url = url.trim().split('#').next().unwrap_or_default();
        (url != self.url_from_host()).then(|| url.to_owned())
    }

    pub fn content_type(&self) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// Is `target` an absolute URL, `scheme://authority...`, rather than a path or a bare authority?
fn is_absolute(target: &str) -> bool {
    let Some((scheme, rest)) = target.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && rest.starts_with(|c| !matches!(c, '/' | '?' | '#'))
}

/// The deliveries with these ids, in the order given; every delivery, oldest first, when
/// `ids` is empty.
pub fn load(store: &Store, ids: &[i64]) -> Result<Vec<ExportedDelivery>> {
    Ok(store.read(|conn| {
        let ids = if ids.is_empty() { all_ids(conn)? } else { ids.to_vec() };
        ids.iter().map(|&id| load_one(conn, id)).collect()
    })?)
}

fn all_ids(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare("SELECT id FROM deliveries ORDER BY id")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

fn load_one(conn: &Connection, id: i64) -> Result<ExportedDelivery, StoreError> {
    let mut delivery = load_request(conn, id)?;
    delivery.response = responses::stored(conn, id)?;
    delivery.forward_response = responses::forwarded(conn, id)?;
    Ok(delivery)
}

fn load_request(conn: &Connection, id: i64) -> Result<ExportedDelivery, StoreError> {
    conn.query_row(
        "SELECT d.id, d.received_at, d.method, d.path, d.query, d.http_version, d.headers_raw,
            d.body_size, d.response_status, d.response_latency_us, e.name, d.provider,
            d.body_stored, d.body, t.target
         FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id
            LEFT JOIN delivery_targets t ON t.delivery_id = d.id
         WHERE d.id = ?1",
        params![id],
        |r| {
            let raw: Vec<u8> = r.get(6)?;
            let stored: bool = r.get(12)?;
            let body: Option<Vec<u8>> = r.get(13)?;
            Ok(ExportedDelivery {
                id: r.get(0)?,
                received_at: r.get(1)?,
                method: r.get(2)?,
                path: r.get(3)?,
                query: r.get(4)?,
                target: r.get(14)?,
                http_version: r.get(5)?,
                headers: headers::decode(&raw),
                body: stored.then(|| body.unwrap_or_default()),
                body_size: r.get::<_, i64>(7)?.max(0) as u64,
                response_status: r.get(8)?,
                response_latency_us: r.get(9)?,
                endpoint: r.get(10)?,
                provider: r.get(11)?,
                response: None,
                forward_response: None,
            })
        },
    )
    .optional()?
    .ok_or(StoreError::NotFound(id))
}

/// The deliveries as one document in `format`.
pub fn render(deliveries: &[ExportedDelivery], format: ExportFormat) -> String {
    match format {
        ExportFormat::Har => har::to_har(deliveries).to_string(),
        ExportFormat::Json => {
            let items: Vec<serde_json::Value> = deliveries.iter().map(json_item).collect();
            serde_json::to_string_pretty(&items).unwrap_or_default()
        }
        ExportFormat::Curl => {
            let commands: Vec<String> = deliveries
                .iter()
                .map(|d| format!("# delivery {}\n{}", d.id, curl_command(d)))
                .collect();
            commands.join("\n\n") + "\n"
        }
    }
}

/// Loads and renders in one step.
pub fn export(store: &Store, ids: &[i64], format: ExportFormat) -> Result<String> {
    Ok(render(&load(store, ids)?, format))
}

fn json_item(d: &ExportedDelivery) -> serde_json::Value {
    use base64::Engine;
    let text = d.body.as_deref().and_then(|b| std::str::from_utf8(b).ok());
    let base64 = match (&d.body, text) {
        (Some(body), None) => Some(base64::engine::general_purpose::STANDARD.encode(body)),
        _ => None,
    };
    serde_json::json!({
        "id": d.id,
        "receivedAt": d.received_at,
        "method": d.method,
        "path": d.path,
        "query": d.query,
        "url": d.url(),
        "httpVersion": d.http_version,
        "endpoint": d.endpoint,
        "provider": d.provider,
        "responseStatus": d.response_status,
        "headers": headers::to_text_pairs(&d.headers),
        "bodySize": d.body_size,
        "bodyStored": d.body.is_some(),
        "bodyText": text,
        "bodyBase64": base64,
        "response": d.response.as_ref().map(json_response),
        "forwardResponse": d.forward_response.as_ref().map(json_forward),
    })
}

/// A body as JSON export writes it: text when UTF-8, else base64.
fn json_body(body: &[u8]) -> (Option<&str>, Option<String>) {
    use base64::Engine;
    match std::str::from_utf8(body) {
        Ok(text) => (Some(text), None),
        Err(_) => (None, Some(base64::engine::general_purpose::STANDARD.encode(body))),
    }
}

fn json_response(r: &StoredResponse) -> serde_json::Value {
    let (text, base64) = json_body(&r.body);
    serde_json::json!({
        "source": r.source,
        "status": r.status,
        "headers": headers::to_text_pairs(&r.headers),
        "bodySize": r.body_size,
        "truncated": r.truncated,
        "bodyText": text,
        "bodyBase64": base64,
    })
}

fn json_forward(f: &ForwardedResponse) -> serde_json::Value {
    let (text, base64) = json_body(&f.body);
    serde_json::json!({
        "url": f.url,
        "status": f.status,
        "error": f.error,
        "headers": f.headers,
        "truncated": f.truncated,
        "durationMs": f.duration_ms,
        "bodyText": text,
        "bodyBase64": base64,
    })
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportReport {
    /// Ids of the new deliveries still kept, in file order.
    #[ts(type = "Array<number>")]
    pub ids: Vec<i64>,
    /// Entries imported as deliveries (pruned ones too).
    #[ts(type = "number")]
    pub imported: u64,
    /// Entries left out as no request Hookscope could have received (a browser's `data:`
    /// image, say), each with a note.
    #[ts(type = "number")]
    pub skipped: u64,
    /// Deliveries pruned afterwards to keep the newest `retention`: older ones first, then
    /// the first imported when the file held more than that.
    #[ts(type = "number")]
    pub pruned: u64,
    #[ts(type = "number")]
    pub retention: u64,
    /// What was not imported as it stood (a body over the limit, an entry skipped), per entry.
    pub notes: Vec<ImportNote>,
}

/// A remark on one imported entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportNote {
    /// The entry's position in `log.entries`, from 0.
    #[ts(type = "number")]
    pub index: u64,
    /// The delivery it became, unless pruned or skipped.
    #[ts(type = "number | null")]
    pub id: Option<i64>,
    pub message: String,
}

/// Imports a HAR file's entries as deliveries: routed to endpoints and analysed like
/// captures (against their original arrival time), marked imported, all in one transaction;
/// then the store is pruned to retention. With the default limits (the listener's body limit,
/// the default retention).
pub async fn import_har(registry: &Registry, bytes: &[u8], source: &str) -> Result<ImportReport> {
    let (registry, bytes, source) = (registry.clone(), bytes.to_vec(), source.to_owned());
    tokio::task::spawn_blocking(move || {
        import_har_from(&registry, bytes.as_slice(), &source, &ImportOptions::default())
    })
    .await
    .map_err(|e| StoreError::Commit(e.to_string()))?
}

/// [`import_har`] of a file, read as it is imported: memory follows the largest body, not
/// the file's size.
pub async fn import_har_file(
    registry: &Registry,
    path: std::path::PathBuf,
    source: &str,
    options: ImportOptions,
) -> Result<ImportReport> {
    let (registry, source) = (registry.clone(), source.to_owned());
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        import_har_from(&registry, file, &source, &options)
    })
    .await
    .map_err(|e| StoreError::Commit(e.to_string()))?
}

/// An imported request as the listener would have stored it: routed to the endpoint with the
/// longest matching prefix and analysed as of its original arrival.
fn as_captured(runtimes: &[EndpointRuntime], d: ExportedDelivery) -> NewDelivery {
    let endpoint = runtimes
        .iter()
        .filter(|e| crate::capture::under_prefix(&d.path, &e.settings.path_prefix))
        .max_by_key(|e| e.settings.path_prefix.len());
    let (provider, analysis) = analysis::analyse(
        endpoint,
        &Captured {
            method: &d.method,
            path: &d.path,
            headers: &d.headers,
            body: d.body.as_deref(),
            received_at_ms: d.received_at,
        },
    );
    NewDelivery {
        received_at: d.received_at,
        method: d.method,
        path: d.path,
        query: d.query,
        target: d.target,
        http_version: d.http_version,
        headers: d.headers,
        body_size: d.body.as_ref().map_or(d.body_size, |b| b.len() as u64),
        body: d.body.map(bytes::Bytes::from),
        remote_addr: None,
        via_tunnel: None,
        endpoint_id: endpoint.map(|e| e.settings.id),
        endpoint: endpoint.map(|e| e.settings.name.clone()),
        provider: provider.map(|p| p.as_str().to_owned()),
        response_status: d.response_status.unwrap_or(200),
        response_latency_us: d.response_latency_us.unwrap_or(0),
        analysis,
    }
}

#[cfg(test)]
mod tests;
