//! Read queries. Each takes a connection so it runs on whichever reader the caller holds.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    DeliveryDetail, DeliveryQuery, DeliverySummary, Endpoint, EndpointCount, Result, StoreError,
    headers,
};

const DEFAULT_LIMIT: u32 = 200;
const MAX_LIMIT: u32 = 10_000;
/// Trigram search needs at least this many characters in a term.
const MIN_FTS_TERM: usize = 3;

const SUMMARY_COLUMNS: &str = "d.id, d.received_at, d.method, d.path, d.query, d.endpoint_id,
    e.name, d.provider, d.content_type, d.body_size, d.body_sha256, d.body_stored,
    d.response_status";

fn summary(row: &Row<'_>) -> rusqlite::Result<DeliverySummary> {
    Ok(DeliverySummary {
        id: row.get(0)?,
        received_at: row.get(1)?,
        method: row.get(2)?,
        path: row.get(3)?,
        query: row.get(4)?,
        endpoint_id: row.get(5)?,
        endpoint: row.get(6)?,
        provider: row.get(7)?,
        content_type: row.get(8)?,
        body_size: row.get::<_, i64>(9)? as u64,
        body_sha256: row.get(10)?,
        body_stored: row.get(11)?,
        response_status: row.get(12)?,
    })
}

pub fn list(conn: &Connection, q: &DeliveryQuery) -> Result<Vec<DeliverySummary>> {
    let mut sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id
         WHERE 1 = 1"
    );
    let mut args: Vec<Value> = Vec::new();
    if let Some(search) = q.search.as_deref() {
        let (fts, short) = search_terms(search);
        if let Some(fts) = fts {
            sql.push_str(
                " AND d.id IN (SELECT rowid FROM deliveries_fts WHERE deliveries_fts MATCH ?)",
            );
            args.push(Value::Text(fts));
        }
        // Terms too short for the trigram index still narrow by path and method.
        for term in short {
            sql.push_str(" AND (d.path LIKE ? ESCAPE '\\' OR d.method LIKE ? ESCAPE '\\')");
            let pattern = format!("%{}%", escape_like(&term));
            args.push(Value::Text(pattern.clone()));
            args.push(Value::Text(pattern));
        }
    }
    if let Some(provider) = &q.provider {
        sql.push_str(" AND d.provider = ?");
        args.push(Value::Text(provider.clone()));
    }
    if let Some(endpoint) = q.endpoint_id {
        sql.push_str(" AND d.endpoint_id = ?");
        args.push(Value::Integer(endpoint));
    }
    if q.unrouted {
        sql.push_str(" AND d.endpoint_id IS NULL");
    }
    if let Some(method) = &q.method {
        sql.push_str(" AND d.method = ?");
        args.push(Value::Text(method.to_ascii_uppercase()));
    }
    if let Some(before) = q.before_id {
        sql.push_str(" AND d.id < ?");
        args.push(Value::Integer(before));
    }
    sql.push_str(" ORDER BY d.id DESC LIMIT ?");
    args.push(Value::Integer(
        q.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as i64,
    ));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), summary)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Splits user text into an FTS5 query (every long term as a quoted phrase, all required)
/// and the terms too short for the trigram index.
fn search_terms(search: &str) -> (Option<String>, Vec<String>) {
    let mut phrases = Vec::new();
    let mut short = Vec::new();
    for term in search.split_whitespace() {
        if term.chars().count() >= MIN_FTS_TERM {
            phrases.push(format!("\"{}\"", term.replace('"', "\"\"")));
        } else {
            short.push(term.to_owned());
        }
    }
    ((!phrases.is_empty()).then(|| phrases.join(" AND ")), short)
}

fn escape_like(term: &str) -> String {
    term.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub fn detail(conn: &Connection, id: i64) -> Result<DeliveryDetail> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, d.http_version, d.headers_raw, d.remote_addr,
            d.response_latency_us
         FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id WHERE d.id = ?1"
    );
    conn.query_row(&sql, [id], |row| {
        let raw: Vec<u8> = row.get(14)?;
        Ok(DeliveryDetail {
            summary: summary(row)?,
            http_version: row.get(13)?,
            headers: headers::to_text_pairs(&headers::decode(&raw)),
            remote_addr: row.get(15)?,
            response_latency_us: row.get(16)?,
        })
    })
    .optional()?
    .ok_or(StoreError::NotFound(id))
}

/// Raw header bytes in arrival order, for exact replay and export.
pub fn raw_headers(conn: &Connection, id: i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let raw: Vec<u8> = conn
        .query_row(
            "SELECT headers_raw FROM deliveries WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(StoreError::NotFound(id))?;
    Ok(headers::decode(&raw))
}

pub fn body(conn: &Connection, id: i64) -> Result<Vec<u8>> {
    let found: Option<Option<Vec<u8>>> = conn
        .query_row(
            "SELECT b.body FROM deliveries d LEFT JOIN delivery_bodies b ON b.id = d.id
             WHERE d.id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    match found {
        Some(body) => Ok(body.unwrap_or_default()),
        None => Err(StoreError::NotFound(id)),
    }
}

pub fn endpoints(conn: &Connection) -> Result<Vec<Endpoint>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, path_prefix, provider FROM endpoints ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(Endpoint {
            id: r.get(0)?,
            name: r.get(1)?,
            path_prefix: r.get(2)?,
            provider: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn endpoint_counts(conn: &Connection) -> Result<Vec<EndpointCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT endpoint_id, count(*) FROM deliveries GROUP BY endpoint_id ORDER BY endpoint_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(EndpointCount {
            endpoint_id: r.get(0)?,
            count: r.get::<_, i64>(1)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row("SELECT count(*) FROM deliveries", [], |r| {
        r.get::<_, i64>(0)
    })? as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms_quote_and_split() {
        let (fts, short) = search_terms(r#"evt_123 "quoted" ab"#);
        assert_eq!(fts.as_deref(), Some(r#""evt_123" AND """quoted""""#));
        assert_eq!(short, ["ab"]);
        assert_eq!(search_terms("  ").0, None);
    }
}
