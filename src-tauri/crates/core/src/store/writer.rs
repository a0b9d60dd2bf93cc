//! The single writer: takes everything queued, commits it in one transaction, then answers
//! each sender. Under load a group holds many deliveries and costs one commit.
//!
//! Work that does not make a delivery durable — the search index and retention pruning — runs
//! when the queue is empty, or in bounded slices when it falls too far behind, so it never
//! delays a provider's answer. Searches cover the rows not yet indexed on their own (see
//! `query::list`).

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::{DeliverySummary, NewDelivery, Result, StoreError, headers};

/// The most deliveries one transaction takes, so one group never delays the next too long.
const MAX_GROUP: usize = 512;
/// Text indexed for search per body; the rest of a large body is stored but not indexed.
const MAX_INDEXED_BODY: usize = 64 * 1024;
/// Rows indexed or pruned per background slice when the writer is otherwise idle.
const SLICE: u64 = 500;
/// Rows per slice taken between busy commits: small, so answers wait only briefly.
const BUSY_SLICE: u64 = 64;
/// How long the queue must stay empty before background work starts.
const QUIET: Duration = Duration::from_millis(100);
/// Past this many unindexed rows, indexing takes slices even while deliveries keep coming.
const MAX_INDEX_LAG: u64 = 100_000;
/// Past retention plus this many rows, pruning takes slices even while deliveries keep coming.
const MAX_PRUNE_LAG: u64 = 5_000;

pub(super) const INDEXED_UPTO: &str = "fts_indexed_upto";

/// A delivery with what can be computed before it reaches the writer thread.
struct Prepared {
    delivery: NewDelivery,
    headers_raw: Vec<u8>,
    sha256: Option<String>,
    content_type: Option<String>,
}

type Job = (Prepared, oneshot::Sender<Result<DeliverySummary>>);

/// Sends deliveries to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    pub(super) fn start(
        conn: Connection,
        events: broadcast::Sender<DeliverySummary>,
        retention: u64,
    ) -> Result<Self> {
        let (tx, rx) = mpsc::channel(4 * MAX_GROUP);
        let state = Background::load(&conn, retention)?;
        std::thread::Builder::new()
            .name("hookscope-writer".into())
            .spawn(move || run(conn, rx, events, state))
            .map_err(|_| StoreError::WriterStopped)?;
        Ok(Self { tx })
    }

    /// Stores a delivery and returns once it is committed.
    pub async fn insert(&self, delivery: NewDelivery) -> Result<DeliverySummary> {
        // Hashing and encoding happen here, on the caller's thread, not the single writer's.
        let prepared = Prepared {
            headers_raw: headers::encode(&delivery.headers),
            sha256: delivery.body.as_ref().map(|b| hex::encode(Sha256::digest(b))),
            content_type: delivery
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned()),
            delivery,
        };
        let (done, wait) = oneshot::channel();
        self.tx.send((prepared, done)).await.map_err(|_| StoreError::WriterStopped)?;
        wait.await.map_err(|_| StoreError::WriterStopped)?
    }
}

/// Where the background work stands.
struct Background {
    retention: u64,
    stored: u64,
    newest: i64,
    indexed_upto: i64,
}

impl Background {
    fn load(conn: &Connection, retention: u64) -> Result<Self> {
        let (stored, newest) =
            conn.query_row("SELECT count(*), coalesce(max(id), 0) FROM deliveries", [], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })?;
        let indexed_upto =
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [INDEXED_UPTO], |r| r.get(0))?;
        Ok(Self { retention, stored, newest, indexed_upto })
    }

    fn index_lag(&self) -> u64 {
        (self.newest - self.indexed_upto).max(0) as u64
    }

    fn prune_lag(&self) -> u64 {
        self.stored.saturating_sub(self.retention)
    }

    fn pending(&self) -> bool {
        self.index_lag() > 0 || self.prune_lag() > 0
    }

    /// One slice of at most `slice` rows of background work; errors are logged, and the
    /// slice retried later.
    fn step(&mut self, conn: &mut Connection, slice: u64) {
        if self.prune_lag() > 0 {
            match prune(conn, self.prune_lag().min(slice)) {
                Ok(removed) => self.stored = self.stored.saturating_sub(removed),
                Err(err) => tracing::warn!("pruning old deliveries failed: {err}"),
            }
        }
        if self.index_lag() > 0 {
            match index(conn, self.indexed_upto, slice) {
                Ok(upto) => self.indexed_upto = upto,
                Err(err) => tracing::warn!("indexing deliveries for search failed: {err}"),
            }
        }
    }
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    events: broadcast::Sender<DeliverySummary>,
    mut background: Background,
) {
    // A timer for waiting on the queue with a deadline; this thread runs nothing else on it.
    let Ok(timer) = tokio::runtime::Builder::new_current_thread().enable_time().build() else {
        tracing::error!("the store's writer cannot start its timer");
        return;
    };
    let mut group = Vec::with_capacity(MAX_GROUP);
    let mut last_commit = Instant::now();
    loop {
        // Background work waits for a quiet moment, so a burst is answered at full speed.
        let first = match rx.try_recv() {
            Ok(job) => job,
            Err(mpsc::error::TryRecvError::Empty) if background.pending() => {
                let quiet_for = QUIET.saturating_sub(last_commit.elapsed());
                match timer.block_on(async { tokio::time::timeout(quiet_for, rx.recv()).await }) {
                    Ok(Some(job)) => job,
                    Ok(None) => break,
                    Err(_) => {
                        background.step(&mut conn, SLICE);
                        continue;
                    }
                }
            }
            Err(mpsc::error::TryRecvError::Empty) => match rx.blocking_recv() {
                Some(job) => job,
                None => break,
            },
            Err(mpsc::error::TryRecvError::Disconnected) => break,
        };
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match commit(&mut conn, &group) {
            Ok(summaries) => {
                background.stored += summaries.len() as u64;
                if let Some(last) = summaries.last() {
                    background.newest = last.id;
                }
                for ((_, done), summary) in group.drain(..).zip(summaries) {
                    let _ = events.send(summary.clone());
                    let _ = done.send(Ok(summary));
                }
            }
            Err(err) => {
                tracing::error!("commit of {} deliveries failed: {err}", group.len());
                let message = err.to_string();
                for (_, done) in group.drain(..) {
                    let _ = done.send(Err(StoreError::Commit(message.clone())));
                }
            }
        }
        last_commit = Instant::now();
        if background.index_lag() > MAX_INDEX_LAG || background.prune_lag() > MAX_PRUNE_LAG {
            background.step(&mut conn, BUSY_SLICE);
        }
    }
    // Leave nothing for the next start to catch up on when stopping cleanly.
    while background.pending() {
        let before = (background.stored, background.indexed_upto);
        background.step(&mut conn, SLICE);
        if before == (background.stored, background.indexed_upto) {
            break;
        }
    }
}

/// Takes the write lock up front. A deferred transaction that reads first (duplicate lookup,
/// index, prune) and then writes fails at once with "database is locked" when another
/// connection (a forward's record, settings) committed in between; waiting for the lock
/// instead keeps captures from being refused.
fn immediate(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

fn commit(conn: &mut Connection, group: &[Job]) -> Result<Vec<DeliverySummary>> {
    let tx = immediate(conn)?;
    let mut out = Vec::with_capacity(group.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO deliveries (received_at, method, path, query, http_version, headers_raw,
                body_size, body_sha256, body_stored, content_type, remote_addr, endpoint_id,
                provider, response_status, response_latency_us, event_type, event_id,
                delivery_key, attempt, signature, signature_detail, summary, group_key,
                duplicate_of, via_tunnel)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
        )?;
        let mut insert_body =
            tx.prepare_cached("INSERT INTO delivery_bodies (id, body) VALUES (?1, ?2)")?;
        let mut first_of_group = tx
            .prepare_cached("SELECT id FROM deliveries WHERE group_key = ?1 ORDER BY id LIMIT 1")?;
        for (p, _) in group {
            let d = &p.delivery;
            let a = &d.analysis;
            let duplicate_of: Option<i64> = match &a.group_key {
                Some(key) => first_of_group.query_row([key], |r| r.get(0)).optional()?,
                None => None,
            };
            let signature = a.verification.as_ref().map(|v| v.status);
            let signature_detail =
                a.verification.as_ref().and_then(|v| serde_json::to_string(v).ok());
            insert.execute(params![
                d.received_at,
                d.method,
                d.path,
                d.query,
                d.http_version,
                p.headers_raw,
                d.body_size as i64,
                p.sha256,
                d.body.is_some(),
                p.content_type,
                d.remote_addr,
                d.endpoint_id,
                d.provider,
                d.response_status,
                d.response_latency_us,
                a.event_type,
                a.event_id,
                a.delivery_key,
                a.attempt,
                signature.map(super::query::status_text),
                signature_detail,
                a.summary,
                a.group_key,
                duplicate_of,
                d.via_tunnel,
            ])?;
            let id = tx.last_insert_rowid();
            if let Some(body) = &d.body {
                insert_body.execute(params![id, body.as_ref()])?;
            }
            out.push(DeliverySummary {
                id,
                received_at: d.received_at,
                method: d.method.clone(),
                path: d.path.clone(),
                query: d.query.clone(),
                endpoint_id: d.endpoint_id,
                endpoint: d.endpoint.clone(),
                provider: d.provider.clone(),
                content_type: p.content_type.clone(),
                body_size: d.body_size,
                body_sha256: p.sha256.clone(),
                body_stored: d.body.is_some(),
                response_status: Some(d.response_status),
                event_type: a.event_type.clone(),
                event_id: a.event_id.clone(),
                attempt: a.attempt,
                duplicate_of,
                signature,
                signature_detail: a.verification.clone(),
                summary: a.summary.clone(),
                via_tunnel: d.via_tunnel.clone(),
            });
        }
    }
    tx.commit()?;
    Ok(out)
}

/// A delivery's text as the search index sees it: id, method and path line, headers, body.
type SearchDoc = (i64, String, String, Option<String>);

/// The search text of deliveries in `[from, to]` with at most `limit` rows, oldest first:
/// `(id, path line, headers, body text)`. Indexing and forgetting must see the same text.
fn search_docs(
    tx: &rusqlite::Transaction<'_>,
    from: i64,
    to: i64,
    limit: u64,
) -> Result<Vec<SearchDoc>> {
    let mut rows = tx.prepare_cached(
        "SELECT d.id, d.method, d.path, d.query, d.headers_raw, substr(b.body, 1, ?4)
         FROM deliveries d LEFT JOIN delivery_bodies b ON b.id = d.id
         WHERE d.id >= ?1 AND d.id <= ?2 ORDER BY d.id LIMIT ?3",
    )?;
    let docs = rows.query_map(params![from, to, limit as i64, MAX_INDEXED_BODY as i64], |row| {
        let method: String = row.get(1)?;
        let path: String = row.get(2)?;
        let query: Option<String> = row.get(3)?;
        let headers_raw: Vec<u8> = row.get(4)?;
        let body: Option<Vec<u8>> = row.get(5)?;
        let line = match query {
            Some(q) => format!("{method} {path}?{q}"),
            None => format!("{method} {path}"),
        };
        let headers = search_headers(&headers::decode(&headers_raw));
        Ok((row.get(0)?, line, headers, body.as_deref().and_then(search_body)))
    })?;
    Ok(docs.collect::<rusqlite::Result<_>>()?)
}

/// Adds up to `limit` deliveries after `after` to the search index; returns the new high mark.
fn index(conn: &mut Connection, after: i64, limit: u64) -> Result<i64> {
    let tx = immediate(conn)?;
    let docs = search_docs(&tx, after + 1, i64::MAX, limit)?;
    let Some(upto) = docs.last().map(|d| d.0) else {
        return Ok(after);
    };
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO deliveries_fts (rowid, path, headers, body) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (id, line, headers, body) in &docs {
            insert.execute(params![id, line, headers, body])?;
        }
    }
    tx.execute("UPDATE meta SET value = ?2 WHERE key = ?1", params![INDEXED_UPTO, upto])?;
    tx.commit()?;
    Ok(upto)
}

fn search_headers(headers: &[(Vec<u8>, Vec<u8>)]) -> String {
    let mut text = String::new();
    for (name, value) in headers::to_text_pairs(headers) {
        text.push_str(&name);
        text.push_str(": ");
        text.push_str(&value);
        text.push('\n');
    }
    text
}

fn search_body(head: &[u8]) -> Option<String> {
    match std::str::from_utf8(head) {
        Ok(text) => Some(text.to_owned()),
        // A cut through a multi-byte character is still text; anything else is binary.
        Err(e) if e.error_len().is_none() => {
            Some(String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned())
        }
        Err(_) => None,
    }
}

/// Deletes up to `count` of the oldest deliveries; returns how many went.
fn prune(conn: &mut Connection, count: u64) -> Result<u64> {
    let tx = immediate(conn)?;
    let cutoff: Option<i64> = tx
        .query_row(
            "SELECT id FROM deliveries ORDER BY id LIMIT 1 OFFSET ?1",
            [count.saturating_sub(1) as i64],
            |r| r.get(0),
        )
        .optional()?;
    let Some(cutoff) = cutoff else {
        return Ok(0);
    };
    {
        // A contentless index forgets a row only when told the text it indexed for it.
        let indexed_upto: i64 =
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [INDEXED_UPTO], |r| r.get(0))?;
        let mut forget = tx.prepare_cached(
            "INSERT INTO deliveries_fts (deliveries_fts, rowid, path, headers, body)
             VALUES ('delete', ?1, ?2, ?3, ?4)",
        )?;
        for (id, line, headers, body) in search_docs(&tx, 0, cutoff.min(indexed_upto), count)? {
            forget.execute(params![id, line, headers, body])?;
        }
    }
    tx.execute("DELETE FROM delivery_bodies WHERE id <= ?1", [cutoff])?;
    let removed = tx.execute("DELETE FROM deliveries WHERE id <= ?1", [cutoff])?;
    tx.commit()?;
    Ok(removed as u64)
}
