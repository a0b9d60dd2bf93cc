//! What an endpoint answers and where it forwards: response rules (a fixed answer, or a
//! sequence per idempotency key) and forward-on-arrival targets. Writes bump the endpoints'
//! version so a running listener picks them up within a second.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::endpoints::VERSION_KEY;
use super::outbound::{self, OutboundFilter, OutboundRecord};
use super::{Result, StoreError};
use crate::outbound::OutboundKind;

/// The longest a rule may hold an answer back (60 s).
pub const MAX_DELAY_MS: u64 = 60_000;
/// Status given to the provider when a proxied target is down or too slow.
pub const DEFAULT_FALLBACK_STATUS: u16 = 502;
pub const DEFAULT_FORWARD_TIMEOUT_MS: u64 = 10_000;
const MAX_FORWARD_TIMEOUT_MS: u64 = 300_000;
const MAX_SEQUENCE: usize = 100;

/// What the listener answers for an endpoint's deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct ResponseRule {
    pub status: u16,
    /// Extra response headers, in order.
    pub headers: Vec<(String, String)>,
    /// None: the default JSON body with the delivery id.
    pub body: Option<String>,
    /// How long to hold the answer back, at most [`MAX_DELAY_MS`].
    #[ts(type = "number")]
    pub delay_ms: u64,
    /// Statuses per idempotency key: the n-th delivery with the same key gets the n-th, the
    /// last repeats. Empty: every delivery gets `status`.
    pub sequence: Vec<u16>,
}

impl Default for ResponseRule {
    fn default() -> Self {
        Self { status: 200, headers: Vec::new(), body: None, delay_ms: 0, sequence: Vec::new() }
    }
}

impl ResponseRule {
    /// The status for the `n`-th (1-based) delivery with one idempotency key.
    pub fn status_for(&self, n: usize) -> u16 {
        match self.sequence.as_slice() {
            [] => self.status,
            steps => steps[n.clamp(1, steps.len()) - 1],
        }
    }

    pub fn validate(&self) -> Result<()> {
        check_status(self.status)?;
        for step in &self.sequence {
            check_status(*step)?;
        }
        if self.sequence.len() > MAX_SEQUENCE {
            return invalid(format!("a sequence holds at most {MAX_SEQUENCE} steps"));
        }
        if self.delay_ms > MAX_DELAY_MS {
            return invalid(format!("the delay must be between 0 and {} s", MAX_DELAY_MS / 1000));
        }
        for (name, value) in &self.headers {
            let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            if name.is_empty() || !name.bytes().all(token) {
                return invalid(format!("{name:?} is not a valid header name"));
            }
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return invalid(format!("the value of header {name} holds a line break"));
            }
        }
        Ok(())
    }
}

/// Answer the provider with the target's response, or with the endpoint's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ForwardMode {
    Proxy,
    Rule,
}

impl std::str::FromStr for ForwardMode {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "proxy" => Ok(Self::Proxy),
            "rule" => Ok(Self::Rule),
            other => Err(format!("unknown forward mode {other:?} (expected proxy or rule)")),
        }
    }
}

impl ForwardMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proxy => "proxy",
            Self::Rule => "rule",
        }
    }
}

/// Forward every delivery of an endpoint, on arrival, to local code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ForwardConfig {
    /// e.g. `http://localhost:3000/webhooks/fleiko`; the path below the endpoint's prefix and
    /// the query are appended.
    pub url: String,
    pub mode: ForwardMode,
    /// Proxy mode: the status given to the provider when the target is down or too slow.
    pub fallback_status: u16,
    #[ts(type = "number")]
    pub timeout_ms: u64,
}

impl ForwardConfig {
    pub fn validate(&self) -> Result<()> {
        let url = self.url.trim();
        let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))
        else {
            return invalid("the forward target must be an http:// or https:// URL".into());
        };
        if rest.is_empty() || rest.starts_with('/') || url.contains(char::is_whitespace) {
            return invalid(format!("{url:?} is not a valid target URL"));
        }
        check_status(self.fallback_status)?;
        if self.timeout_ms == 0 || self.timeout_ms > MAX_FORWARD_TIMEOUT_MS {
            return invalid(format!(
                "the forward timeout must be between 1 and {} s",
                MAX_FORWARD_TIMEOUT_MS / 1000
            ));
        }
        Ok(())
    }
}

/// An endpoint's answer and forwarding settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EndpointLab {
    #[ts(type = "number")]
    pub endpoint_id: i64,
    /// None: the default answer (200 JSON with the delivery id).
    pub rule: Option<ResponseRule>,
    pub forward: Option<ForwardConfig>,
}

fn check_status(status: u16) -> Result<()> {
    if (100..=599).contains(&status) {
        Ok(())
    } else {
        invalid(format!("{status} is not an HTTP status"))
    }
}

fn invalid(message: String) -> Result<()> {
    Err(StoreError::Invalid(message))
}

/// Every endpoint that has a rule or a forward target, by endpoint id.
pub fn all(conn: &Connection) -> Result<HashMap<i64, EndpointLab>> {
    let mut stmt =
        conn.prepare_cached("SELECT endpoint_id, rule_json, forward_json FROM endpoint_rules")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (endpoint_id, rule, forward) = row?;
        let lab = EndpointLab {
            endpoint_id,
            // A document this version cannot read is treated as unset rather than failing
            // every capture.
            rule: rule.and_then(|j| serde_json::from_str(&j).ok()),
            forward: forward.and_then(|j| serde_json::from_str(&j).ok()),
        };
        out.insert(endpoint_id, lab);
    }
    Ok(out)
}

pub fn get(conn: &Connection, endpoint_id: i64) -> Result<EndpointLab> {
    let mut all = all(conn)?;
    Ok(all.remove(&endpoint_id).unwrap_or(EndpointLab { endpoint_id, ..EndpointLab::default() }))
}

/// Sets (or with `None` clears) the endpoint's response rule.
pub fn set_rule(
    conn: &mut Connection,
    endpoint_id: i64,
    rule: Option<&ResponseRule>,
) -> Result<()> {
    if let Some(rule) = rule {
        rule.validate()?;
    }
    let json = rule.map(serde_json::to_string).transpose().map_err(json_error)?;
    update(conn, endpoint_id, "rule_json", json)
}

/// Sets (or with `None` clears) the endpoint's forward target.
pub fn set_forward(
    conn: &mut Connection,
    endpoint_id: i64,
    forward: Option<&ForwardConfig>,
) -> Result<()> {
    let forward = forward.map(|f| ForwardConfig { url: f.url.trim().to_owned(), ..f.clone() });
    if let Some(forward) = &forward {
        forward.validate()?;
    }
    let json = forward.as_ref().map(serde_json::to_string).transpose().map_err(json_error)?;
    update(conn, endpoint_id, "forward_json", json)
}

fn json_error(err: serde_json::Error) -> StoreError {
    StoreError::Invalid(err.to_string())
}

fn update(
    conn: &mut Connection,
    endpoint_id: i64,
    column: &str,
    json: Option<String>,
) -> Result<()> {
    let tx = conn.transaction()?;
    let exists: Option<i64> = tx
        .query_row("SELECT id FROM endpoints WHERE id = ?1", [endpoint_id], |r| r.get(0))
        .optional()?;
    if exists.is_none() {
        return Err(StoreError::EndpointNotFound(endpoint_id.to_string()));
    }
    tx.execute("INSERT OR IGNORE INTO endpoint_rules (endpoint_id) VALUES (?1)", [endpoint_id])?;
    // `column` is one of two names fixed above, never user input.
    tx.execute(
        &format!("UPDATE endpoint_rules SET {column} = ?2 WHERE endpoint_id = ?1"),
        params![endpoint_id, json],
    )?;
    tx.execute("UPDATE meta SET value = value + 1 WHERE key = ?1", [VERSION_KEY])?;
    tx.commit()?;
    Ok(())
}

/// Marks deliveries as imported (from a HAR file) rather than captured.
pub fn mark_imported(conn: &mut Connection, ids: &[i64], source: &str, now_ms: i64) -> Result<()> {
    let tx = conn.transaction()?;
    for id in ids {
        tx.execute(
            "INSERT OR REPLACE INTO imported_deliveries (delivery_id, imported_at, source)
             VALUES (?1, ?2, ?3)",
            params![id, now_ms, source],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub fn is_imported(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM imported_deliveries WHERE delivery_id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Where and when an imported delivery came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportInfo {
    /// When it was imported, in milliseconds since the epoch.
    pub imported_at: i64,
    /// The file it came from (its name), when known.
    pub source: Option<String>,
}

/// The import records of those of `ids` that were imported rather than captured.
pub fn imports(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, ImportInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT imported_at, source FROM imported_deliveries WHERE delivery_id = ?1",
    )?;
    let mut out = HashMap::new();
    for &id in ids {
        let found = stmt
            .query_row([id], |r| Ok(ImportInfo { imported_at: r.get(0)?, source: r.get(1)? }))
            .optional()?;
        if let Some(info) = found {
            out.insert(id, info);
        }
    }
    Ok(out)
}

/// Records the answer a delivery finally got, when it was only known after the commit (the
/// forward target's, in proxy mode).
pub fn set_response(conn: &Connection, id: i64, status: u16, latency_us: i64) -> Result<()> {
    conn.execute(
        "UPDATE deliveries SET response_status = ?2, response_latency_us = ?3 WHERE id = ?1",
        params![id, status, latency_us],
    )?;
    Ok(())
}

/// Response text shown per forward record; the whole body stays in the store.
const MAX_SHOWN_RESPONSE: usize = 64 * 1024;

/// One forward of a delivery with the start of the target's answer as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ForwardResult {
    pub record: OutboundRecord,
    /// The target's answer (invalid UTF-8 replaced), cut at 64 KiB.
    pub response_text: String,
    /// True when `response_text` was cut for display.
    pub response_text_cut: bool,
}

/// What the response lab knows of one delivery: whether it was imported, and its forwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeliveryLab {
    pub imported: bool,
    /// The answer the sender got, read now: in proxy mode it is known only after the
    /// forward, later than the delivery's first announcement.
    pub response_status: Option<u16>,
    #[ts(type = "number | null")]
    pub response_latency_us: Option<i64>,
    /// Newest first.
    pub forwards: Vec<ForwardResult>,
}

pub fn delivery_lab(conn: &Connection, id: i64) -> Result<DeliveryLab> {
    let filter =
        OutboundFilter { delivery_id: Some(id), kind: Some(OutboundKind::Forward), limit: 20 };
    let forwards = outbound::list(conn, &filter)?
        .into_iter()
        .map(|record| {
            let (_, body) = outbound::bodies(conn, record.id)?.unwrap_or_default();
            let cut = body.len() > MAX_SHOWN_RESPONSE;
            let shown = &body[..body.len().min(MAX_SHOWN_RESPONSE)];
            let response_text = String::from_utf8_lossy(shown).into_owned();
            Ok(ForwardResult { record, response_text, response_text_cut: cut })
        })
        .collect::<Result<_>>()?;
    let (response_status, response_latency_us) = conn
        .query_row(
            "SELECT response_status, response_latency_us FROM deliveries WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound(id))?;
    Ok(DeliveryLab {
        imported: is_imported(conn, id)?,
        response_status,
        response_latency_us,
        forwards,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreOptions};

    /// Forwards record their exchanges on other connections while the writer commits:
    /// neither may make the other fail (a capture must never be refused for it).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn captures_commit_while_other_connections_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let writer = store.writer().unwrap();
        let delivery = |n: usize| crate::store::NewDelivery {
            received_at: 0,
            method: "POST".into(),
            path: "/fleiko".into(),
            query: None,
            target: None,
            http_version: "HTTP/1.1".into(),
            headers: Vec::new(),
            body: Some(bytes::Bytes::from(format!("{n}"))),
            body_size: 1,
            remote_addr: None,
            via_tunnel: None,
            endpoint_id: None,
            endpoint: None,
            provider: None,
            response_status: 200,
            response_latency_us: 0,
            analysis: crate::store::DeliveryAnalysis {
                group_key: Some(format!("k{}", n % 3)),
                ..Default::default()
            },
        };
        let first = writer.insert(delivery(0)).await.unwrap().id;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let other = {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0u16;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n = n.wrapping_add(1);
                    store.write(|c| set_response(c, first, 200 + n % 300, 1)).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            })
        };
        for n in 1..400 {
            writer.insert(delivery(n)).await.unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        other.join().unwrap();
    }

    #[tokio::test]
    async fn a_delivery_shows_its_forwards_and_the_answer_it_got() {
        use crate::outbound::{OutboundRequest, OutboundResponse, RecordContext, record};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let new = crate::store::NewDelivery {
            received_at: 0,
            method: "POST".into(),
            path: "/fleiko".into(),
            query: None,
            target: None,
            http_version: "HTTP/1.1".into(),
            headers: Vec::new(),
            body: Some(bytes::Bytes::from_static(b"{}")),
            body_size: 2,
            remote_addr: None,
            via_tunnel: None,
            endpoint_id: None,
            endpoint: None,
            provider: None,
            response_status: 200,
            response_latency_us: 5,
            analysis: crate::store::DeliveryAnalysis::default(),
        };
        let id = store.writer().unwrap().insert(new).await.unwrap().id;
        let request = OutboundRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:3000/hook".into(),
            headers: Vec::new(),
            body: b"{}".to_vec(),
        };
        let big = vec![b'x'; MAX_SHOWN_RESPONSE + 10];
        let answer = OutboundResponse { status: Some(201), body: big, ..Default::default() };
        let context = RecordContext { delivery_id: Some(id), ..Default::default() };
        record(&store, OutboundKind::Forward, &context, &request, &answer).unwrap();
        record(&store, OutboundKind::Replay, &context, &request, &answer).unwrap();
        let mut events = store.subscribe();
        store.read(|c| set_response(c, id, 201, 9)).unwrap();
        store.announce(id).unwrap();
        let again = events.recv().await.unwrap();
        assert_eq!((again.id, again.response_status), (id, Some(201)), "announced with its answer");
        let lab = store.read(|c| delivery_lab(c, id)).unwrap();
        assert_eq!((lab.response_status, lab.response_latency_us), (Some(201), Some(9)));
        assert!(!lab.imported);
        assert_eq!(lab.forwards.len(), 1, "replays are not forwards");
        let shown = &lab.forwards[0];
        assert_eq!(shown.record.status, Some(201));
        assert!(shown.response_text_cut && shown.response_text.len() == MAX_SHOWN_RESPONSE);
        assert!(store.read(|c| delivery_lab(c, id + 1)).is_err());
    }

    #[test]
    fn sequence_steps_repeat_the_last() {
        let rule = ResponseRule { sequence: vec![500, 500, 200], ..ResponseRule::default() };
        let got: Vec<u16> = (1..=5).map(|n| rule.status_for(n)).collect();
        assert_eq!(got, [500, 500, 200, 200, 200]);
        assert_eq!(ResponseRule { status: 418, ..ResponseRule::default() }.status_for(3), 418);
    }

    #[test]
    fn rules_are_validated() {
        let ok = ResponseRule { delay_ms: MAX_DELAY_MS, ..ResponseRule::default() };
        assert!(ok.validate().is_ok());
        let bad = [
            ResponseRule { delay_ms: MAX_DELAY_MS + 1, ..ResponseRule::default() },
            ResponseRule { status: 99, ..ResponseRule::default() },
            ResponseRule { sequence: vec![500, 600], ..ResponseRule::default() },
            ResponseRule { headers: vec![("Bad Name".into(), "x".into())], ..Default::default() },
            ResponseRule {
                headers: vec![("X-A".into(), "a\r\nB: c".into())],
                ..Default::default()
            },
        ];
        for rule in bad {
            assert!(rule.validate().is_err(), "{rule:?}");
        }
        let forward = |url: &str, timeout_ms| ForwardConfig {
            url: url.into(),
            mode: ForwardMode::Proxy,
            fallback_status: 502,
            timeout_ms,
        };
        assert!(forward("http://localhost:3000/webhooks", 1000).validate().is_ok());
        assert!(forward("ftp://localhost", 1000).validate().is_err());
        assert!(forward("http://", 1000).validate().is_err());
        assert!(forward("http://localhost", 0).validate().is_err());
    }

    #[test]
    fn settings_round_trip_and_bump_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let id = store.read(|c| crate::store::endpoints::find(c, "fleiko")).unwrap();
        let before = store.read(crate::store::endpoints::version).unwrap();
        let rule = ResponseRule { status: 503, delay_ms: 5, ..ResponseRule::default() };
        let forward = ForwardConfig {
            url: " http://127.0.0.1:9/hook ".into(),
            mode: ForwardMode::Rule,
            fallback_status: 504,
            timeout_ms: 2000,
        };
        store.write(|c| set_rule(c, id, Some(&rule))).unwrap();
        store.write(|c| set_forward(c, id, Some(&forward))).unwrap();
        let lab = store.read(|c| get(c, id)).unwrap();
        assert_eq!(lab.rule, Some(rule));
        assert_eq!(lab.forward.unwrap().url, "http://127.0.0.1:9/hook");
        assert!(store.read(crate::store::endpoints::version).unwrap() > before);
        store.write(|c| set_rule(c, id, None)).unwrap();
        assert_eq!(store.read(|c| get(c, id)).unwrap().rule, None);
        assert!(store.write(|c| set_rule(c, 9999, None)).is_err());
        let too_slow = ResponseRule { delay_ms: 61_000, ..ResponseRule::default() };
        assert!(store.write(|c| set_rule(c, id, Some(&too_slow))).is_err());
        store.write(|c| crate::store::endpoints::delete(c, id)).unwrap();
        assert!(store.read(all).unwrap().is_empty(), "settings go with their endpoint");
    }
}
