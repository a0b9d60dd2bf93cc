//! The single writer: takes everything queued, commits it in one transaction, then answers
//! each sender. Under load a group holds many deliveries and costs one fsync.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::{DeliverySummary, NewDelivery, Result, StoreError, headers};

/// The most deliveries one transaction takes, so one group never delays the next too long.
const MAX_GROUP: usize = 512;
/// Text indexed for search per body; the rest of a large body is stored but not indexed.
const MAX_INDEXED_BODY: usize = 64 * 1024;
/// Rows deleted per pruning pass, so a big backlog never stalls a commit for long.
const PRUNE_BATCH: u64 = 2_000;

type Job = (NewDelivery, oneshot::Sender<Result<DeliverySummary>>);

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
        let stored = conn.query_row("SELECT count(*) FROM deliveries", [], |r| {
            r.get::<_, i64>(0)
        })? as u64;
        std::thread::Builder::new()
            .name("hookscope-writer".into())
            .spawn(move || run(conn, rx, events, retention, stored))
            .map_err(|_| StoreError::WriterStopped)?;
        Ok(Self { tx })
    }

    /// Stores a delivery and returns once it is committed to disk.
    pub async fn insert(&self, delivery: NewDelivery) -> Result<DeliverySummary> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((delivery, done))
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        wait.await.map_err(|_| StoreError::WriterStopped)?
    }
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    events: broadcast::Sender<DeliverySummary>,
    retention: u64,
    mut stored: u64,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = rx.blocking_recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        match commit(&mut conn, &group) {
            Ok(summaries) => {
                stored += summaries.len() as u64;
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
        if stored > retention {
            match prune(&mut conn, (stored - retention).min(PRUNE_BATCH)) {
                Ok(removed) => stored = stored.saturating_sub(removed),
                Err(err) => tracing::warn!("pruning old deliveries failed: {err}"),
            }
        }
    }
}

fn commit(conn: &mut Connection, group: &[Job]) -> Result<Vec<DeliverySummary>> {
    let tx = conn.transaction()?;
    let mut out = Vec::with_capacity(group.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO deliveries (received_at, method, path, query, http_version, headers_raw,
                body_size, body_sha256, body_stored, content_type, remote_addr, endpoint_id,
                provider, response_status, response_latency_us)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        let mut insert_body =
            tx.prepare_cached("INSERT INTO delivery_bodies (id, body) VALUES (?1, ?2)")?;
        let mut index = tx.prepare_cached(
            "INSERT INTO deliveries_fts (rowid, path, headers, body) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (d, _) in group {
            let content_type = d
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
            let sha = d.body.as_ref().map(|b| hex::encode(Sha256::digest(b)));
            insert.execute(params![
                d.received_at,
                d.method,
                d.path,
                d.query,
                d.http_version,
                headers::encode(&d.headers),
                d.body_size as i64,
                sha,
                d.body.is_some(),
                content_type,
                d.remote_addr,
                d.endpoint_id,
                d.provider,
                d.response_status,
                d.response_latency_us,
            ])?;
            let id = tx.last_insert_rowid();
            if let Some(body) = &d.body {
                insert_body.execute(params![id, body.as_ref()])?;
            }
            index.execute(params![
                id,
                search_path(d),
                search_headers(d),
                search_body(d)
            ])?;
            out.push(DeliverySummary {
                id,
                received_at: d.received_at,
                method: d.method.clone(),
                path: d.path.clone(),
                query: d.query.clone(),
                endpoint_id: d.endpoint_id,
                endpoint: d.endpoint.clone(),
                provider: d.provider.clone(),
                content_type,
                body_size: d.body_size,
                body_sha256: sha,
                body_stored: d.body.is_some(),
                response_status: Some(d.response_status),
            });
        }
    }
    tx.commit()?;
    Ok(out)
}

fn search_path(d: &NewDelivery) -> String {
    match &d.query {
        Some(q) => format!("{} {}?{q}", d.method, d.path),
        None => format!("{} {}", d.method, d.path),
    }
}

fn search_headers(d: &NewDelivery) -> String {
    let mut text = String::new();
    for (name, value) in headers::to_text_pairs(&d.headers) {
        text.push_str(&name);
        text.push_str(": ");
        text.push_str(&value);
        text.push('\n');
    }
    text
}

fn search_body(d: &NewDelivery) -> Option<String> {
    let body = d.body.as_ref()?;
    let head = &body[..body.len().min(MAX_INDEXED_BODY)];
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
    let tx = conn.transaction()?;
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
    tx.execute("DELETE FROM deliveries_fts WHERE rowid <= ?1", [cutoff])?;
    tx.execute("DELETE FROM delivery_bodies WHERE id <= ?1", [cutoff])?;
    let removed = tx.execute("DELETE FROM deliveries WHERE id <= ?1", [cutoff])?;
    tx.commit()?;
    Ok(removed as u64)
}
