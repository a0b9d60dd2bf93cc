//! Read queries. Each takes a connection so it runs on whichever reader the caller holds.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::providers::{self, ProviderId, RequestView, SignatureStatus};

use super::search::{MAX_INDEXED_BODY, Matcher, SearchDoc};
use super::{
    DeliveryDetail, DeliveryQuery, DeliverySummary, Endpoint, EndpointCount, Result, StoreError,
    headers,
};

const DEFAULT_LIMIT: u32 = 200;
/// The most deliveries one list returns, so one read stays short; callers page past it with
/// `before_id`. A larger limit is refused rather than quietly cut.
pub const MAX_LIST_LIMIT: u32 = 10_000;
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
    let Some(typed) = q.search.as_deref() else {
        return select(conn, &filters, args, limit);
    };
    let matcher = Matcher::new()?;
    let Some(fts) = matcher.query(typed)? else {
        return select(conn, &filters, args, limit);
    };
    // Rows newer than the index's high mark are not indexed yet: match them directly. They
    // are all newer than indexed rows, so they come first in newest-first order.
    let indexed_upto: i64 = conn.query_row(
        "SELECT value FROM meta WHERE key = ?1",
        [super::writer::INDEXED_UPTO],
        |r| r.get(0),
    )?;
    let mut out = recent_matches(conn, q, (&matcher, &fts), indexed_upto, limit)?;
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

/// Search over the rows the index has not reached, with the index's own rule (see
/// [`super::search`]): `search` is the matcher and the query it made of the typed text.
///
/// In a flood the index waits and these rows can be many. They are read newest first in
/// ranges of [`SCAN_CHUNK`] ids, each range one statement and so one short read transaction
/// of its own: a search never keeps the write-ahead log from starting over for longer than
/// one range takes, however many rows it reads in all.
fn recent_matches(
    conn: &Connection,
    q: &DeliveryQuery,
    (matcher, fts): (&Matcher, &str),
    indexed_upto: i64,
    limit: usize,
) -> Result<Vec<DeliverySummary>> {
    let (filters, args) = filters(q);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, d.headers_raw, substr(d.body, 1, {MAX_INDEXED_BODY})
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
            let delivery = summary(row)?;
            let doc = SearchDoc::new(
                delivery.id,
                &delivery.method,
                &delivery.path,
                delivery.query.as_deref(),
                &headers,
                body.as_deref(),
            );
            Ok((delivery, doc))
        })?;
        let (deliveries, docs): (Vec<_>, Vec<_>) =
            rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().unzip();
        let matching = matcher.matching(&docs, fts)?;
        let found = deliveries.into_iter().filter(|d| matching.contains(&d.id));
        out.extend(found.take(limit - out.len()));
        upper = lower;
    }
    Ok(out)
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
            let matcher = Matcher::new().unwrap();
            let fts = matcher.query(text).unwrap().unwrap();
            let found =
                store.read(|c| recent_matches(c, &q, (&matcher, &fts), after, limit)).unwrap();
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

    /// Bodies whose words fold (case, accents, ligatures, other scripts), and queries to try.
    const TRICKY: [&str; 9] = [
        "Åsa Öberg paid",
        "ÉCOLE normale supérieure",
        "Straße in München",
        "naïve café crème",
        "e\u{301}cole de\u{301}compose\u{301}e",
        "Ελληνικά Άλφα",
        "日本語テキスト",
        "ﬁnance İstanbul ǅemal",
        "ＡＢＣ ①② ٣٤",
    ];
    const QUERIES: [&str; 26] = [
        "asa",
        "ÅSA",
        "oberg",
        "ecole",
        "école",
        "ÉCOLE",
        "superieure",
        "strasse",
        "straße",
        "munchen",
        "naive cafe",
        "cafe naive",
        "creme",
        "decompose",
        "ελληνικα",
        "αλφα",
        "日本",
        "テキスト",
        "finance",
        "ﬁ",
        "istanbul",
        "dzemal",
        "abc",
        "ａｂｃ",
        "e",
        "٣",
    ];

    #[tokio::test]
    async fn the_scan_and_the_index_find_the_same_deliveries() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(dir.path(), Default::default()).unwrap();
        let writer = store.writer().unwrap();
        for (n, body) in TRICKY.iter().enumerate() {
            writer
                .insert(super::super::search_tests::delivery(&format!("/t{n}"), body))
                .await
                .unwrap();
        }
        let indexed = || {
            store
                .read(|c| {
                    Ok(c.query_row(
                        "SELECT value FROM meta WHERE key = ?1",
                        [super::super::writer::INDEXED_UPTO],
                        |r| r.get::<_, i64>(0),
                    )?)
                })
                .unwrap()
        };
        for _ in 0..500 {
            if indexed() == TRICKY.len() as i64 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(indexed(), TRICKY.len() as i64, "the idle writer indexes everything");
        let ids = |found: Vec<DeliverySummary>| found.into_iter().map(|d| d.id).collect::<Vec<_>>();
        for text in QUERIES {
            let q = DeliveryQuery { search: Some(text.into()), ..DeliveryQuery::default() };
            let by_index = ids(store.list(&q).unwrap());
            let matcher = Matcher::new().unwrap();
            let fts = matcher.query(text).unwrap().unwrap();
            // Every row scanned, as if the index had reached none of them.
            let scanned =
                ids(store.read(|c| recent_matches(c, &q, (&matcher, &fts), 0, 100)).unwrap());
            assert_eq!(scanned, by_index, "{text:?}");
        }
        let find = |text: &str| {
            let q = DeliveryQuery { search: Some(text.into()), ..DeliveryQuery::default() };
            ids(store.list(&q).unwrap())
        };
        assert_eq!(find("asa"), [1], "Åsa");
        assert!(find("ecole").contains(&2), "ÉCOLE");
        assert_eq!(find("école"), find("ECOLE"));
        assert_eq!(find("cafe naive"), [4], "any order");
    }

    #[test]
    fn search_text_becomes_the_tokenizers_prefix_terms() {
        let matcher = Matcher::new().unwrap();
        let query = |text: &str| matcher.query(text).unwrap();
        assert_eq!(query("evt_7f3").as_deref(), Some(r#""evt"* AND "7f3"*"#));
        assert_eq!(query(r#"a "b" OR c*"#).as_deref(), Some(r#""a"* AND "b"* AND "or"* AND "c"*"#));
        assert_eq!(query("Åsa-ö").as_deref(), Some(r#""asa"* AND "o"*"#));
        assert_eq!(query("ÉCOLE école").as_deref(), Some(r#""ecole"*"#), "one term once");
        assert_eq!(query(" ;-) "), None);
    }

    #[test]
    fn the_scan_uses_the_index_tokenizer() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(dir.path(), Default::default()).unwrap();
        let sql: String = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT sql FROM sqlite_master WHERE name = 'deliveries_fts'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert!(
            sql.contains(&format!("tokenize = \"{}\"", super::super::search::TOKENIZE)),
            "{sql}"
        );
    }
}
