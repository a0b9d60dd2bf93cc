//! Checkpoints on a thread of their own. Copying the write-ahead log back into the database
//! (and flushing it) is most of the disk work a capture causes; done by SQLite's automatic
//! checkpoint it would run on the single writer, inside a commit, and every provider waiting
//! on that commit would wait for it too. Here it runs beside the writer instead.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::Result;

/// How often the log is copied back while commits keep coming.
const INTERVAL: Duration = Duration::from_millis(100);
/// A log this long (32 MiB) is restarted. A log is reused from its start only when a
/// checkpoint has caught up with the writer, which one running beside a busy writer never
/// quite does; so once it has copied most of a long log, the writer copies the last few pages
/// itself, between two commits, and the log starts over.
const RESTART_BYTES: i64 = 32 * 1024 * 1024;
/// The longest the log may grow (64 MiB). Past it the writer restarts the log itself, waiting
/// for the checkpoint thread and for readers to let it, before it commits anything more: the
/// log stays bounded however fast deliveries come and however slow the disk is. The writer's
/// connection also truncates a log file longer than this when the log starts over.
pub(super) const MAX_LOG_BYTES: i64 = 64 * 1024 * 1024;
/// How long the writer waits at most, with captures queued, for the log to start over.
const BOUND_WAIT: Duration = Duration::from_secs(5);
/// How long the writer waits for locks in one try, and between tries.
const BOUND_RETRY: Duration = Duration::from_millis(10);
/// Pages at most left for the writer to copy when it restarts the log.
const RESTART_TAIL: i64 = 256;
/// Copies in a row, at most, to bring what is left of a long log under [`RESTART_TAIL`].
const MAX_PASSES: usize = 8;

/// Wakes the checkpoint thread after commits. Cheap to clone.
#[derive(Clone)]
pub(super) struct Checkpointer {
    nudge: mpsc::SyncSender<()>,
    restart: Arc<AtomicBool>,
    /// The log file, whose length says how long the log has grown (see [`MAX_LOG_BYTES`]).
    wal: PathBuf,
    /// When [`Self::bound_log`] may try again after it could not restart the log.
    retry_at: Cell<Option<Instant>>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to the database at `path`.
    pub(super) fn start(path: PathBuf) -> Result<Self> {
        let conn = super::open_connection(&path)?;
        // Flushed by this thread before a restart; see `copy_back`.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|error| super::StoreError::File { path: path.clone(), error })?;
        let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let log_path = path.clone();
        let log = Log { conn, file, path, restart_pages: RESTART_BYTES / page_size.max(512) };
        let (nudge, rx) = mpsc::sync_channel(1);
        let restart = Arc::new(AtomicBool::new(false));
        let wanted = restart.clone();
        std::thread::Builder::new()
            .name("hookscope-checkpoint".into())
            .spawn(move || run(&log, &rx, &wanted))
            .map_err(|_| super::StoreError::WriterStopped)?;
        let mut wal = log_path.into_os_string();
        wal.push("-wal");
        Ok(Self { nudge, restart, wal: wal.into(), retry_at: Cell::new(None) })
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

impl Checkpointer {
    /// Called by the writer between commits: a log grown past [`MAX_LOG_BYTES`] (the thread
    /// fell behind, or readers kept it from starting over) is copied back and restarted now,
    /// waiting as long as it takes. Readers keep their transactions short, so the wait is
    /// short too.
    pub(super) fn bound_log(&self, writer: &Connection) {
        // The file's length is the log's: the writer's connection truncates it to the bound
        // when the log starts over, so only a log past the bound makes it longer.
        let Ok(len) = std::fs::metadata(&self.wal).map(|m| m.len()) else {
            return;
        };
        if len as i64 <= MAX_LOG_BYTES {
            return;
        }
        if self.retry_at.get().is_some_and(|at| Instant::now() < at) {
            return;
        }
        // A checkpoint that meets a reader still on an older snapshot gives up at once, and
        // readers keep their transactions short: try again until they have moved on.
        let deadline = Instant::now() + BOUND_WAIT;
        let failed = loop {
            let restarted = writer.busy_timeout(BOUND_RETRY).and_then(|()| {
                writer.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
            });
            match restarted {
                Ok(0) => break false,
                Ok(_) if Instant::now() < deadline => std::thread::sleep(BOUND_RETRY),
                Ok(_) => {
                    tracing::warn!("the write-ahead log cannot start over: a reader holds it");
                    break true;
                }
                Err(err) => {
                    tracing::warn!("checkpoint failed: {err}");
                    break true;
                }
            }
        };
        if let Err(err) = writer.busy_timeout(super::BUSY_TIMEOUT) {
            tracing::warn!("checkpoint failed: {err}");
        }
        // A reader that outlasted the wait (another program's open transaction) costs
        // captures that wait once a second at most.
        self.retry_at.set(failed.then(|| Instant::now() + Duration::from_secs(1)));
    }
}

/// The checkpoint thread's connection, and the database file it flushes.
struct Log {
    conn: Connection,
    file: std::fs::File,
    path: PathBuf,
    /// [`RESTART_BYTES`] in this database's pages.
    restart_pages: i64,
}

fn run(log: &Log, rx: &mpsc::Receiver<()>, restart: &AtomicBool) {
    // Returns when every writer (and so every nudge sender) has gone.
    while rx.recv().is_ok() {
        if let Err(err) = copy_back(log, restart) {
            tracing::warn!("checkpoint failed: {err}");
        }
        std::thread::sleep(INTERVAL);
    }
    // Leave the log copied back for the next start.
    let _ = log.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
}

/// Copies the log back without holding the writer up. A long log is copied again until what
/// the writer added meanwhile is short, and only then handed to the writer to restart: the
/// pages it copies itself (and flushes) while captures wait are those few.
///
/// SQLite flushes the database file only after a copy that reached the end of the log, which
/// one beside a busy writer never does: left alone, the writer's restart would flush
/// everything copied since the last restart, tens of milliseconds with every capture waiting.
/// So this thread flushes what it copied first, and the writer's flush finds little to do.
fn copy_back(log: &Log, restart: &AtomicBool) -> Result<()> {
    let mut before = 0;
    for pass in 1..=MAX_PASSES {
        // How long the log was when this copy started: pages added while it ran show up only
        // in the next one.
        let pages: i64 = log.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
        if pages < log.restart_pages {
            return Ok(());
        }
        // Writes faster than a copy keeps up with (large bodies in a flood) never leave a
        // short tail; the writer then copies a longer one rather than let the log grow.
        if pages - before <= RESTART_TAIL || pass == MAX_PASSES {
            log.file
                .sync_data()
                .map_err(|error| super::StoreError::File { path: log.path.clone(), error })?;
            restart.store(true, Ordering::Release);
            return Ok(());
        }
        before = pages;
    }
    Ok(())
}
