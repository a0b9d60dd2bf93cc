//! Checkpoints on a thread of their own. Copying the write-ahead log back into the database
//! (and flushing it) is most of the disk work a capture causes; done by SQLite's automatic
//! checkpoint it would run on the single writer, inside a commit, and every provider waiting
//! on that commit would wait for it too. Here it runs beside the writer instead.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use super::Result;

/// How often the log is copied back while commits keep coming.
const INTERVAL: Duration = Duration::from_millis(100);
/// A log this long (in pages, 32 MiB) is restarted. A log is reused from its start only when
/// a checkpoint has caught up with the writer, which one running beside a busy writer never
/// quite does; so once it has copied most of a long log, the writer copies the last few pages
/// itself, between two commits, and the log starts over.
const RESTART_PAGES: i64 = 8_192;
/// Pages at most left for the writer to copy when it restarts the log.
const RESTART_TAIL: i64 = 256;
/// Copies in a row, at most, to bring what is left of a long log under [`RESTART_TAIL`].
const MAX_PASSES: usize = 8;

/// Wakes the checkpoint thread after commits. Cheap to clone.
#[derive(Clone)]
pub(super) struct Checkpointer {
    nudge: mpsc::SyncSender<()>,
    restart: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to the database at `path`.
    pub(super) fn start(path: PathBuf) -> Result<Self> {
        let conn = super::open_connection(&path)?;
        let (nudge, rx) = mpsc::sync_channel(1);
        let restart = Arc::new(AtomicBool::new(false));
        let wanted = restart.clone();
        std::thread::Builder::new()
            .name("hookscope-checkpoint".into())
            .spawn(move || run(&conn, &rx, &wanted))
            .map_err(|_| super::StoreError::WriterStopped)?;
        Ok(Self { nudge, restart })
    }

    /// Says the log has grown; many nudges before the thread wakes count as one.
    pub(super) fn nudge(&self) {
        let _ = self.nudge.try_send(());
    }

    /// Called by the writer between commits: restarts the log when the thread has copied
    /// most of a long one. Never waits: while the thread is copying (or a reader still needs
    /// the log) the restart is left for the thread's next round to ask for again.
    pub(super) fn restart_if_due(&self, writer: &Connection) {
        if !self.restart.swap(false, Ordering::AcqRel) {
            return;
        }
        let restarted = writer
            .busy_timeout(Duration::ZERO)
            .and_then(|()| writer.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())));
        // The writer's own patience is back before the next commit, whatever happened.
        let restored = writer.busy_timeout(super::BUSY_TIMEOUT);
        if let Err(err) = restarted.and(restored) {
            tracing::warn!("checkpoint failed: {err}");
        }
    }
}

fn run(conn: &Connection, rx: &mpsc::Receiver<()>, restart: &AtomicBool) {
    // Returns when every writer (and so every nudge sender) has gone.
    while rx.recv().is_ok() {
        if let Err(err) = copy_back(conn, restart) {
            tracing::warn!("checkpoint failed: {err}");
        }
        std::thread::sleep(INTERVAL);
    }
    // Leave the log copied back for the next start.
    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
}

/// Copies the log back without holding the writer up. A long log is copied again until what
/// the writer added meanwhile is short, and only then handed to the writer to restart: the
/// pages it copies itself (and flushes) while captures wait are those few.
fn copy_back(conn: &Connection, restart: &AtomicBool) -> rusqlite::Result<()> {
    let mut before = 0;
    for _ in 0..MAX_PASSES {
        // How long the log was when this copy started: pages added while it ran show up only
        // in the next one.
        let log: i64 = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
        if log < RESTART_PAGES {
            return Ok(());
        }
        if log - before <= RESTART_TAIL {
            restart.store(true, Ordering::Release);
            return Ok(());
        }
        before = log;
    }
    Ok(())
}
