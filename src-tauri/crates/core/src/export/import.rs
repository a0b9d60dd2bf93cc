//! HAR import. The file is read one entry at a time; each entry is routed and analysed like a
//! capture and staged in a temporary table, so the store is not touched while the file is
//! read. Then one transaction moves every staged delivery into the store, marks them
//! imported and prunes down to retention: an import of any size completes, or changes nothing.

use std::io::Read;

use rusqlite::{Connection, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use super::har::{FormBody, HarItem, for_each_entry};
use super::{ExportError, ImportNote, ImportReport, Result, as_captured};
use crate::analysis::EndpointRuntime;
use crate::registry::Registry;
use crate::store::responses::StoredResponse;
use crate::store::{NewDelivery, StoreError, headers, status_text};
use crate::time;

/// Limits an import applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// Largest body stored, as the listener's limit: a larger one is recorded without it.
    pub max_body: u64,
    /// Deliveries kept once the import is in: the newest this many.
    pub retention: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            max_body: crate::capture::DEFAULT_MAX_BODY,
            retention: crate::store::DEFAULT_RETENTION,
        }
    }
}

/// Imported deliveries announced on the live feed at most: the newest, which a window shows
/// first. More would only overflow the feed's buffer.
const MAX_ANNOUNCED: usize = 1_000;

/// Columns a staged delivery fills, in the store's `deliveries` and the staging table alike.
/// `duplicate_of` is left out: it is found once the rows have their ids.
const COLUMNS: &str = "received_at, method, path, query, http_version, headers_raw, body_size,
    body_sha256, body_stored, content_type, remote_addr, endpoint_id, provider, response_status,
    response_latency_us, event_type, event_id, delivery_key, attempt, signature,
    signature_detail, summary, group_key, via_tunnel, body";

/// Imports a HAR file read from `reader` (blocking: call from a blocking context).
pub fn import_har_from(
    registry: &Registry,
    reader: impl Read,
    source: &str,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let runtimes = registry.runtimes()?;
    let store = registry.store();
    let report = store.write(|conn| Ok(import_on(conn, &runtimes, reader, source, options)))??;
    // Live views learn of the new rows as they learn of captures.
    for &id in report.ids.iter().rev().take(MAX_ANNOUNCED).rev() {
        store.announce(id)?;
    }
    Ok(report)
}

fn import_on(
    conn: &mut Connection,
    runtimes: &[EndpointRuntime],
    reader: impl Read,
    source: &str,
    options: &ImportOptions,
) -> Result<ImportReport> {
    // On disk, not in memory: an import may be far larger than the memory it may use.
    conn.execute_batch(&format!(
        "PRAGMA temp_store = FILE;
         DROP TABLE IF EXISTS temp.har_import;
         CREATE TEMP TABLE har_import (seq INTEGER PRIMARY KEY, {COLUMNS}, target);
         {STAGED_RESPONSES}"
    ))
    .map_err(StoreError::from)?;
    let result = stage(conn, runtimes, reader, options)
        .and_then(|staged| move_in(conn, staged, source, options));
    // Setting `temp_store` again drops the table too; the pooled connection is left as found.
    let _ = conn.execute_batch(
        "DROP TABLE IF EXISTS temp.har_import; DROP TABLE IF EXISTS temp.har_import_responses;
         PRAGMA temp_store = DEFAULT;",
    );
    result
}

/// What [`stage`] read.
struct Staged {
    /// Entries staged, to become deliveries.
    imported: usize,
    /// Entries left out as no request Hookscope could have received.
    skipped: usize,
    /// The notes, each with the staged position (from 0) of its entry, None for one skipped.
    notes: Vec<(Option<usize>, ImportNote)>,
}

/// Reads every entry into the staging table.
fn stage(
    conn: &mut Connection,
    runtimes: &[EndpointRuntime],
    reader: impl Read,
    options: &ImportOptions,
) -> Result<Staged> {
    let tx = conn.transaction().map_err(StoreError::from)?;
    let (mut notes, mut imported, mut skipped) = (Vec::new(), 0, 0);
    {
        let mut insert = tx
            .prepare(&format!(
                "INSERT INTO temp.har_import ({COLUMNS}, target)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
            ))
            .map_err(StoreError::from)?;
        let mut insert_response = tx.prepare(STAGE_RESPONSE).map_err(StoreError::from)?;
        let reader = std::io::BufReader::with_capacity(1 << 16, reader);
        for_each_entry(reader, options.max_body, |index, item| {
            let index = index as u64;
            let mut entry = match item {
                HarItem::Entry(entry) => *entry,
                HarItem::Skipped { reason } => {
                    skipped += 1;
                    notes.push((None, ImportNote { index, id: None, message: reason }));
                    return Ok(());
                }
            };
            let row = imported;
            imported += 1;
            let response = entry.delivery.response.take();
            let mut delivery = as_captured(runtimes, entry.delivery);
            let mut note = |message: String| {
                notes.push((Some(row), ImportNote { index, id: None, message }));
            };
            if let Some(size) = entry.oversize {
                let message = format!(
                    "body of {size} bytes exceeds the {} byte limit: stored without it",
                    options.max_body
                );
                delivery.analysis.summary = Some(message.clone());
                note(message);
            }
            match entry.form {
                Some(form @ FormBody::NotRebuilt(_)) => {
                    // In the window's list too: the empty body is not what was sent.
                    delivery.analysis.summary = Some(form.message());
                    note(form.message());
                }
                Some(form @ FormBody::Rebuilt) => note(form.message()),
                None => {}
            }
            insert_staged(&mut insert, &delivery)?;
            if let Some(response) = response {
                stage_response(&mut insert_response, tx.last_insert_rowid(), &response)?;
            }
            Ok::<_, ExportError>(())
        })?;
    }
    tx.commit().map_err(StoreError::from)?;
    Ok(Staged { imported, skipped, notes })
}

fn insert_staged(insert: &mut rusqlite::Statement<'_>, d: &NewDelivery) -> Result<()> {
    let content_type = d
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    let a = &d.analysis;
    let verification = a.verification.as_ref();
    insert
        .execute(params![
            d.received_at,
            d.method,
            d.path,
            d.query,
            d.http_version,
            headers::encode(&d.headers),
            d.body_size as i64,
            d.body.as_ref().map(|b| hex::encode(Sha256::digest(b))),
            d.body.is_some(),
            content_type,
            d.remote_addr,
            d.endpoint_id,
            d.provider,
            d.response_status,
            d.response_latency_us,
            a.event_type,
            a.event_id,
            a.delivery_key,
            a.attempt,
            verification.map(|v| status_text(v.status)),
            verification.and_then(|v| serde_json::to_string(v).ok()),
            a.summary,
            a.group_key,
            d.via_tunnel,
            d.body.as_deref(),
            d.target,
        ])
        .map_err(StoreError::from)?;
    Ok(())
}

/// Moves the staged rows into the store in one transaction: new ids in file order, repeats
/// linked to the first delivery of their group, each marked imported, then the oldest pruned
/// past retention.
fn move_in(
    conn: &mut Connection,
    mut staged: Staged,
    source: &str,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let tx =
        conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
    let (ids, pruned) =
        move_rows(&tx, &mut staged.notes, source, options.retention).map_err(StoreError::from)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(ImportReport {
        ids,
        imported: staged.imported as u64,
        skipped: staged.skipped as u64,
        pruned,
        retention: options.retention,
        notes: staged.notes.into_iter().map(|(_, note)| note).collect(),
    })
}

/// The body of [`move_in`]'s transaction: returns the new ids still kept, and how many
/// deliveries (older ones, or the first imported when there are more than retention) went.
fn move_rows(
    tx: &rusqlite::Transaction<'_>,
    notes: &mut [(Option<usize>, ImportNote)],
    source: &str,
    retention: u64,
) -> rusqlite::Result<(Vec<i64>, u64)> {
    let before: i64 =
        tx.query_row("SELECT coalesce(max(id), 0) FROM main.deliveries", [], |r| r.get(0))?;
    tx.execute(
        &format!(
            "INSERT INTO main.deliveries ({COLUMNS})
             SELECT {COLUMNS} FROM temp.har_import ORDER BY seq"
        ),
        [],
    )?;
    // As the writer links a repeat to the first delivery of its group.
    tx.execute(
        "UPDATE main.deliveries SET duplicate_of = (
            SELECT min(o.id) FROM main.deliveries o
            WHERE o.group_key = deliveries.group_key AND o.id < deliveries.id)
         WHERE id > ?1 AND group_key IS NOT NULL",
        [before],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO imported_deliveries (delivery_id, imported_at, source)
         SELECT id, ?2, ?3 FROM main.deliveries WHERE id > ?1",
        params![before, time::now_ms(), source],
    )?;
    crate::store::bump_changes(tx, crate::store::IMPORTS_KEY)?;
    let new = new_ids(tx, before)?;
    move_responses(tx, &new)?;
    move_targets(tx, &new)?;
    let pruned = prune_to(tx, retention)?;
    let kept_from = new.len() - new_ids(tx, before)?.len();
    for (row, note) in notes {
        note.id = row.filter(|&row| row >= kept_from).and_then(|row| new.get(row).copied());
    }
    Ok((new[kept_from..].to_vec(), pruned))
}

/// The staging table of imported answers, by the `seq` of their entry's staged delivery.
const STAGED_RESPONSES: &str = "DROP TABLE IF EXISTS temp.har_import_responses;
    CREATE TEMP TABLE har_import_responses (seq INTEGER PRIMARY KEY, source, status, headers_raw,
        body_size, truncated, body);";

const STAGE_RESPONSE: &str = "INSERT INTO temp.har_import_responses
    (seq, source, status, headers_raw, body_size, truncated, body)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

fn stage_response(
    insert: &mut rusqlite::Statement<'_>,
    seq: i64,
    r: &StoredResponse,
) -> Result<()> {
    insert
        .execute(params![
            seq,
            r.source.as_str(),
            r.status,
            headers::encode(&r.headers),
            r.body_size.min(i64::MAX as u64) as i64,
            r.truncated,
            &r.body[..],
        ])
        .map_err(StoreError::from)?;
    Ok(())
}

/// Gives each staged answer to the delivery its entry became. Staged deliveries are numbered
/// 1, 2, ... in file order and moved in that order, so entry `seq` became `new[seq - 1]`.
fn move_responses(tx: &rusqlite::Transaction<'_>, new: &[i64]) -> rusqlite::Result<()> {
    let mut staged = tx.prepare(
        "SELECT seq, source, status, headers_raw, body_size, truncated, body
         FROM temp.har_import_responses ORDER BY seq",
    )?;
    let mut insert = tx.prepare(
        "INSERT OR REPLACE INTO main.delivery_responses
            (delivery_id, source, status, headers_raw, body_size, truncated, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut rows = staged.query([])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let Some(&id) = usize::try_from(seq - 1).ok().and_then(|i| new.get(i)) else {
            continue;
        };
        insert.execute(params![
            id,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, Vec<u8>>(3)?,
            row.get::<_, i64>(4)?,
            row.get::<_, bool>(5)?,
            row.get::<_, Vec<u8>>(6)?,
        ])?;
    }
    Ok(())
}

/// Gives each delivery its staged target, numbered as in [`move_responses`].
fn move_targets(tx: &rusqlite::Transaction<'_>, new: &[i64]) -> rusqlite::Result<()> {
    let mut staged = tx
        .prepare("SELECT seq, target FROM temp.har_import WHERE target IS NOT NULL ORDER BY seq")?;
    let mut insert = tx.prepare(
        "INSERT OR REPLACE INTO main.delivery_targets (delivery_id, target) VALUES (?1, ?2)",
    )?;
    let mut rows = staged.query([])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let Some(&id) = usize::try_from(seq - 1).ok().and_then(|i| new.get(i)) else {
            continue;
        };
        insert.execute(params![id, row.get::<_, String>(1)?])?;
    }
    Ok(())
}

fn new_ids(tx: &rusqlite::Transaction<'_>, after: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached("SELECT id FROM main.deliveries WHERE id > ?1 ORDER BY id")?;
    stmt.query_map([after], |r| r.get(0))?.collect()
}

/// Deletes the oldest deliveries past `retention`; returns how many went. What the schema's
/// `ON DELETE` clauses promise (import marks, recorded answers, replay links) follows from the foreign keys
/// this connection enforces; the search index forgets the rows by id, as the writer's
/// pruning does.
fn prune_to(tx: &rusqlite::Transaction<'_>, retention: u64) -> rusqlite::Result<u64> {
    let stored: i64 = tx.query_row("SELECT count(*) FROM main.deliveries", [], |r| r.get(0))?;
    let excess = (stored.max(0) as u64).saturating_sub(retention);
    if excess == 0 {
        return Ok(0);
    }
    let (oldest, cutoff): (i64, i64) = tx.query_row(
        "SELECT (SELECT min(id) FROM main.deliveries),
            (SELECT id FROM main.deliveries ORDER BY id LIMIT 1 OFFSET ?1)",
        [excess as i64 - 1],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let indexed_upto: i64 =
        tx.query_row("SELECT value FROM meta WHERE key = 'fts_indexed_upto'", [], |r| r.get(0))?;
    if indexed_upto >= oldest {
        tx.execute(
            "DELETE FROM deliveries_fts WHERE rowid >= ?1 AND rowid <= ?2",
            [oldest, cutoff.min(indexed_upto)],
        )?;
    }
    let removed = tx.execute("DELETE FROM main.deliveries WHERE id <= ?1", [cutoff])?;
    Ok(removed as u64)
}
