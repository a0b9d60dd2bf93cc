//! SQLite storage: one writer thread commits captured deliveries in groups; readers use their
//! own connections, so the CLI and the UI can read while the listener writes.

mod changes;
mod checkpoint;
pub mod endpoints;
pub mod flovi;
pub mod headers;
mod model;
pub mod outbound;
mod query;
pub mod responses;
pub mod rules;
mod search;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};
use tokio::sync::broadcast;

use crate::paths;

pub use changes::StoreChange;
pub(crate) use changes::{DELIVERIES_KEY, IMPORTS_KEY, bump as bump_changes};
pub use model::{
    AttemptInfo, DeliveryAnalysis, DeliveryDetail, DeliveryGroup, DeliveryQuery, DeliverySummary,
    Endpoint, EndpointCount, EndpointInput, EndpointSettings, NewDelivery,
};
pub use query::{MAX_LIST_LIMIT, status_text};
pub use writer::{Coming, Writer};

/// The database file inside a data dir.
pub const DB_FILE: &str = "hookscope.db";
/// Deliveries kept when nothing else is configured.
pub const DEFAULT_RETENTION: u64 = 100_000;
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Page size of a new store, in bytes.
const PAGE_SIZE: i64 = 8_192;
/// The writer's page cache, in KiB.
const WRITER_CACHE_KIB: i64 = 2_048;

/// Store errors. Each displays as one line (no SQL, no newlines) and carries no source chain:
/// an error printed with its causes still reads as one line.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data dir {path}: {error}")]
    DataDir { path: PathBuf, error: std::io::Error },
    #[error("store {path} cannot be opened or flushed: {error}")]
    File { path: PathBuf, error: std::io::Error },
    #[error("store {path} is unreadable or corrupt: {}", sqlite_message(.error))]
    Corrupt { path: PathBuf, error: rusqlite::Error },
    #[error("store {path} cannot be migrated: {reason}")]
    Migration { path: PathBuf, reason: String },
    /// The store failed SQLite's integrity check, or a commit found it corrupt: nothing more
    /// is acknowledged into it.
    #[error(
        "store {path} is damaged ({reason}); nothing is captured into it: stop Hookscope, move \
         the file (with its -wal and -shm files) aside and start again, or recover what it \
         holds with `sqlite3 {path} .recover`"
    )]
    Damaged { path: PathBuf, reason: String },
    #[error("store query failed: {}", sqlite_message(.0))]
    Sqlite(rusqlite::Error),
    #[error("delivery {0} not found")]
    NotFound(i64),
    #[error("endpoint {0} not found")]
    EndpointNotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("commit failed: {0}")]
    Commit(String),
    #[error("the store's writer stopped before storing this")]
    WriterStopped,
}

// Not `#[from]`: that would also make the SQLite error this one's source, and a printed chain
// would repeat it.
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

impl StoreError {
    /// SQLite's primary result code behind this error, when it came from SQLite.
    pub(crate) fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            Self::Sqlite(e) | Self::Corrupt { error: e, .. } => e.sqlite_error_code(),
            _ => None,
        }
    }
}

/// Most messages worth showing fit here; SQL text and the like are cut.
const MAX_MESSAGE: usize = 300;

/// `error` as one line of moderate length: runs of whitespace (SQL's newlines) become one
/// space.
pub(crate) fn one_line(error: &impl std::fmt::Display) -> String {
    let text = error.to_string();
    let mut out = String::with_capacity(text.len().min(MAX_MESSAGE));
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out
}

/// SQLite's message, without the statement that a syntax error's message quotes.
fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqlInputError { msg, .. } => one_line(msg),
        other => one_line(other),
    }
}

/// What went wrong in a migration, without the migration's SQL that the library's message
/// quotes.
fn migration_reason(error: &rusqlite_migration::Error) -> String {
    match error {
        rusqlite_migration::Error::RusqliteError { err, .. } => sqlite_message(err),
        other => one_line(other),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_init.sql")),
        M::up(include_str!("migrations/0002_providers.sql")),
        M::up(include_str!("migrations/0003_flovi.sql")),
        M::up(include_str!("migrations/0004_replay.sql")),
        M::up(include_str!("migrations/0005_forward.sql")),
        M::up(include_str!("migrations/0006_tunnel.sql")),
        M::up(include_str!("migrations/0007_search.sql")),
        M::up(include_str!("migrations/0008_inline_body.sql")),
        M::up(include_str!("migrations/0009_request_target.sql")),
        M::up(include_str!("migrations/0010_delivery_responses.sql")),
        M::up(include_str!("migrations/0011_handler_check.sql")),
    ])
}

/// How far a commit goes before the listener answers 2xx.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncMode {
    /// Written to the WAL in the operating system: survives the app crashing or being killed,
    /// and the OS writes it out within moments. SQLite's recommendation for WAL databases.
    #[default]
    Normal,
    /// Also fsynced to the device: survives power loss, at the price of one flush per group.
    Full,
}

impl std::str::FromStr for SyncMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "normal" => Ok(Self::Normal),
            "full" => Ok(Self::Full),
            other => Err(format!("unknown sync mode {other:?} (expected normal or full)")),
        }
    }
}

/// Options for [`Store::open`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Keep at most this many deliveries; older ones are pruned by the writer.
    pub retention: u64,
    pub sync: SyncMode,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { retention: DEFAULT_RETENTION, sync: SyncMode::default() }
    }
}

/// Handle to an open store. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    events: broadcast::Sender<DeliverySummary>,
    changes: broadcast::Sender<StoreChange>,
    /// Wakes the change watcher; none until something subscribes to changes.
    wake_watcher: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    writer: Mutex<Option<Writer>>,
    options: StoreOptions,
}

impl Store {
    /// Opens (creating and migrating if needed) the store in `data_dir`.
    ///
    /// The data dir is made owner-only (0700) and the database owner-only (0600): SQLite gives
    /// its log and shared-memory files the database file's mode. Creating and migrating hold
    /// the data dir's lock, so processes opening a new data dir at once (the app and a CLI
    /// command on first run) take turns instead of racing to create the same tables.
    pub fn open(data_dir: &Path, options: StoreOptions) -> Result<Self> {
        let dir_error = |error| StoreError::DataDir { path: data_dir.to_path_buf(), error };
        paths::create_private_dir(data_dir).map_err(dir_error)?;
        let path = data_dir.join(DB_FILE);
        let _setup = paths::lock_data_dir(data_dir).map_err(dir_error)?;
        let file_error = |error| StoreError::File { path: path.clone(), error };
        paths::ensure_private_file(&path).map_err(file_error)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut companion = path.clone().into_os_string();
            companion.push(suffix);
            paths::restrict(Path::new(&companion), 0o600).map_err(file_error)?;
        }
        let mut conn = open_connection(&path)?;
        // Takes effect only on a new file (before its first write): a delivery of about a
        // kilobyte and a half spreads over fewer pages, so each commit writes fewer log frames.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(|error| StoreError::Corrupt { path: path.clone(), error })?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|error| StoreError::Corrupt { path: path.clone(), error })?;
        migrations().to_latest(&mut conn).map_err(|error| StoreError::Migration {
            path: path.clone(),
            reason: migration_reason(&error),
        })?;
        drop(conn);
        let (events, _) = broadcast::channel(4096);
        let (changes, _) = broadcast::channel(64);
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                readers: Mutex::new(Vec::new()),
                events,
                changes,
                wake_watcher: Mutex::new(None),
                writer: Mutex::new(None),
                options,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Live feed of every delivery once it is committed.
    pub fn subscribe(&self) -> broadcast::Receiver<DeliverySummary> {
        self.inner.events.subscribe()
    }

    /// Changes to endpoints and stored deliveries made by any process, this one included,
    /// within about [`changes::POLL`] (at once for this process's own). The first call starts
    /// watching.
    pub fn subscribe_changes(&self) -> Result<broadcast::Receiver<StoreChange>> {
        let mut wake = self.inner.wake_watcher.lock().unwrap_or_else(|e| e.into_inner());
        let receiver = self.inner.changes.subscribe();
        if wake.is_none() {
            let (sender, woken) = std::sync::mpsc::channel();
            let conn = open_connection(&self.inner.path)?;
            changes::spawn(self.inner.path.clone(), conn, woken, self.inner.changes.clone())?;
            *wake = Some(sender);
        }
        Ok(receiver)
    }

    /// The writer, started on first use. Every capture in the process shares it. Starting it
    /// runs SQLite's quick check: a damaged store is refused before anything is acknowledged.
    pub fn writer(&self) -> Result<Writer> {
        let mut slot = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(writer) = slot.as_ref() {
            return Ok(writer.clone());
        }
        let setup = writer::Setup {
            path: self.inner.path.clone(),
            sync: self.inner.options.sync,
            retention: self.inner.options.retention,
        };
        let writer = Writer::start(setup, self.inner.events.clone())?;
        *slot = Some(writer.clone());
        Ok(writer)
    }

    /// Runs `f` on a pooled connection (blocking: call from a blocking context).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.pooled(|conn| f(conn))
    }

    /// Runs `f` on a pooled connection that may write (endpoint settings; rare and small).
    pub fn write<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let out = self.pooled(f);
        if let Some(wake) = &*self.inner.wake_watcher.lock().unwrap_or_else(|e| e.into_inner()) {
            let _ = wake.send(());
        }
        out
    }

    fn pooled<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let pooled = self.inner.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.inner.path)?,
        };
        let out = f(&mut conn);
        self.inner.readers.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        out
    }

    /// Copies the write-ahead log into the database and empties it, so a store left alone
    /// (after `serve` stops) keeps no log beside it. Waits for readers to finish, up to the
    /// busy timeout.
    pub fn truncate_log(&self) -> Result<()> {
        self.read(|c| Ok(c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?))
    }

    pub fn list(&self, q: &DeliveryQuery) -> Result<Vec<DeliverySummary>> {
        self.read(|c| query::list(c, q))
    }

    /// A delivery without its body, decoded by its provider.
    pub fn detail(&self, id: i64) -> Result<DeliveryDetail> {
        self.read(|c| query::detail(c, id))
    }

    /// The body exactly as received; empty for a refused (oversize) body.
    pub fn body(&self, id: i64) -> Result<Vec<u8>> {
        self.read(|c| query::body(c, id))
    }

    /// The answer the delivery's sender got and, in forward mode, what the target answered.
    pub fn responses(&self, id: i64) -> Result<responses::DeliveryResponses> {
        self.read(|c| responses::of_delivery(c, id))
    }

    pub fn group(&self, id: i64) -> Result<(Option<String>, Vec<DeliverySummary>)> {
        self.read(|c| query::group(c, id))
    }

    pub fn event_types(&self) -> Result<Vec<String>> {
        self.read(query::event_types)
    }

    /// Header bytes exactly as received, in arrival order.
    pub fn raw_headers(&self, id: i64) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.read(|c| query::raw_headers(c, id))
    }

    pub fn endpoints(&self) -> Result<Vec<Endpoint>> {
        self.read(query::endpoints)
    }

    pub fn endpoint_counts(&self) -> Result<Vec<EndpointCount>> {
        self.read(query::endpoint_counts)
    }

    pub fn count(&self) -> Result<u64> {
        self.read(query::count)
    }

    /// Announces a stored delivery again after its answer changed (a proxied forward's status
    /// is known only after the commit), so live views update the row.
    pub fn announce(&self, id: i64) -> Result<()> {
        let q =
            DeliveryQuery { before_id: Some(id + 1), limit: Some(1), ..DeliveryQuery::default() };
        if let Some(summary) = self.list(&q)?.into_iter().find(|d| d.id == id) {
            let _ = self.inner.events.send(summary);
        }
        Ok(())
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let corrupt = |error| StoreError::Corrupt { path: path.to_path_buf(), error };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(corrupt)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(corrupt)?;
    // A garbage file opens fine and fails on first read: read now, so the error names the file.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())).map_err(corrupt)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(corrupt)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn the_bundled_sqlite_keeps_no_memory_statistics_and_shares_no_page_cache() {
        let conn = Connection::open_in_memory().unwrap();
        let mut options = conn.prepare("PRAGMA compile_options").unwrap();
        let options: Vec<String> =
            options.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap();
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
    }

    #[test]
    fn new_stores_get_large_pages_and_old_ones_keep_theirs() {
        let page_size = |dir: &Path| {
            let store = Store::open(dir, StoreOptions::default()).unwrap();
            store.read(|c| Ok(c.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))?))
        };
        let new = tempfile::tempdir().unwrap();
        assert_eq!(page_size(new.path()).unwrap(), PAGE_SIZE);
        let old = tempfile::tempdir().unwrap();
        let conn = open_connection(&old.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "page_size", 4_096).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        drop(conn);
        assert_eq!(page_size(old.path()).unwrap(), 4_096, "an existing file is not rewritten");
    }

    #[test]
    fn bodies_stored_apart_move_into_their_deliveries() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open_connection(&dir.path().join(DB_FILE)).unwrap();
        migrations().to_version(&mut conn, 7).unwrap();
        for (id, stored) in [(1, true), (2, true), (3, false)] {
            conn.execute(
                "INSERT INTO deliveries (id, received_at, method, path, http_version, headers_raw,
                    body_size, body_stored) VALUES (?1, 0, 'POST', '/x', 'HTTP/1.1', x'', 3, ?2)",
                rusqlite::params![id, stored],
            )
            .unwrap();
        }
        let bytes: &[u8] = b"\x00\xff\r\n";
        conn.execute("INSERT INTO delivery_bodies (id, body) VALUES (1, ?1)", [bytes]).unwrap();
        conn.execute("INSERT INTO delivery_bodies (id, body) VALUES (2, x'')", []).unwrap();
        drop(conn);

        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        assert_eq!(store.body(1).unwrap(), bytes);
        assert_eq!(store.body(2).unwrap(), b"");
        assert_eq!(store.body(3).unwrap(), b"", "a refused body stays absent");
        let tables: i64 = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'delivery_bodies'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[test]
    fn garbage_file_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DB_FILE), vec![0x42; 8192]).unwrap();
        let err = Store::open(dir.path(), StoreOptions::default()).err().unwrap();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains(DB_FILE));
    }

    #[test]
    fn a_failed_migration_is_one_line_without_its_sql() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch("CREATE TABLE endpoints (x)").unwrap();
        drop(conn);
        let err = Store::open(dir.path(), StoreOptions::default()).err().unwrap();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Migration { .. }), "{text}");
        assert!(text.contains("table endpoints already exists"), "{text}");
        assert!(text.contains(DB_FILE), "{text}");
        assert!(!text.contains('\n') && text.len() < 400, "{text}");
        assert!(!text.contains("CREATE"), "no SQL: {text}");
        // Printed with its causes (as the CLI does), it stays that one line.
        assert!(std::error::Error::source(&err).is_none());
    }

    #[test]
    fn long_messages_become_one_short_line() {
        let sql = format!("near \"x\":\n  CREATE TABLE t (\n\t{}\n)", "a, ".repeat(500));
        let line = one_line(&sql);
        assert!(!line.contains(['\n', '\t']), "{line}");
        assert!(line.starts_with("near \"x\": CREATE TABLE t ( a, a,"), "{line}");
        assert!(line.chars().count() <= MAX_MESSAGE + 1 && line.ends_with('…'), "{line}");
        assert_eq!(one_line(&"ok  as\r\nit is"), "ok as it is");
    }

    /// Overwrites `count` pages from the middle of the database file on with garbage, as a
    /// failing disk or a stray write would.
    pub(crate) fn damage_middle_pages(db: &Path, count: u64) {
        use std::io::{Seek, SeekFrom, Write};
        let len = std::fs::metadata(db).unwrap().len();
        let pages = len / PAGE_SIZE as u64;
        assert!(pages > count * 4, "a store of {pages} pages is too small to damage its middle");
        let mut file = std::fs::OpenOptions::new().write(true).open(db).unwrap();
        file.seek(SeekFrom::Start(pages / 2 * PAGE_SIZE as u64)).unwrap();
        file.write_all(&vec![0x5a; (count * PAGE_SIZE as u64) as usize]).unwrap();
    }

    #[tokio::test]
    async fn a_store_that_fails_the_quick_check_gets_no_writer() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
            let writer = store.writer().unwrap();
            let body = "b".repeat(4096);
            for n in 0..300 {
                let d = search_tests::delivery(&format!("/d{n}"), &body);
                writer.insert(d).await.unwrap();
            }
        }
        // Everything in the database file itself, where the damage goes.
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
        drop(conn);
        damage_middle_pages(&dir.path().join(DB_FILE), 4);

        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let err = store.writer().err().unwrap();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Damaged { .. }), "{text}");
        assert!(text.contains(&dir.path().join(DB_FILE).display().to_string()), "{text}");
        assert!(text.contains(".recover") && !text.contains('\n'), "{text}");
    }

    #[test]
    fn default_endpoints_exist_on_first_run() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let names: Vec<_> = store.endpoints().unwrap().into_iter().map(|e| e.path_prefix).collect();
        assert_eq!(names, ["/flovi", "/flowella", "/fleiko"]);
    }
}

#[cfg(test)]
pub(crate) mod search_tests {
    use super::*;

    /// A delivery to `path` with `body`, analysed as nothing in particular.
    pub(in crate::store) fn delivery(path: &str, body: &str) -> NewDelivery {
        NewDelivery {
            received_at: 0,
            method: "POST".into(),
            path: path.into(),
            query: None,
            target: None,
            http_version: "HTTP/1.1".into(),
            headers: vec![(b"X-Request-Id".to_vec(), format!("req-{path}").into_bytes())],
            body: Some(bytes::Bytes::from(body.to_owned())),
            body_size: body.len() as u64,
            remote_addr: None,
            via_tunnel: None,
            endpoint_id: None,
            endpoint: None,
            provider: None,
            response_status: 200,
            response_latency_us: 0,
            analysis: DeliveryAnalysis::default(),
        }
    }

    fn search(store: &Store, text: &str) -> Vec<String> {
        let q = DeliveryQuery { search: Some(text.into()), ..DeliveryQuery::default() };
        store.list(&q).unwrap().into_iter().map(|d| d.path).collect()
    }

    fn indexed_upto(store: &Store) -> i64 {
        store
            .read(|c| {
                Ok(c.query_row("SELECT value FROM meta WHERE key = 'fts_indexed_upto'", [], |r| {
                    r.get(0)
                })?)
            })
            .unwrap()
    }

    #[tokio::test]
    async fn search_finds_rows_before_and_after_they_are_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let writer = store.writer().unwrap();
        for (path, body) in [
            ("/a", r#"{"id":"evt_7f3a9c","type":"job.completed"}"#),
            ("/b", r#"{"id":"evt_000001","name":"Åsa"}"#),
            ("/c", "plain text about JOB scheduling"),
        ] {
            writer.insert(delivery(path, body)).await.unwrap();
        }
        let expectations: [(&str, &[&str]); 5] = [
            ("evt_7f3", &["/a"]),
            ("job", &["/c", "/a"]),
            ("åsa", &["/b"]),
            ("req-/b", &["/b"]),
            ("nothing", &[]),
        ];
        let before: Vec<_> = expectations.iter().map(|(t, _)| search(&store, t)).collect();
        for _ in 0..200 {
            if indexed_upto(&store) == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(indexed_upto(&store), 3, "the idle writer indexes everything");
        for ((text, want), before) in expectations.iter().zip(before) {
            assert_eq!(search(&store, text), *want, "indexed search for {text:?}");
            assert_eq!(before, *want, "search for {text:?} racing the index");
        }
    }

    /// Rows matching `text` in the search index itself, pruned or not.
    fn indexed_matches(store: &Store, text: &str) -> i64 {
        store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM deliveries_fts WHERE deliveries_fts MATCH ?1",
                    [text],
                    |r| r.get(0),
                )?)
            })
            .unwrap()
    }

    async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        for _ in 0..300 {
            if done() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}");
    }

    /// A store in a fresh directory that keeps the newest `retention` deliveries.
    fn keeping(retention: u64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions { retention, ..StoreOptions::default() });
        (dir, store.unwrap())
    }

    #[tokio::test]
    async fn pruned_deliveries_leave_the_search_index() {
        let (_dir, store) = keeping(3);
        let writer = store.writer().unwrap();
        for n in 0..3 {
            writer.insert(delivery(&format!("/old{n}"), "alpha report")).await.unwrap();
        }
        wait_for("the first rows to be indexed", || indexed_upto(&store) == 3).await;
        assert_eq!(indexed_matches(&store, "alpha"), 3);
        for n in 0..3 {
            writer.insert(delivery(&format!("/new{n}"), "beta report")).await.unwrap();
        }
        wait_for("the old rows to be pruned and the new indexed", || {
            store.count().unwrap() == 3 && indexed_upto(&store) == 6
        })
        .await;
        assert_eq!(indexed_matches(&store, "alpha"), 0, "pruned rows are forgotten");
        assert_eq!(indexed_matches(&store, "beta"), 3);
        assert_eq!(indexed_matches(&store, "report"), 3);
        assert_eq!(search(&store, "report"), ["/new2", "/new1", "/new0"]);
    }

    #[tokio::test]
    async fn pruning_steps_over_skipped_ids_and_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
            let writer = store.writer().unwrap();
            for n in 0..6 {
                writer.insert(delivery(&format!("/d{n}"), "x")).await.unwrap();
            }
            // An id skipped: the range pruned from the oldest id on holds fewer rows.
            store.write(|c| Ok(c.execute("DELETE FROM deliveries WHERE id = 2", [])?)).unwrap();
        }
        let store = Store::open(dir.path(), StoreOptions { retention: 2, ..Default::default() });
        let store = store.unwrap();
        let newest = store.writer().unwrap().insert(delivery("/new", "x")).await.unwrap().id;
        wait_for("pruning down to two", || store.count().unwrap() == 2).await;
        let ids = store
            .read(|c| {
                let mut ids = c.prepare("SELECT id FROM deliveries ORDER BY id")?;
                Ok(ids
                    .query_map([], |r| r.get::<_, i64>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .unwrap();
        assert_eq!(ids, [newest - 1, newest], "the newest two are kept");
    }

    #[tokio::test]
    async fn pruned_deliveries_lose_their_import_mark_and_leave_their_replays() {
        let (_dir, store) = keeping(2);
        let writer = store.writer().unwrap();
        let first = writer.insert(delivery("/first", "a")).await.unwrap().id;
        let kept = writer.insert(delivery("/kept", "b")).await.unwrap().id;
        store.write(|c| rules::mark_imported(c, &[first, kept], "test.har", 0)).unwrap();
        let replay = |delivery_id| outbound::NewOutbound {
            at: 0,
            kind: crate::outbound::OutboundKind::Replay,
            delivery_id: Some(delivery_id),
            method: "POST".into(),
            url: "http://127.0.0.1:9/".into(),
            request_headers: Vec::new(),
            request_body: Vec::new(),
            status: None,
            response_headers: Vec::new(),
            response_body: Vec::new(),
            truncated: false,
            duration_ms: 0,
            error: Some("refused".into()),
            options: None,
            sent_event_id: None,
        };
        let gone_replay = store.write(|c| outbound::insert(c, &replay(first))).unwrap();
        let kept_replay = store.write(|c| outbound::insert(c, &replay(kept))).unwrap();
        writer.insert(delivery("/third", "c")).await.unwrap();
        wait_for("the oldest row to be pruned", || store.count().unwrap() == 2).await;

        assert!(matches!(store.detail(first), Err(StoreError::NotFound(_))));
        assert!(!store.read(|c| rules::is_imported(c, first)).unwrap());
        assert!(store.read(|c| rules::is_imported(c, kept)).unwrap());
        let record = |id| store.read(|c| outbound::get(c, id)).unwrap().unwrap();
        assert_eq!(record(gone_replay).delivery_id, None, "the replay outlives its delivery");
        assert_eq!(record(kept_replay).delivery_id, Some(kept));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn searches_during_a_flood_leave_the_log_bounded() {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let writer = store.writer().unwrap();
        let wal = dir.path().join(format!("{DB_FILE}-wal"));
        let done = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let searches = Arc::new(AtomicU64::new(0));
        let watcher = {
            let (done, peak, wal) = (done.clone(), peak.clone(), wal.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Acquire) {
                    let len = std::fs::metadata(&wal).map_or(0, |m| m.len());
                    peak.fetch_max(len, Ordering::AcqRel);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        // Words found nowhere: every search reads every row the index has not reached yet.
        let searchers: Vec<_> = (0..2)
            .map(|_| {
                let (done, searches, store) = (done.clone(), searches.clone(), store.clone());
                std::thread::spawn(move || {
                    let mut longest = Duration::ZERO;
                    while !done.load(Ordering::Acquire) {
                        let started = std::time::Instant::now();
                        assert!(search(&store, "nowhere zzz").is_empty());
                        longest = longest.max(started.elapsed());
                        searches.fetch_add(1, Ordering::AcqRel);
                    }
                    longest
                })
            })
            .collect();
        let body = "y".repeat(2048);
        let tasks: Vec<_> = (0..64)
            .map(|t| {
                let writer = writer.clone();
                let body = body.clone();
                tokio::spawn(async move {
                    for n in 0..600 {
                        writer.insert(delivery(&format!("/t{t}/{n}"), &body)).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        done.store(true, Ordering::Release);
        watcher.join().unwrap();
        let longest = searchers.into_iter().map(|s| s.join().unwrap()).max().unwrap();
        let peak = peak.load(Ordering::Acquire);
        let searches = searches.load(Ordering::Acquire);
        eprintln!("log peak {} MiB over {searches} searches (longest {longest:?})", peak >> 20);
        assert_eq!(store.count().unwrap(), 64 * 600);
        assert!(searches > 0, "the searches ran alongside the flood");
        let bound = checkpoint::MAX_LOG_BYTES as u64 + (8 << 20);
        assert!(peak < bound, "the log stayed bounded while searches ran ({peak} bytes)");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_starts_over_while_deliveries_keep_coming() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let writer = store.writer().unwrap();
        let body = "x".repeat(1024);
        // 64 MiB of bodies alone, written without a pause: several times the restart threshold.
        let tasks: Vec<_> = (0..64)
            .map(|t| {
                let writer = writer.clone();
                let body = body.clone();
                tokio::spawn(async move {
                    for n in 0..1_000 {
                        writer.insert(delivery(&format!("/t{t}/{n}"), &body)).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(store.count().unwrap(), 64_000);
        let wal = std::fs::metadata(dir.path().join(format!("{DB_FILE}-wal"))).unwrap().len();
        // However far the checkpoint thread fell behind, the writer restarts the log itself
        // past the bound; a group's pages may come on top before it does.
        let bound = checkpoint::MAX_LOG_BYTES as u64 + (8 << 20);
        assert!(wal < bound, "the log was restarted, not left to grow ({wal} bytes)");
        // The copy runs every 100 ms, behind the writer: give it time to catch up.
        let db_size = || std::fs::metadata(dir.path().join(DB_FILE)).unwrap().len();
        for _ in 0..600 {
            if db_size() > 64 << 20 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(db_size() > 64 << 20, "the checkpoint thread copied the log back");
    }
}
