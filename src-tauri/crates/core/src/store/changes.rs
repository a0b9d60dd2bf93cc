//! Notices changes to the store made by any process — the app, a CLI command, a second
//! listener — and says what changed, so an open window can reload what it shows.
//!
//! A dedicated connection asks SQLite's `PRAGMA data_version` every [`POLL`]: it changes
//! whenever another connection, of this process or another, commits. Only then are the
//! counters below read, to tell what kind of change it was. Writes through [`Store::write`]
//! wake the watcher at once, so this process's own changes show without the poll's delay.
//!
//! New captures are not reported here: the writer announces each one on the delivery feed.
//!
//! [`Store::write`]: super::Store::write

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use serde::Serialize;
use tokio::sync::broadcast;
use ts_rs::TS;

use super::Result;
use super::endpoints::VERSION_KEY;

/// How often other processes' commits are looked for.
pub const POLL: Duration = Duration::from_millis(300);
/// Bumped by every change to stored deliveries other than new captures: re-verification.
pub(crate) const DELIVERIES_KEY: &str = "deliveries_version";
/// Bumped by every import of a HAR file.
pub(crate) const IMPORTS_KEY: &str = "imports_version";

/// What changed in the store since the last notice. Several at once when they came together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StoreChange {
    /// Endpoints, their secrets, response rules or forwards.
    pub endpoints: bool,
    /// Stored deliveries changed in place (verified again with new secrets).
    pub deliveries: bool,
    /// Deliveries were imported from a file.
    pub imported: bool,
}

impl StoreChange {
    /// Every kind at once: the receiver missed notices and should reload everything.
    pub const ALL: Self = Self { endpoints: true, deliveries: true, imported: true };

    pub fn any(&self) -> bool {
        self.endpoints || self.deliveries || self.imported
    }

    /// Both changes as one notice.
    pub fn merge(self, other: Self) -> Self {
        Self {
            endpoints: self.endpoints || other.endpoints,
            deliveries: self.deliveries || other.deliveries,
            imported: self.imported || other.imported,
        }
    }
}

/// Adds one to the counter `key` in `conn`'s transaction, so watchers see this change.
pub(crate) fn bump(conn: &Connection, key: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, 1)
         ON CONFLICT (key) DO UPDATE SET value = value + 1",
        [key],
    )?;
    Ok(())
}

/// The counters' values: endpoints, deliveries, imports (0 for a counter never bumped).
fn counters(conn: &Connection) -> rusqlite::Result<[i64; 3]> {
    let mut out = [0; 3];
    let mut stmt = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
    for (slot, key) in out.iter_mut().zip([VERSION_KEY, DELIVERIES_KEY, IMPORTS_KEY]) {
        *slot = stmt.query_row([key], |r| r.get(0)).or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(0),
            e => Err(e),
        })?;
    }
    Ok(out)
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

/// Starts the watcher thread on its own connection. It ends when `wake`'s sender is dropped
/// (the store is closed).
pub(super) fn spawn(
    path: PathBuf,
    conn: Connection,
    wake: mpsc::Receiver<()>,
    events: broadcast::Sender<StoreChange>,
) -> Result<()> {
    let mut version = data_version(&conn)?;
    let mut seen = counters(&conn)?;
    let file = path.clone();
    let watch = move || {
        loop {
            match wake.recv_timeout(POLL) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            while wake.try_recv().is_ok() {}
            // A busy or failing read is tried again on the next round.
            let now = match data_version(&conn) {
                Ok(now) if now == version => continue,
                Ok(now) => counters(&conn).map(|counts| (now, counts)),
                Err(err) => Err(err),
            };
            let (now, counts) = match now {
                Ok(now) => now,
                Err(err) => {
                    tracing::debug!("cannot look for changes in {}: {err}", path.display());
                    continue;
                }
            };
            version = now;
            let change = StoreChange {
                endpoints: counts[0] != seen[0],
                deliveries: counts[1] != seen[1],
                imported: counts[2] != seen[2],
            };
            seen = counts;
            if change.any() {
                let _ = events.send(change);
            }
        }
    };
    std::thread::Builder::new()
        .name("hookscope-changes".into())
        .spawn(watch)
        .map_err(|error| super::StoreError::File { path: file, error })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EndpointInput, Store, StoreOptions, endpoints};

    /// The next notice within a generous wait.
    fn next(rx: &mut broadcast::Receiver<StoreChange>) -> StoreChange {
        for _ in 0..1_000 {
            match rx.try_recv() {
                Ok(change) => return change,
                Err(broadcast::error::TryRecvError::Empty) => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => panic!("{e}"),
            }
        }
        panic!("no change noticed");
    }

    #[test]
    fn changes_from_another_connection_are_noticed_and_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let mut rx = store.subscribe_changes().unwrap();
        // A second handle never wakes this one's watcher: it stands for another process.
        let other = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let input = EndpointInput {
            id: None,
            name: "shop".into(),
            path_prefix: "/shop".into(),
            provider: None,
            signature_header: None,
            tolerance_secs: 300,
        };
        other.write(|c| endpoints::save(c, &input, 0)).unwrap();
        assert_eq!(next(&mut rx), StoreChange { endpoints: true, ..StoreChange::default() });
        other.write(|c| Ok(bump(c, DELIVERIES_KEY)?)).unwrap();
        assert_eq!(next(&mut rx), StoreChange { deliveries: true, ..StoreChange::default() });
        other.write(|c| Ok(bump(c, IMPORTS_KEY)?)).unwrap();
        assert_eq!(next(&mut rx), StoreChange { imported: true, ..StoreChange::default() });
        // This process's own change, through the store that watches.
        store.write(|c| Ok(bump(c, DELIVERIES_KEY)?)).unwrap();
        assert_eq!(next(&mut rx), StoreChange { deliveries: true, ..StoreChange::default() });
    }
}
