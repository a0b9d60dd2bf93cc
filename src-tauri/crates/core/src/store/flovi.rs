//! The Flovi client's settings row and call history. Small, rare writes: they use a pooled
//! connection, not the delivery writer's queue.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, StoreError};
use crate::flovi_api::{FloviCall, FloviOffice};

/// Calls kept; older ones are pruned as new ones arrive.
pub const CALLS_KEPT: i64 = 1000;

/// The settings row as stored; the key still sealed.
#[derive(Clone, Default)]
pub struct FloviRow {
    pub base_url: Option<String>,
    pub api_key_sealed: Option<Vec<u8>>,
}

impl std::fmt::Debug for FloviRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloviRow")
            .field("base_url", &self.base_url)
            .field("has_api_key", &self.api_key_sealed.is_some())
            .finish()
    }
}

/// A call about to be recorded.
#[derive(Debug, Clone)]
pub struct NewCall {
    pub at: i64,
    pub method: String,
    pub url: String,
    pub request_body: Option<String>,
    pub status: Option<u16>,
    pub response_body: Option<String>,
    pub response_truncated: bool,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub schedule_id: Option<String>,
}

pub fn row(conn: &Connection) -> Result<FloviRow> {
    Ok(conn.query_row(
        "SELECT base_url, api_key_sealed FROM flovi_settings WHERE id = 1",
        [],
        |r| Ok(FloviRow { base_url: r.get(0)?, api_key_sealed: r.get(1)? }),
    )?)
}

/// Sets (or with `None` resets) the base URL; the cached office list belongs to the old one.
pub fn set_base_url(conn: &Connection, base_url: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE flovi_settings SET base_url = ?1, offices_base = NULL, offices_json = NULL,
            offices_at = NULL WHERE id = 1",
        [base_url],
    )?;
    Ok(())
}

/// Stores (or with `None` removes) the sealed key; another key may see other offices.
pub fn set_sealed_key(conn: &Connection, sealed: Option<&[u8]>) -> Result<()> {
    conn.execute(
        "UPDATE flovi_settings SET api_key_sealed = ?1, offices_base = NULL, offices_json = NULL,
            offices_at = NULL WHERE id = 1",
        [sealed],
    )?;
    Ok(())
}

/// The office list last fetched from `base_url`, if any.
pub fn cached_offices(conn: &Connection, base_url: &str) -> Result<Option<Vec<FloviOffice>>> {
    let json: Option<String> = conn
        .query_row(
            "SELECT offices_json FROM flovi_settings WHERE id = 1 AND offices_base = ?1",
            [base_url],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    // A cache that no longer reads is as good as none.
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

pub fn cache_offices(
    conn: &Connection,
    base_url: &str,
    offices: &[FloviOffice],
    at: i64,
) -> Result<()> {
    let json = serde_json::to_string(offices).map_err(|e| StoreError::Invalid(e.to_string()))?;
    conn.execute(
        "UPDATE flovi_settings SET offices_base = ?1, offices_json = ?2, offices_at = ?3
         WHERE id = 1",
        params![base_url, json, at],
    )?;
    Ok(())
}

/// Records a call and prunes the oldest beyond [`CALLS_KEPT`]; returns the new id.
pub fn insert_call(conn: &mut Connection, call: &NewCall) -> Result<i64> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO flovi_calls (at, method, url, request_body, status, response_body,
            response_truncated, duration_ms, error, schedule_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            call.at,
            call.method,
            call.url,
            call.request_body,
            call.status,
            call.response_body,
            call.response_truncated,
            call.duration_ms.min(i64::MAX as u64) as i64,
            call.error,
            call.schedule_id,
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute("DELETE FROM flovi_calls WHERE id <= ?1", [id - CALLS_KEPT])?;
    tx.commit()?;
    Ok(id)
}

const CALL_COLUMNS: &str = "id, at, method, url, request_body, status, response_body, \
                            response_truncated, duration_ms, error, schedule_id";

fn call_from(r: &Row<'_>) -> rusqlite::Result<FloviCall> {
    let schedule_id: Option<String> = r.get(10)?;
    Ok(FloviCall {
        id: r.get(0)?,
        at: r.get(1)?,
        method: r.get(2)?,
        url: r.get(3)?,
        request_body: r.get(4)?,
        status: r.get(5)?,
        response_body: r.get(6)?,
        response_truncated: r.get(7)?,
        duration_ms: r.get::<_, i64>(8)?.max(0) as u64,
        error: r.get(9)?,
        completion_link: schedule_id.as_deref().map(crate::flovi_api::completion_link),
        schedule_id,
    })
}

/// The newest `limit` calls, newest first.
pub fn calls(conn: &Connection, limit: u32) -> Result<Vec<FloviCall>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CALL_COLUMNS} FROM flovi_calls ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], call_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn call(conn: &Connection, id: i64) -> Result<Option<FloviCall>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {CALL_COLUMNS} FROM flovi_calls WHERE id = ?1"))?;
    Ok(stmt.query_row([id], call_from).optional()?)
}
