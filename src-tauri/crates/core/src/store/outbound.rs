//! Records of requests sent to a user's target (replays, forwards, samples) and the replay
//! target remembered per endpoint. Small, rare writes on a pooled connection.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Result, StoreError};
use crate::outbound::OutboundKind;

/// Records kept; older ones are pruned as new ones arrive.
pub const RECORDS_KEPT: i64 = 5000;

/// A record about to be written.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub at: i64,
    pub kind: OutboundKind,
    pub delivery_id: Option<i64>,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, Vec<u8>)>,
    pub request_body: Vec<u8>,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, Vec<u8>)>,
    pub response_body: Vec<u8>,
    pub truncated: bool,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub options: Option<String>,
    pub sent_event_id: Option<String>,
}

/// A stored record without its bodies (fetched on their own: they can be megabytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OutboundRecord {
    #[ts(type = "number")]
    pub id: i64,
    /// Unix time in milliseconds.
    #[ts(type = "number")]
    pub at: i64,
    pub kind: OutboundKind,
    #[ts(type = "number | null")]
    pub delivery_id: Option<i64>,
    pub method: String,
    pub url: String,
    /// Headers as sent, in order; values that are not UTF-8 show replacement characters.
    pub request_headers: Vec<(String, String)>,
    #[ts(type = "number")]
    pub request_body_size: u64,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// Bytes of the answer kept (at most the cap).
    #[ts(type = "number")]
    pub response_body_size: u64,
    /// True when the answer was longer than the cap and the rest was dropped.
    pub truncated: bool,
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// The transport failure, in plain words; none when an answer arrived.
    pub error: Option<String>,
    /// Options used, e.g. a replay's re-sign and delivery id choices.
    #[ts(type = "unknown")]
    pub options: Option<serde_json::Value>,
    /// The provider's delivery/event id the request carried, when it was changed.
    pub sent_event_id: Option<String>,
}

/// Which records to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct OutboundFilter {
    pub delivery_id: Option<i64>,
    pub kind: Option<OutboundKind>,
    pub limit: u32,
}

fn headers_json(headers: &[(String, Vec<u8>)]) -> Result<String> {
    let pairs: Vec<(&str, String)> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), String::from_utf8_lossy(value).into_owned()))
        .collect();
    serde_json::to_string(&pairs).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Writes a record and prunes the oldest beyond [`RECORDS_KEPT`]; returns the new id.
pub fn insert(conn: &mut Connection, row: &NewOutbound) -> Result<i64> {
    let request_headers = headers_json(&row.request_headers)?;
    let response_headers = headers_json(&row.response_headers)?;
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO outbound_requests (at, kind, delivery_id, url, method, request_headers,
            request_body, status, response_headers, response_body, truncated, duration_ms,
            error, options, sent_event_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            row.at,
            row.kind.as_str(),
            row.delivery_id,
            row.url,
            row.method,
            request_headers,
            row.request_body,
            row.status,
            response_headers,
            row.response_body,
            row.truncated,
            row.duration_ms.min(i64::MAX as u64) as i64,
            row.error,
            row.options,
            row.sent_event_id,
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute("DELETE FROM outbound_requests WHERE id <= ?1", [id - RECORDS_KEPT])?;
    tx.commit()?;
    Ok(id)
}

const COLUMNS: &str = "id, at, kind, delivery_id, method, url, request_headers, \
                       length(request_body), status, response_headers, length(response_body), \
                       truncated, duration_ms, error, options, sent_event_id";

fn record_from(r: &Row<'_>) -> rusqlite::Result<OutboundRecord> {
    let headers = |i: usize| -> rusqlite::Result<Vec<(String, String)>> {
        let text: String = r.get(i)?;
        // A list that no longer reads is shown as empty rather than failing the whole history.
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    let kind: String = r.get(2)?;
    let options: Option<String> = r.get(14)?;
    Ok(OutboundRecord {
        id: r.get(0)?,
        at: r.get(1)?,
        kind: OutboundKind::parse(&kind).unwrap_or(OutboundKind::Replay),
        delivery_id: r.get(3)?,
        method: r.get(4)?,
        url: r.get(5)?,
        request_headers: headers(6)?,
        request_body_size: r.get::<_, i64>(7)?.max(0) as u64,
        status: r.get(8)?,
        response_headers: headers(9)?,
        response_body_size: r.get::<_, i64>(10)?.max(0) as u64,
        truncated: r.get(11)?,
        duration_ms: r.get::<_, i64>(12)?.max(0) as u64,
        error: r.get(13)?,
        options: options.and_then(|o| serde_json::from_str(&o).ok()),
        sent_event_id: r.get(15)?,
    })
}

/// Records matching `filter`, newest first.
pub fn list(conn: &Connection, filter: &OutboundFilter) -> Result<Vec<OutboundRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbound_requests
         WHERE (?1 IS NULL OR delivery_id = ?1) AND (?2 IS NULL OR kind = ?2)
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let limit = if filter.limit == 0 { u32::MAX } else { filter.limit };
    let rows = stmt.query_map(
        params![filter.delivery_id, filter.kind.map(OutboundKind::as_str), limit],
        record_from,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<OutboundRecord>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbound_requests WHERE id = ?1"))?;
    Ok(stmt.query_row([id], record_from).optional()?)
}

/// The request and response bodies of a record, byte-exact.
pub fn bodies(conn: &Connection, id: i64) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    Ok(conn
        .query_row(
            "SELECT request_body, response_body FROM outbound_requests WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Where replays of the endpoint's deliveries were last sent.
pub fn replay_target(conn: &Connection, endpoint_id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT replay_target FROM endpoints WHERE id = ?1", [endpoint_id], |r| r.get(0))
        .optional()?
        .flatten())
}

pub fn set_replay_target(conn: &Connection, endpoint_id: i64, url: Option<&str>) -> Result<()> {
    let changed = conn.execute(
        "UPDATE endpoints SET replay_target = ?2 WHERE id = ?1",
        params![endpoint_id, url],
    )?;
    if changed == 0 {
        return Err(StoreError::EndpointNotFound(endpoint_id.to_string()));
    }
    Ok(())
}
