//! The single writer: takes everything queued, commits it in one transaction, then answers
//! each sender. Under load a group holds many deliveries and costs one commit.
//!
//! Work that does not make a delivery durable — the search index and retention pruning — runs
//! in bounded slices when the queue is empty, so it never delays a provider's answer for
//! long. While deliveries keep coming, a commit that finds the store too far past retention
//! also prunes, twice as many rows as it adds, in the same transaction; and indexing takes
//! slices of at most a quarter of the writer's time while deliveries arrive slowly enough for
//! it to keep pace. In a flood indexing waits for the flood to end, so the flood is taken at
//! full speed and rows pruned before their turn are never indexed at all. Searches cover the
//! rows not yet indexed on their own (see `query::list`).
//!
//! The writer is supervised: a commit that fails answers its group with the error (the
//! listener answers 503) and the next commit tries again, so a full disk or a lock held too
//! long costs only the deliveries that arrived meanwhile. A panic, or an error that leaves the
//! connection in doubt, starts the writer over on a new connection; a store found corrupt is
//! acknowledged into no more.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::checkpoint::{self, Checkpointer};
use super::responses::{self, StoredResponse};
use super::search::{MAX_INDEXED_BODY, SearchDoc};
use super::{DeliverySummary, NewDelivery, Result, StoreError, SyncMode, headers, one_line};

/// The most deliveries one transaction takes, so one group never delays the next too long.
const MAX_GROUP: usize = 512;
/// Rows indexed or pruned per background slice when the writer is otherwise idle.
const SLICE: u64 = 500;
/// Rows indexed per slice between commits while deliveries arrive slowly enough.
const INDEX_SLICE: u64 = 64;
/// While deliveries keep coming, background slices take at most one part in this many of
/// the writer's time, so a request arriving during one waits a slice at most.
const BUSY_SHARE: u32 = 4;
/// Deliveries per second below which indexing keeps pace with arrivals; above it (a flood,
/// a load test), indexing waits for the queue to go quiet so every core serves captures.
const INDEX_BELOW_RATE: u64 = 5_000;
/// Pages of search-index segments merged after an indexing slice, per row it indexed: about
/// what FTS5's own automerge does on average, in even steps.
const MERGE_PAGES_PER_ROW: i64 = 1;
/// How long a commit waits at most for deliveries announced as coming.
const GATHER: Duration = Duration::from_micros(200);
/// How long the queue must stay empty before background work starts.
const QUIET: Duration = Duration::from_millis(100);
/// Past retention plus this many rows, each commit also prunes while deliveries keep coming.
const MAX_PRUNE_LAG: u64 = 5_000;
/// Rows such a commit prunes for each row it adds, so the lag shrinks even in a flood.
const PRUNE_PER_INSERT: u64 = 2;

/// The first pause before the writer starts over after a failure soon after the last one.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
/// The longest such pause: deliveries queued meanwhile wait at most this long for an answer.
const LONGEST_PAUSE: Duration = Duration::from_secs(1);
/// A writer that ran this long without starting over starts over again without a pause.
const STEADY: Duration = Duration::from_secs(5);

pub(super) const INDEXED_UPTO: &str = "fts_indexed_upto";

/// How the writer opens its connection; again after a failure.
pub(super) struct Setup {
    pub path: PathBuf,
    pub sync: SyncMode,
    pub retention: u64,
}

/// The writer's connection and what goes with it; replaced whole when the writer starts over.
struct Session {
    conn: Connection,
    checkpointer: Checkpointer,
    background: Background,
}

impl Setup {
    fn open(&self) -> Result<Session> {
        let conn = super::open_connection(&self.path)?;
        let sync = match self.sync {
            SyncMode::Normal => "NORMAL",
            SyncMode::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        // Enough for the pages a group of deliveries touches. Not more: every commit that
        // split a page scans the whole cache's hash table (SQLite renumbers split pages through
        // a page number far past the end of the file, and the end of the transaction drops
        // every cached page past the end), so a bigger cache costs each commit more.
        conn.pragma_update(None, "cache_size", -super::WRITER_CACHE_KIB)?;
        // Checkpoints run on a thread of their own, never inside the writer's commits.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // A log that grew long once (a checkpoint held up) shrinks back when it starts over.
        conn.pragma_update(None, "journal_size_limit", checkpoint::MAX_LOG_BYTES)?;
        // Enforcing foreign keys costs a lookup in every referring table per row inserted or
        // pruned; the writer keeps them itself (see `writer::prune`).
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        let background = Background::load(&conn, self.retention)?;
        let checkpointer = Checkpointer::start(self.path.clone())?;
        Ok(Session { conn, checkpointer, background })
    }

    fn damaged(&self, reason: String) -> StoreError {
        StoreError::Damaged { path: self.path.clone(), reason }
    }
}

/// SQLite's quick check (every page and index entry readable and well formed, without
/// matching indexes to their tables): a store damaged on disk is refused before anything is
/// acknowledged into it.
fn check_integrity(setup: &Setup, conn: &Connection) -> Result<()> {
    let verdict = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get::<_, String>(0));
    match verdict {
        Ok(ok) if ok == "ok" => Ok(()),
        Ok(problem) => Err(setup.damaged(one_line(&problem))),
        Err(err) => Err(setup.damaged(one_line(&err))),
    }
}

/// What a failed commit or background slice means for the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// This attempt failed (a full disk, an I/O error, a lock held too long); the next one
    /// may well succeed on the same connection.
    Transient,
    /// The connection is in doubt (a transaction it could not roll back, an error SQLite
    /// does not expect to recover from): start over on a new one.
    Reopen,
    /// The store is corrupt: acknowledge nothing more into it.
    Damaged,
}

impl Failure {
    fn of(err: &StoreError, conn: &Connection) -> Self {
        match err.sqlite_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Self::Damaged,
            _ if !conn.is_autocommit() => Self::Reopen,
            Some(
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::OperationInterrupted
                | ErrorCode::ConstraintViolation
                | ErrorCode::TooBig,
            ) => Self::Transient,
            Some(_) => Self::Reopen,
            None => Self::Transient,
        }
    }
}

/// Why [`run`] returned.
enum Stop {
    /// Every sender has gone.
    Closed,
    /// Start over on a new connection.
    Reopen,
    /// The store is corrupt; the error to answer everything with from now on.
    Damaged(StoreError),
}

/// A delivery with what can be computed before it reaches the writer thread.
struct Prepared {
    delivery: NewDelivery,
    headers_raw: Vec<u8>,
    sha256: Option<String>,
    content_type: Option<String>,
    signature_detail: Option<String>,
}

/// What the writer is sent.
// Nearly every job is a delivery: boxing it would cost an allocation per capture to save queue
// room on the few answers.
#[allow(clippy::large_enum_variant)]
enum Job {
    /// A delivery, and where to say once it is committed (or why not).
    Delivery(Prepared, oneshot::Sender<Result<DeliverySummary>>),
    /// The answer a committed delivery got. Nobody waits for it: if it cannot be recorded the
    /// delivery stays, without it.
    Response(i64, StoredResponse),
}

impl Job {
    /// Answers a delivery's sender with `err`; a response is dropped.
    fn refuse(self, err: StoreError) {
        match self {
            Self::Delivery(_, done) => {
                let _ = done.send(Err(err));
            }
            Self::Response(id, _) => tracing::debug!("the answer to delivery {id} not recorded"),
        }
    }

    fn is_delivery(&self) -> bool {
        matches!(self, Self::Delivery(..))
    }
}

/// Sends deliveries to the writer thread. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    gathering: Arc<Gathering>,
}

/// What a commit gathering its group waits for: the deliveries announced as coming.
#[derive(Default)]
struct Gathering {
    /// Deliveries announced with [`Writer::coming`] and not yet queued.
    count: AtomicUsize,
    /// Set while the writer sleeps until `count` drops to zero; only then is it woken, once,
    /// rather than by each delivery queued meanwhile.
    waiting: AtomicBool,
    /// The writer thread, which sets it before it first sleeps.
    writer: std::sync::OnceLock<std::thread::Thread>,
    /// Failures the next commits meet, for tests of the supervision.
    #[cfg(test)]
    faults: std::sync::Mutex<std::collections::VecDeque<Fault>>,
}

/// A failure a test makes the next commit meet.
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub(super) enum Fault {
    Panic,
    Sqlite(std::ffi::c_int),
}

impl Gathering {
    /// One announced delivery is queued (or will not come after all).
    fn arrived(&self) {
        // Sequentially consistent, with the writer's side in `Queue::gather`: of "announced
        // count drops to zero" and "writer starts waiting", each side sees the other's.
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1
            && self.waiting.load(Ordering::SeqCst)
            && let Some(thread) = self.writer.get()
        {
            thread.unpark();
        }
    }
}

impl Writer {
    /// Opens the writer's connection, checks the store's integrity and starts the thread.
    pub(super) fn start(setup: Setup, events: broadcast::Sender<DeliverySummary>) -> Result<Self> {
        let session = setup.open()?;
        check_integrity(&setup, &session.conn)?;
        let (tx, rx) = mpsc::channel(4 * MAX_GROUP);
        let gathering = Arc::new(Gathering::default());
        let queue = Queue { rx, gathering: gathering.clone() };
        std::thread::Builder::new()
            .name("hookscope-writer".into())
            .spawn(move || supervise(&setup, session, queue, &events))
            .map_err(|_| StoreError::WriterStopped)?;
        Ok(Self { tx, gathering })
    }

    /// Makes the next commits meet `faults`, in order.
    #[cfg(test)]
    pub(super) fn inject(&self, faults: &[Fault]) {
        let mut queued = self.gathering.faults.lock().unwrap_or_else(|e| e.into_inner());
        queued.extend(faults.iter().copied());
    }

    /// Stores a delivery and returns once it is committed.
    pub async fn insert(&self, delivery: NewDelivery) -> Result<DeliverySummary> {
        self.coming().insert(delivery).await
    }

    /// Records the answer delivery `id` got, in a later commit, without waiting for it: the
    /// answer has gone (or is going) out whatever becomes of the record.
    pub fn record_response(&self, id: i64, response: StoredResponse) {
        match self.tx.try_send(Job::Response(id, response)) {
            Ok(()) => {}
            // A queue full of deliveries: wait for room on a task of its own, not the answer's.
            Err(mpsc::error::TrySendError::Full(job)) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    if let Err(mpsc::error::SendError(job)) = tx.send(job).await {
                        job.refuse(StoreError::WriterStopped);
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(job)) => job.refuse(StoreError::WriterStopped),
        }
    }

    /// Tells the writer a delivery is on its way (its body is read and is being analysed), so
    /// a commit that would otherwise start without it waits a moment and takes it along.
    pub fn coming(&self) -> Coming<'_> {
        self.gathering.count.fetch_add(1, Ordering::AcqRel);
        Coming { writer: self }
    }
}

/// A delivery the writer expects; see [`Writer::coming`]. Dropped, it is expected no more.
pub struct Coming<'w> {
    writer: &'w Writer,
}

impl Coming<'_> {
    /// Stores the delivery and returns once it is committed.
    pub async fn insert(self, delivery: NewDelivery) -> Result<DeliverySummary> {
        // Hashing and encoding happen here, on the caller's thread, not the single writer's.
        let prepared = Prepared::new(delivery);
        let (done, wait) = oneshot::channel();
        let sent = self.writer.tx.send(Job::Delivery(prepared, done)).await;
        // Queued (or refused): no longer one to wait for.
        drop(self);
        sent.map_err(|_| StoreError::WriterStopped)?;
        wait.await.map_err(|_| StoreError::WriterStopped)?
    }
}

impl Drop for Coming<'_> {
    fn drop(&mut self) {
        self.writer.gathering.arrived();
    }
}

impl Prepared {
    fn new(delivery: NewDelivery) -> Self {
        let verification = delivery.analysis.verification.as_ref();
        Self {
            headers_raw: headers::encode(&delivery.headers),
            sha256: delivery.body.as_ref().map(|b| hex::encode(Sha256::digest(b))),
            content_type: delivery
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned()),
            signature_detail: verification.and_then(|v| serde_json::to_string(v).ok()),
            delivery,
        }
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
        self.prune_lag_after(0)
    }

    /// Rows past retention once `added` more are stored.
    fn prune_lag_after(&self, added: u64) -> u64 {
        (self.stored + added).saturating_sub(self.retention)
    }

    fn pending(&self) -> bool {
        self.index_lag() > 0 || self.prune_lag() > 0
    }

    /// One slice of at most `slice` rows of each kind of background work.
    fn step(&mut self, conn: &mut Connection, slice: u64) -> Result<()> {
        self.prune_step(conn, slice)?;
        self.index_step(conn, slice)
    }

    /// Prunes up to `slice` of the rows past retention.
    fn prune_step(&mut self, conn: &mut Connection, slice: u64) -> Result<()> {
        if self.prune_lag() > 0 {
            let count = self.prune_lag().min(slice);
            let tx = immediate(conn)?;
            let removed = prune(&tx, count, self.indexed_upto)?;
            tx.commit()?;
            self.stored = self.stored.saturating_sub(removed);
        }
        Ok(())
    }

    /// Indexes up to `slice` rows for search; rows pruned before their turn are skipped.
    fn index_step(&mut self, conn: &mut Connection, slice: u64) -> Result<()> {
        if self.index_lag() > 0 {
            self.indexed_upto = index(conn, self.indexed_upto, slice)?;
        }
        Ok(())
    }
}

/// Deliveries committed per second, over the last whole second.
struct Rate {
    since: Instant,
    count: u64,
    last: u64,
}

impl Default for Rate {
    fn default() -> Self {
        Self { since: Instant::now(), count: 0, last: 0 }
    }
}

impl Rate {
    fn add(&mut self, n: u64) {
        self.count += n;
        let elapsed = self.since.elapsed();
        if elapsed >= Duration::from_secs(1) {
            self.last = (self.count as f64 / elapsed.as_secs_f64()) as u64;
            self.since = Instant::now();
            self.count = 0;
        }
    }

    /// The last whole second's rate, or this second's so far if that is already higher.
    fn per_second(&self) -> u64 {
        self.last.max(self.count)
    }
}

/// The writer's side of the queue.
struct Queue {
    rx: mpsc::Receiver<Job>,
    gathering: Arc<Gathering>,
}

impl Queue {
    /// Answers everything queued now with `err`; false when every sender has gone.
    fn refuse_queued(&mut self, err: impl Fn() -> StoreError) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(job) => job.refuse(err()),
                Err(mpsc::error::TryRecvError::Empty) => return true,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// Adds what is queued to `group`; while deliveries are announced as coming, waits for
    /// them until `deadline`, asleep until the last of them is queued rather than woken by
    /// each. Each commit writes the pages it touches whatever its size, so under load one
    /// commit of many deliveries costs far less than many commits of a few; with nothing
    /// announced (a quiet listener) the commit starts at once.
    fn gather(&mut self, group: &mut Vec<Job>, deadline: Instant) {
        while group.len() < MAX_GROUP {
            match self.rx.try_recv() {
                Ok(job) => group.push(job),
                Err(mpsc::error::TryRecvError::Disconnected) => return,
                Err(mpsc::error::TryRecvError::Empty) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if self.gathering.count.load(Ordering::Acquire) == 0 || left.is_zero() {
                        return;
                    }
                    // Sleep until the last one announced is queued (see `Gathering::arrived`).
                    self.gathering.waiting.store(true, Ordering::SeqCst);
                    if self.gathering.count.load(Ordering::SeqCst) != 0 {
                        std::thread::park_timeout(left);
                    }
                    self.gathering.waiting.store(false, Ordering::SeqCst);
                }
            }
        }
    }
}

/// Runs the writer, starting it over after a panic or on a connection in doubt, until every
/// sender has gone.
fn supervise(
    setup: &Setup,
    session: Session,
    mut queue: Queue,
    events: &broadcast::Sender<DeliverySummary>,
) {
    // Before any gathering sleeps, so the last delivery announced can always wake it.
    let _ = queue.gathering.writer.set(std::thread::current());
    // A timer for waiting on the queue with a deadline; this thread runs nothing else on it.
    let Ok(timer) = tokio::runtime::Builder::new_current_thread().enable_time().build() else {
        tracing::error!("the store's writer cannot start its timer");
        return;
    };
    let mut session = Some(session);
    let mut pause = Duration::ZERO;
    loop {
        let started = Instant::now();
        let mut current = match session.take() {
            Some(current) => current,
            None => match setup.open() {
                Ok(current) => current,
                Err(err) if Failure::of_open(&err) == Failure::Damaged => {
                    refuse_all(&mut queue, setup, &err);
                    return;
                }
                Err(err) => {
                    tracing::error!("the store's writer cannot reopen the store: {err}");
                    // Whatever is queued would wait for the store to come back: answer it.
                    if !queue.refuse_queued(|| StoreError::Commit(err.to_string())) {
                        return;
                    }
                    pause = next_pause(pause);
                    std::thread::sleep(pause);
                    continue;
                }
            },
        };
        queue.gathering.waiting.store(false, Ordering::SeqCst);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            run(&mut current, &mut queue, events, &timer)
        }));
        match outcome {
            Ok(Stop::Closed) => {
                current.finish();
                return;
            }
            Ok(Stop::Damaged(err)) => {
                refuse_all(&mut queue, setup, &err);
                return;
            }
            Ok(Stop::Reopen) => {}
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                // The deliveries it was committing were answered 503 as their group unwound.
                tracing::error!(
                    "the store's writer failed ({}); starting it over",
                    one_line(&what)
                );
            }
        }
        drop(current);
        // Starting over and failing at once again is not repeated in a tight loop.
        pause = if started.elapsed() < STEADY { next_pause(pause) } else { Duration::ZERO };
        std::thread::sleep(pause);
    }
}

fn next_pause(pause: Duration) -> Duration {
    (pause * 2).clamp(FIRST_PAUSE, LONGEST_PAUSE)
}

/// Answers everything queued from now on with the store's damage, until every sender is gone.
fn refuse_all(queue: &mut Queue, setup: &Setup, err: &StoreError) {
    let reason = match err {
        StoreError::Damaged { reason, .. } => reason.clone(),
        other => one_line(other),
    };
    tracing::error!("{}", setup.damaged(reason.clone()));
    while let Some(job) = queue.rx.blocking_recv() {
        job.refuse(setup.damaged(reason.clone()));
    }
}

fn run(
    session: &mut Session,
    queue: &mut Queue,
    events: &broadcast::Sender<DeliverySummary>,
    timer: &tokio::runtime::Runtime,
) -> Stop {
    let Session { conn, checkpointer, background } = session;
    let mut group = Vec::with_capacity(MAX_GROUP);
    let mut last_commit = Instant::now();
    let mut rate = Rate::default();
    let mut next_busy_step = Instant::now();
    loop {
        // Background work waits for a quiet moment, so a burst is answered at full speed.
        let rx = &mut queue.rx;
        let first = match rx.try_recv() {
            Ok(job) => job,
            Err(mpsc::error::TryRecvError::Empty) if background.pending() => {
                let quiet_for = QUIET.saturating_sub(last_commit.elapsed());
                match timer.block_on(async { tokio::time::timeout(quiet_for, rx.recv()).await }) {
                    Ok(Some(job)) => job,
                    Ok(None) => return Stop::Closed,
                    Err(_) => {
                        let stepped = background.step(conn, SLICE);
                        if let Some(stop) = after_background(stepped, conn) {
                            return stop;
                        }
                        // Failed or not, the next slice waits for another quiet moment.
                        last_commit = Instant::now();
                        checkpointer.nudge();
                        continue;
                    }
                }
            }
            Err(mpsc::error::TryRecvError::Empty) => match rx.blocking_recv() {
                Some(job) => job,
                None => return Stop::Closed,
            },
            Err(mpsc::error::TryRecvError::Disconnected) => return Stop::Closed,
        };
        group.push(first);
        queue.gather(&mut group, Instant::now() + GATHER);
        rate.add(group.iter().filter(|job| job.is_delivery()).count() as u64);
        #[cfg(test)]
        let fault = queue.gathering.faults.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        #[cfg(test)]
        let committed = match fault {
            Some(Fault::Panic) => panic!("a fault injected by a test"),
            Some(Fault::Sqlite(code)) => Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))),
            None => commit(conn, &mut group, background),
        };
        #[cfg(not(test))]
        let committed = commit(conn, &mut group, background);
        match committed {
            Ok(summaries) => {
                let senders = group.drain(..).filter_map(|job| match job {
                    Job::Delivery(_, done) => Some(done),
                    Job::Response(..) => None,
                });
                for (done, summary) in senders.zip(summaries) {
                    // Nobody watching (a headless `serve`): no copy to announce.
                    if events.receiver_count() > 0 {
                        let _ = events.send(summary.clone());
                    }
                    let _ = done.send(Ok(summary));
                }
            }
            Err(err) => {
                let deliveries = group.iter().filter(|job| job.is_delivery()).count();
                tracing::error!("commit of {deliveries} deliveries failed: {err}");
                let message = one_line(&err);
                for job in group.drain(..) {
                    job.refuse(StoreError::Commit(message.clone()));
                }
                match Failure::of(&err, conn) {
                    Failure::Transient => {}
                    Failure::Reopen => return Stop::Reopen,
                    Failure::Damaged => return Stop::Damaged(err),
                }
            }
        }
        last_commit = Instant::now();
        if last_commit >= next_busy_step && rate.per_second() < INDEX_BELOW_RATE {
            let stepped = background.index_step(conn, INDEX_SLICE);
            if let Some(stop) = after_background(stepped, conn) {
                return stop;
            }
            // Leave the next stretch to captures: background work gets at most its share.
            next_busy_step = Instant::now() + last_commit.elapsed() * (BUSY_SHARE - 1);
        }
        checkpointer.restart_if_due(conn);
        checkpointer.bound_log(conn);
        checkpointer.nudge();
    }
}

/// A failed background slice is logged and tried again later, unless the store is corrupt or
/// the connection in doubt.
fn after_background(stepped: Result<()>, conn: &Connection) -> Option<Stop> {
    let err = stepped.err()?;
    match Failure::of(&err, conn) {
        Failure::Damaged => return Some(Stop::Damaged(err)),
        Failure::Reopen if !conn.is_autocommit() => return Some(Stop::Reopen),
        _ => tracing::warn!("indexing or pruning deliveries failed: {err}"),
    }
    None
}

impl Session {
    /// Leaves nothing for the next start to catch up on when stopping cleanly.
    fn finish(&mut self) {
        let Self { conn, background, .. } = self;
        while background.pending() {
            let before = (background.stored, background.indexed_upto);
            if background.step(conn, SLICE).is_err()
                || before == (background.stored, background.indexed_upto)
            {
                break;
            }
        }
    }
}

impl Failure {
    /// What an error opening the writer's connection means.
    fn of_open(err: &StoreError) -> Self {
        match err.sqlite_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Self::Damaged,
            _ => Self::Reopen,
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

/// Stores `group` and returns what to answer each sender. The deliveries' fields move into
/// the answers: the group is answered and dropped next, whatever this returns.
///
/// Past retention by more than [`MAX_PRUNE_LAG`], the same transaction also prunes: one
/// commit instead of two, each writing the pages both touch. A pruning error is logged and
/// leaves the deliveries to commit; the next commit or quiet moment tries again.
fn commit(
    conn: &mut Connection,
    group: &mut [Job],
    background: &mut Background,
) -> Result<Vec<DeliverySummary>> {
    let tx = immediate(conn)?;
    let mut out = Vec::with_capacity(group.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO deliveries (received_at, method, path, query, http_version, headers_raw,
                body_size, body_sha256, body_stored, content_type, remote_addr, endpoint_id,
                provider, response_status, response_latency_us, event_type, event_id,
                delivery_key, attempt, signature, signature_detail, summary, group_key,
                duplicate_of, via_tunnel, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
        )?;
        let mut first_of_group = tx
            .prepare_cached("SELECT id FROM deliveries WHERE group_key = ?1 ORDER BY id LIMIT 1")?;
        for job in group.iter_mut() {
            let p = match job {
                Job::Delivery(p, _) => p,
                Job::Response(id, response) => {
                    // Its own failure costs only the record, not the group's deliveries.
                    if let Err(err) = responses::insert(&tx, *id, response) {
                        tracing::warn!("the answer to delivery {id} not recorded: {err}");
                    }
                    continue;
                }
            };
            let d = &mut p.delivery;
            let a = &d.analysis;
            let duplicate_of: Option<i64> = match &a.group_key {
                Some(key) => first_of_group.query_row([key], |r| r.get(0)).optional()?,
                None => None,
            };
            let signature = a.verification.as_ref().map(|v| v.status);
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
                p.signature_detail,
                a.summary,
                a.group_key,
                duplicate_of,
                d.via_tunnel,
                d.body.as_deref(),
            ])?;
            let id = tx.last_insert_rowid();
            if let Some(target) = &d.target {
                tx.prepare_cached(
                    "INSERT INTO delivery_targets (delivery_id, target) VALUES (?1, ?2)",
                )?
                .execute(params![id, target])?;
            }
            let a = &mut d.analysis;
            out.push(DeliverySummary {
                id,
                received_at: d.received_at,
                method: std::mem::take(&mut d.method),
                path: std::mem::take(&mut d.path),
                query: d.query.take(),
                endpoint_id: d.endpoint_id,
                endpoint: d.endpoint.take(),
                provider: d.provider.take(),
                content_type: p.content_type.take(),
                body_size: d.body_size,
                body_sha256: p.sha256.take(),
                body_stored: d.body.is_some(),
                response_status: Some(d.response_status),
                event_type: a.event_type.take(),
                event_id: a.event_id.take(),
                attempt: a.attempt,
                duplicate_of,
                signature,
                signature_detail: a.verification.take(),
                summary: a.summary.take(),
                via_tunnel: d.via_tunnel.take(),
            });
        }
    }
    let lag = background.prune_lag_after(out.len() as u64);
    let mut pruned = 0;
    if lag > MAX_PRUNE_LAG {
        let count = (out.len() as u64 * PRUNE_PER_INSERT).min(lag);
        match prune(&tx, count, background.indexed_upto) {
            Ok(removed) => pruned = removed,
            Err(err) => tracing::warn!("pruning old deliveries failed: {err}"),
        }
    }
    tx.commit()?;
    background.stored = (background.stored + out.len() as u64).saturating_sub(pruned);
    if let Some(last) = out.last() {
        background.newest = last.id;
    }
    Ok(out)
}

/// The search text of at most `limit` deliveries after `after`, oldest first.
fn search_docs(tx: &rusqlite::Transaction<'_>, after: i64, limit: u64) -> Result<Vec<SearchDoc>> {
    let mut rows = tx.prepare_cached(
        "SELECT d.id, d.method, d.path, d.query, d.headers_raw, substr(d.body, 1, ?3)
         FROM deliveries d
         WHERE d.id > ?1 ORDER BY d.id LIMIT ?2",
    )?;
    let docs = rows.query_map(params![after, limit as i64, MAX_INDEXED_BODY as i64], |row| {
        let method: String = row.get(1)?;
        let path: String = row.get(2)?;
        let query: Option<String> = row.get(3)?;
        let headers_raw: Vec<u8> = row.get(4)?;
        let body: Option<Vec<u8>> = row.get(5)?;
        Ok(SearchDoc::new(
            row.get(0)?,
            &method,
            &path,
            query.as_deref(),
            &headers_raw,
            body.as_deref(),
        ))
    })?;
    Ok(docs.collect::<rusqlite::Result<_>>()?)
}

/// Adds up to `limit` deliveries after `after` to the search index; returns the new high mark.
fn index(conn: &mut Connection, after: i64, limit: u64) -> Result<i64> {
    let tx = immediate(conn)?;
    let docs = search_docs(&tx, after, limit)?;
    let Some(upto) = docs.last().map(|d| d.id) else {
        return Ok(after);
    };
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO deliveries_fts (rowid, path, headers, body) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for doc in &docs {
            insert.execute(params![doc.id, doc.line, doc.headers, doc.body])?;
        }
    }
    // Merging is left to the writer (the schema turns FTS5's automerge off): a little after
    // every slice keeps the segments few without one commit copying hundreds of pages.
    tx.prepare_cached("INSERT INTO deliveries_fts (deliveries_fts, rank) VALUES ('merge', ?1)")?
        .execute([docs.len() as i64 * MERGE_PAGES_PER_ROW])?;
    tx.execute("UPDATE meta SET value = ?2 WHERE key = ?1", params![INDEXED_UPTO, upto])?;
    tx.commit()?;
    Ok(upto)
}

/// Deletes up to `count` of the oldest deliveries in `tx`; returns how many went.
/// `indexed_upto` is the search index's high mark, as the writer keeps it.
///
/// The writer's connection does not enforce foreign keys (they cost a lookup in every
/// referring table for each row inserted or deleted), so what the schema's `ON DELETE`
/// clauses promise is done here, one range per table.
fn prune(tx: &rusqlite::Transaction<'_>, count: u64, indexed_upto: i64) -> Result<u64> {
    // Ids only grow, so the oldest `count` rows have ids from the oldest one to at most
    // `count - 1` past it (fewer rows where ids were skipped): one seek finds the range, with
    // no walk over the rows before the delete walks them again.
    let oldest: Option<i64> =
        tx.prepare_cached("SELECT min(id) FROM deliveries")?.query_row([], |r| r.get(0))?;
    let Some(oldest) = oldest else {
        return Ok(0);
    };
    let cutoff = oldest.saturating_add(count.saturating_sub(1) as i64);
    // The search index forgets rows by id. Only the range going now: a range reaching back
    // to ids forgotten before would walk their leftovers in the index again on every slice.
    if indexed_upto >= oldest {
        tx.prepare_cached("DELETE FROM deliveries_fts WHERE rowid >= ?1 AND rowid <= ?2")?
            .execute([oldest, cutoff.min(indexed_upto)])?;
    }
    for sql in [
        "DELETE FROM imported_deliveries WHERE delivery_id <= ?1",
        "DELETE FROM delivery_targets WHERE delivery_id <= ?1",
        "DELETE FROM delivery_responses WHERE delivery_id <= ?1",
        "UPDATE outbound_requests SET delivery_id = NULL WHERE delivery_id <= ?1",
    ] {
        tx.prepare_cached(sql)?.execute([cutoff])?;
    }
    let removed = tx.prepare_cached("DELETE FROM deliveries WHERE id <= ?1")?.execute([cutoff])?;
    Ok(removed as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_counts_the_current_second_until_a_whole_one_has_passed() {
        let mut rate = Rate::default();
        rate.add(3_000);
        rate.add(4_000);
        assert_eq!(rate.per_second(), 7_000, "a flood shows before its first second ends");
        rate.since -= Duration::from_secs(2);
        rate.add(1_000);
        assert!((3_900..=4_000).contains(&rate.per_second()), "{}", rate.per_second());
    }

    #[test]
    fn the_writer_gathering_a_group_wakes_when_the_last_announced_delivery_arrives() {
        let gathering = Arc::new(Gathering::default());
        gathering.count.store(2, Ordering::SeqCst);
        // Kept open: a closed queue would end the gathering at once.
        let (_tx, rx) = mpsc::channel(1);
        let mut queue = Queue { rx, gathering: gathering.clone() };
        let writer = std::thread::spawn(move || {
            let started = Instant::now();
            queue.gather(&mut Vec::new(), started + Duration::from_secs(30));
            started.elapsed()
        });
        gathering.writer.set(writer.thread().clone()).unwrap();
        // Time for the writer to fall asleep; arriving sooner would only make the test easier.
        std::thread::sleep(Duration::from_millis(50));
        gathering.arrived();
        gathering.arrived();
        let slept = writer.join().unwrap();
        assert!(slept < Duration::from_secs(10), "woken by the last arrival, not the deadline");
    }

    use super::super::search_tests::delivery;
    use super::super::{DeliveryQuery, Store};

    fn stored_paths(store: &Store) -> Vec<String> {
        let all = DeliveryQuery { limit: Some(1000), ..DeliveryQuery::default() };
        store.list(&all).unwrap().into_iter().map(|d| d.path).collect()
    }

    #[tokio::test]
    async fn a_panic_in_the_writer_fails_its_group_and_the_writer_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        let writer = store.writer().unwrap();
        writer.insert(delivery("/before", "a")).await.unwrap();
        writer.inject(&[Fault::Panic]);
        let err = writer.insert(delivery("/lost", "b")).await.unwrap_err();
        assert!(matches!(err, StoreError::WriterStopped), "{err}");
        for n in 0..3 {
            writer.insert(delivery(&format!("/after{n}"), "c")).await.unwrap();
        }
        assert_eq!(stored_paths(&store), ["/after2", "/after1", "/after0", "/before"]);
    }

    #[tokio::test]
    async fn a_transient_failure_fails_that_commit_and_the_next_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        let writer = store.writer().unwrap();
        let failures = [
            (rusqlite::ffi::SQLITE_FULL, "full"),
            (rusqlite::ffi::SQLITE_IOERR, "I/O"),
            (rusqlite::ffi::SQLITE_BUSY, "locked"),
            // Not expected to recover on the same connection: the writer starts over.
            (rusqlite::ffi::SQLITE_CANTOPEN, "open"),
            (rusqlite::ffi::SQLITE_READONLY, "readonly"),
        ];
        for (n, (code, words)) in failures.into_iter().enumerate() {
            writer.inject(&[Fault::Sqlite(code)]);
            let err = writer.insert(delivery(&format!("/lost{n}"), "x")).await.unwrap_err();
            assert!(matches!(err, StoreError::Commit(_)), "{err}");
            assert!(err.to_string().contains(words), "{err}");
            writer.insert(delivery(&format!("/kept{n}"), "x")).await.unwrap();
        }
        let paths = stored_paths(&store);
        assert_eq!(paths, ["/kept4", "/kept3", "/kept2", "/kept1", "/kept0"]);
    }

    #[tokio::test]
    async fn a_commit_that_finds_the_store_corrupt_stops_acknowledging() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        let writer = store.writer().unwrap();
        writer.insert(delivery("/before", "a")).await.unwrap();
        writer.inject(&[Fault::Sqlite(rusqlite::ffi::SQLITE_CORRUPT)]);
        let err = writer.insert(delivery("/lost", "b")).await.unwrap_err();
        assert!(err.to_string().contains("malformed"), "{err}");
        for n in 0..3 {
            let err = writer.insert(delivery(&format!("/refused{n}"), "c")).await.unwrap_err();
            assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
            assert!(err.to_string().contains(super::super::DB_FILE), "{err}");
        }
        assert_eq!(stored_paths(&store), ["/before"]);
    }

    #[tokio::test]
    async fn a_delivery_announced_and_then_dropped_is_no_longer_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(dir.path(), Default::default()).unwrap();
        let writer = store.writer().unwrap();
        let coming = writer.coming();
        let other = writer.coming();
        assert_eq!(writer.gathering.count.load(Ordering::Acquire), 2);
        drop(coming);
        assert_eq!(writer.gathering.count.load(Ordering::Acquire), 1);
        drop(other);
        assert_eq!(writer.gathering.count.load(Ordering::Acquire), 0);
    }
}
