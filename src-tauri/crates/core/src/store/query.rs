//! Read queries. Each takes a connection so it runs on whichever reader the caller holds.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::providers::{self, ProviderId, RequestView, SignatureStatus};

use super::{
    DeliveryDetail, DeliveryQuery, DeliverySummary, Endpoint, EndpointCount, Result, StoreError,
    headers,
};

const DEFAULT_LIMIT: u32 = 200;
/// The most deliveries one list returns, so one read stays short; callers page past it with
/// `before_id`. A larger limit is refused rather than quietly cut.
pub const MAX_LIST_LIMIT: u32 = 10_000;
/// Body bytes searched in rows not yet indexed (the index takes as much).
const MAX_SEARCHED_BODY: usize = 64 * 1024;
/// Ids of rows not yet indexed read per statement when searching them (see `recent_matches`).
const SCAN_CHUNK: i64 = 128;

const SUMMARY_COLUMNS: &str = "d.id, d.received_at, d.method, d.path, d.query, d.endpoint_id,
    e.name, d.provider, d.content_type, d.body_size, d.body_sha256, d.body_stored,
    d.response_status, d.event_type, d.event_id, d.attempt, d.duplicate_of, d.signature,
    d.signature_detail, d.summary, d.via_tunnel";
/// How many columns [`SUMMARY_COLUMNS`] selects; columns after them start here.
const AFTER_SUMMARY: usize = 21;

pub fn status_text(status: SignatureStatus) -> &'static str {
    match status {
        SignatureStatus::Valid => "valid",
        SignatureStatus::Invalid => "invalid",
        SignatureStatus::Unsigned => "unsigned",
        SignatureStatus::Unchecked => "unchecked",
    }
}

fn status_from_text(text: &str) -> Option<SignatureStatus> {
    [
        SignatureStatus::Valid,
        SignatureStatus::Invalid,
        SignatureStatus::Unsigned,
        SignatureStatus::Unchecked,
    ]
    .into_iter()
    .find(|s| status_text(*s) == text)
}

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
        event_type: row.get(13)?,
        event_id: row.get(14)?,
        attempt: row.get(15)?,
        duplicate_of: row.get(16)?,
        signature: row.get::<_, Option<String>>(17)?.as_deref().and_then(status_from_text),
        // Stored by this program; a row it cannot read back just shows no detail.
        signature_detail: row
            .get::<_, Option<String>>(18)?
            .and_then(|json| serde_json::from_str(&json).ok()),
        summary: row.get(19)?,
        via_tunnel: row.get(20)?,
    })
}

pub fn list(conn: &Connection, q: &DeliveryQuery) -> Result<Vec<DeliverySummary>> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit > MAX_LIST_LIMIT {
        return Err(StoreError::Invalid(format!(
            "a list returns at most {MAX_LIST_LIMIT} deliveries, not {limit}: page with before_id"
        )));
    }
    let limit = limit as usize;
    let (filters, args) = filters(q);
    let Some(fts) = q.search.as_deref().and_then(fts_query) else {
        return select(conn, &filters, args, limit);
    };
    // Rows newer than the index's high mark are not indexed yet: match them directly. They
    // are all newer than indexed rows, so they come first in newest-first order.
    let indexed_upto: i64 = conn.query_row(
        "SELECT value FROM meta WHERE key = ?1",
        [super::writer::INDEXED_UPTO],
        |r| r.get(0),
    )?;
    let mut out = recent_matches(conn, q, indexed_upto, limit)?;
    if out.len() < limit {
        let mut args = args;
        args.push(Value::Integer(indexed_upto));
        args.push(Value::Text(fts));
        let filters = format!(
            "{filters} AND d.id <= ? AND d.id IN
                (SELECT rowid FROM deliveries_fts WHERE deliveries_fts MATCH ?)"
        );
        out.extend(select(conn, &filters, args, limit - out.len())?);
    }
    Ok(out)
}

/// Every filter but search, as SQL conditions and their arguments.
fn filters(q: &DeliveryQuery) -> (String, Vec<Value>) {
    let mut sql = String::from("1 = 1");
    let mut args = Vec::new();
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
    if let Some(event_type) = &q.event_type {
        sql.push_str(" AND d.event_type = ?");
        args.push(Value::Text(event_type.clone()));
    }
    if let Some(signature) = q.signature {
        sql.push_str(" AND d.signature = ?");
        args.push(Value::Text(status_text(signature).to_owned()));
    }
    if let Some(method) = &q.method {
        sql.push_str(" AND d.method = ?");
        args.push(Value::Text(method.to_ascii_uppercase()));
    }
    if let Some(before) = q.before_id {
        sql.push_str(" AND d.id < ?");
        args.push(Value::Integer(before));
    }
    (sql, args)
}

fn select(
    conn: &Connection,
    filters: &str,
    mut args: Vec<Value>,
    limit: usize,
) -> Result<Vec<DeliverySummary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id
         WHERE {filters} ORDER BY d.id DESC LIMIT ?"
    );
    args.push(Value::Integer(limit as i64));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), summary)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Search over the rows the index has not reached, with the index's rule: every word the
/// user typed starts some word of the delivery, ignoring case.
///
/// In a flood the index waits and these rows can be many. They are read newest first in
/// ranges of [`SCAN_CHUNK`] ids, each range one statement and so one short read transaction
/// of its own: a search never keeps the write-ahead log from starting over for longer than
/// one range takes, however many rows it reads in all.
fn recent_matches(
    conn: &Connection,
    q: &DeliveryQuery,
    indexed_upto: i64,
    limit: usize,
) -> Result<Vec<DeliverySummary>> {
    let words: Vec<String> = q
        .search
        .as_deref()
        .unwrap_or_default()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let (filters, args) = filters(q);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, d.headers_raw, substr(d.body, 1, {MAX_SEARCHED_BODY})
         FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id
         WHERE {filters} AND d.id > ? AND d.id <= ? ORDER BY d.id DESC"
    );
    let newest: i64 =
        conn.query_row("SELECT coalesce(max(id), 0) FROM deliveries", [], |r| r.get(0))?;
    let mut upper = match q.before_id {
        Some(before) => newest.min(before.saturating_sub(1)),
        None => newest,
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = Vec::new();
    while out.len() < limit && upper > indexed_upto {
        let lower = upper.saturating_sub(SCAN_CHUNK).max(indexed_upto);
        let mut range = args.clone();
        range.extend([Value::Integer(lower), Value::Integer(upper)]);
        // Read first, match after: the transaction lasts only as long as SQLite's reading.
        let rows = stmt.query_map(rusqlite::params_from_iter(range), |row| {
            let headers: Vec<u8> = row.get(AFTER_SUMMARY)?;
            let body: Option<Vec<u8>> = row.get(AFTER_SUMMARY + 1)?;
            Ok((summary(row)?, headers, body))
        })?;
        let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        for (delivery, headers, body) in rows {
            if out.len() == limit {
                break;
            }
            if matches_words(&words, &delivery, &headers, body.as_deref()) {
                out.push(delivery);
            }
        }
        upper = lower;
    }
    Ok(out)
}

/// Whether every word starts some word of the delivery's path line, headers or body text.
fn matches_words(
    words: &[String],
    delivery: &DeliverySummary,
    headers: &[u8],
    body: Option<&[u8]>,
) -> bool {
    let mut text = format!(
        "{} {}?{}\n",
        delivery.method,
        delivery.path,
        delivery.query.as_deref().unwrap_or_default()
    );
    for (name, value) in headers::to_text_pairs(&headers::decode(headers)) {
        text.push_str(&format!("{name}: {value}\n"));
    }
    if let Some(body) = body {
        text.push_str(&String::from_utf8_lossy(body));
    }
    let text = text.to_lowercase();
    let tokens: Vec<&str> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    words.iter().all(|w| tokens.iter().any(|t| t.starts_with(w.as_str())))
}

/// Turns what the user typed into an FTS5 query: the words the index's tokenizer would see
/// (runs of letters and digits), each a prefix match, all required. `evt_7f3` finds
/// `evt_7f3a9c`; punctuation never reaches FTS5's query syntax.
fn fts_query(search: &str) -> Option<String> {
    let terms: Vec<String> = search
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| format!("\"{t}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

pub fn detail(conn: &Connection, id: i64) -> Result<DeliveryDetail> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, d.http_version, d.headers_raw, d.remote_addr,
            d.response_latency_us, t.target
         FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id
            LEFT JOIN delivery_targets t ON t.delivery_id = d.id
         WHERE d.id = ?1"
    );
    let (mut detail, raw) = conn
        .query_row(&sql, [id], |row| {
            let raw: Vec<u8> = row.get(AFTER_SUMMARY + 1)?;
            let summary = summary(row)?;
            // Stored only when the path and query do not spell it.
            let target: Option<String> = row.get(AFTER_SUMMARY + 4)?;
            let target = target.unwrap_or_else(|| match &summary.query {
                Some(query) => format!("{}?{query}", summary.path),
                None => summary.path.clone(),
            });
            let detail = DeliveryDetail {
                summary,
                target,
                http_version: row.get(AFTER_SUMMARY)?,
                headers: headers::to_text_pairs(&headers::decode(&raw)),
                remote_addr: row.get(AFTER_SUMMARY + 2)?,
                response_latency_us: row.get(AFTER_SUMMARY + 3)?,
                decoded: None,
            };
            Ok((detail, raw))
        })
        .optional()?
        .ok_or(StoreError::NotFound(id))?;
    // Decoded on every read, so improvements to a decoder apply to old deliveries too.
    let provider = detail.summary.provider.as_deref().and_then(|p| p.parse::<ProviderId>().ok());
    if let (Some(provider), true) = (provider, detail.summary.body_stored) {
        let body = body(conn, id)?;
        let headers = headers::decode(&raw);
        let view = RequestView {
            method: &detail.summary.method,
            path: &detail.summary.path,
            headers: &headers,
            body: &body,
        };
        detail.decoded = Some(providers::provider(provider).decode(&view));
    }
    Ok(detail)
}

/// Every delivery sharing `id`'s group key, oldest first (just `id` when it has none).
pub fn group(conn: &Connection, id: i64) -> Result<(Option<String>, Vec<DeliverySummary>)> {
    let key: Option<String> = conn
        .query_row("SELECT group_key FROM deliveries WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound(id))?;
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id
         WHERE (d.group_key = ?1 OR d.id = ?2) ORDER BY d.id LIMIT 1000"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![key, id], summary)?;
    Ok((key, rows.collect::<rusqlite::Result<_>>()?))
}

/// Distinct event types stored, for filters.
pub fn event_types(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT event_type FROM deliveries WHERE event_type IS NOT NULL
         ORDER BY event_type LIMIT 1000",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Raw header bytes in arrival order, for exact replay and export.
pub fn raw_headers(conn: &Connection, id: i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let raw: Vec<u8> = conn
        .query_row("SELECT headers_raw FROM deliveries WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound(id))?;
    Ok(headers::decode(&raw))
}

pub fn body(conn: &Connection, id: i64) -> Result<Vec<u8>> {
    let found: Option<Option<Vec<u8>>> = conn
        .query_row("SELECT body FROM deliveries WHERE id = ?1", params![id], |r| r.get(0))
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
        Ok(Endpoint { id: r.get(0)?, name: r.get(1)?, path_prefix: r.get(2)?, provider: r.get(3)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn endpoint_counts(conn: &Connection) -> Result<Vec<EndpointCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT endpoint_id, count(*) FROM deliveries GROUP BY endpoint_id ORDER BY endpoint_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(EndpointCount { endpoint_id: r.get(0)?, count: r.get::<_, i64>(1)? as u64 })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<u64> {
    Ok(conn.query_row("SELECT count(*) FROM deliveries", [], |r| r.get::<_, i64>(0))? as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rows_not_yet_indexed_are_searched_in_ranges_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(dir.path(), Default::default()).unwrap();
        let writer = store.writer().unwrap();
        let count = SCAN_CHUNK * 5 + 17;
        for n in 1..=count {
            let body = if n % 7 == 0 { format!("alpha {n}") } else { "beta".to_owned() };
            let d = super::super::search_tests::delivery(&format!("/d{n}"), &body);
            writer.insert(d).await.unwrap();
        }
        let search = |text: &str, before_id, after, limit| {
            let q =
                DeliveryQuery { search: Some(text.into()), before_id, ..DeliveryQuery::default() };
            let found = store.read(|c| recent_matches(c, &q, after, limit)).unwrap();
            found.into_iter().map(|d| d.id).collect::<Vec<_>>()
        };
        // As if nothing (or only the oldest rows) were indexed yet, whatever the index did.
        let every_seventh = |from: i64, to: i64| (from..=to).rev().filter(|n| n % 7 == 0);
        assert_eq!(search("alpha", None, 0, 10_000), every_seventh(1, count).collect::<Vec<_>>());
        assert_eq!(
            search("ALPH", None, 0, 20),
            every_seventh(1, count).take(20).collect::<Vec<_>>(),
            "the newest matches, as many as asked"
        );
        assert_eq!(
            search("alpha", Some(500), 100, 10_000),
            every_seventh(101, 499).collect::<Vec<_>>(),
            "between the index's mark and the page's start"
        );
        assert_eq!(search("alpha 14", None, 0, 10), [147, 140, 14], "every word a prefix");
        assert!(search("gamma", None, 0, 10).is_empty());
    }

    #[test]
    fn search_text_becomes_prefix_terms() {
        assert_eq!(fts_query("evt_7f3").as_deref(), Some(r#""evt"* AND "7f3"*"#));
        assert_eq!(
            fts_query(r#"a "b" OR c*"#).as_deref(),
            Some(r#""a"* AND "b"* AND "OR"* AND "c"*"#)
        );
        assert_eq!(fts_query("Åsa-ö").as_deref(), Some(r#""Åsa"* AND "ö"*"#));
        assert_eq!(fts_query(" ;-) "), None);
    }
}
