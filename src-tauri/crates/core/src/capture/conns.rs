//! The cap on open connections, and who makes room when it is reached.
//!
//! Each connection holds a permit while it is open. The cap is the configured one, lowered so
//! that it is reached before the process runs out of file handles, with headroom kept for the
//! store's files, outbound forwards and tunnels. At the cap the listener does not stop
//! accepting: it closes the connection that has been silent the longest and lets the new one
//! in. Refusing newcomers would let anyone who holds the cap's worth of trickling connections
//! shut out every provider; shrinking deadlines under pressure still leaves honest senders
//! waiting for the shortened deadline. Closing the longest-silent connection costs the least:
//! an idle keep-alive connection is free to close, a body trickling a byte every few seconds is
//! the attack, and a client that is really sending is read continuously, so it is never the
//! one silent longest unless every connection is busy. A connection whose request is complete
//! (being stored or answered) is never closed this way: its delivery may already be on disk.
//! An HTTP/2 connection counts as busy while any of its streams is; a stream whose body is still
//! arriving does not shield it, for the same reason a trickling HTTP/1 body does not.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// Open connections allowed when nothing else is configured.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// File handles kept free for everything that is not a listener connection: the store's
/// database, WAL and shared-memory files for the writer and readers, outbound forwards,
/// tunnels, the browser UI's server, logs.
const FD_HEADROOM: u64 = 256;
/// How often a waiting newcomer looks again for a connection to close.
const RETRY: Duration = Duration::from_millis(200);
/// How often the number of closed connections is logged, at most.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// What one open connection shows the cap.
#[derive(Debug)]
pub(super) struct Slot {
    epoch: Instant,
    /// Milliseconds after `epoch` of the last byte read.
    last_read: AtomicU64,
    /// Requests complete and being stored or answered: one at most over HTTP/1, one per
    /// stream over HTTP/2.
    busy: AtomicUsize,
    /// Chosen to make room; closed as soon as its task sees it.
    evicting: AtomicBool,
    evict: Notify,
}

impl Slot {
    fn new(epoch: Instant) -> Self {
        let slot = Self {
            epoch,
            last_read: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
        };
        slot.touch();
        slot
    }

    /// Records that bytes were just read.
    pub fn touch(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_read.store(now, Ordering::Relaxed);
    }

    /// Marks one more request of the connection complete, shielding it from eviction.
    fn enter_busy(&self) {
        self.busy.fetch_add(1, Ordering::Relaxed);
    }

    fn leave_busy(&self) {
        self.busy.fetch_sub(1, Ordering::Relaxed);
    }

    /// Resolves once the connection was chosen to make room.
    pub async fn evicted(&self) {
        self.evict.notified().await;
    }
}

/// Marks a connection busy until dropped.
pub(super) struct Busy(Arc<Slot>);

impl Busy {
    pub fn new(slot: Arc<Slot>) -> Self {
        slot.enter_busy();
        Self(slot)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.leave_busy();
    }
}

/// Every open connection of one listener (its own port and its tunnels).
#[derive(Debug)]
pub(super) struct Connections {
    cap: usize,
    permits: Arc<Semaphore>,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Slot>>>,
    evicted: AtomicU64,
    last_report: Mutex<Option<Instant>>,
}

/// Room for one connection: holds its permit until dropped. Taken before the connection is
/// accepted; only [`Admission::open`] makes it a candidate for eviction.
pub(super) struct Admission {
    conns: Arc<Connections>,
    id: u64,
    pub slot: Arc<Slot>,
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// The connection is accepted: from now on it may be closed to make room.
    pub fn open(&self) {
        self.slot.touch();
        self.conns
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(self.id, self.slot.clone());
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.conns.open.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
    }
}

impl Connections {
    pub fn new(cap: usize) -> Arc<Self> {
        let cap = cap.max(1);
        Arc::new(Self {
            cap,
            permits: Arc::new(Semaphore::new(cap)),
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            evicted: AtomicU64::new(0),
            last_report: Mutex::new(None),
        })
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Waits for room for one more connection, closing the longest-silent one if the cap is
    /// reached. Call before accepting, so the cap bounds the file handles in use.
    pub async fn admit(self: &Arc<Self>) -> Admission {
        let permit = loop {
            if let Ok(permit) = self.permits.clone().try_acquire_owned() {
                break permit;
            }
            self.evict_stalest();
            // The victim gives its permit back when its task ends, which is at once. When
            // every connection is busy, look again shortly: one may have gone quiet since.
            match tokio::time::timeout(RETRY, self.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => break permit,
                // The semaphore is never closed; treat it like a timeout.
                Ok(Err(_)) | Err(_) => continue,
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::new(self.epoch));
        Admission { conns: self.clone(), id, slot, _permit: permit }
    }

    /// Picks the connection silent the longest that is not busy nor already chosen, and tells
    /// it to close. Returns whether one was found.
    fn evict_stalest(&self) -> bool {
        let victim = {
            let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            stalest(open.values())
        };
        let Some(victim) = victim else { return false };
        victim.evicting.store(true, Ordering::Relaxed);
        victim.evict.notify_one();
        self.evicted.fetch_add(1, Ordering::Relaxed);
        self.report();
        true
    }

    /// Logs how many connections were closed to make room, at most every [`REPORT_EVERY`]:
    /// under attack this happens for every new connection.
    fn report(&self) {
        let mut last = self.last_report.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < REPORT_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let n = self.evicted.swap(0, Ordering::Relaxed);
        tracing::warn!(
            "at the cap of {} open connections: closed {n} that had gone quiet the longest",
            self.cap
        );
    }
}

/// The slot silent the longest among those that may be closed.
fn stalest<'a>(slots: impl Iterator<Item = &'a Arc<Slot>>) -> Option<Arc<Slot>> {
    slots
        .filter(|s| s.busy.load(Ordering::Relaxed) == 0 && !s.evicting.load(Ordering::Relaxed))
        .min_by_key(|s| s.last_read.load(Ordering::Relaxed))
        .cloned()
}

/// The connection cap to use: the one asked for, lowered so that it is reached while
/// [`FD_HEADROOM`] file handles are still free (half the limit when it is tiny).
pub(super) fn cap_for(requested: usize, fd_limit: Option<u64>) -> usize {
    let Some(limit) = fd_limit else { return requested.max(1) };
    let headroom = FD_HEADROOM.min(limit / 2);
    let usable = usize::try_from(limit - headroom).unwrap_or(usize::MAX);
    requested.min(usable).max(1)
}

/// Raises the soft limit on open files to the hard one (the kernel lets any process do so)
/// and returns the limit now in force; `None` when there is none or it is unknown.
#[cfg(unix)]
pub(super) fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return limit.maximum;
        }
        // macOS refuses an unlimited soft limit; its OPEN_MAX is what it would allow.
        #[cfg(target_os = "macos")]
        {
            let open_max = Some(10_240u64.min(limit.maximum.unwrap_or(u64::MAX)));
            let raised = Rlimit { current: open_max, maximum: limit.maximum };
            if setrlimit(Resource::Nofile, raised).is_ok() {
                return open_max;
            }
        }
    }
    limit.current
}

#[cfg(not(unix))]
pub(super) fn raise_fd_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_file_handle_limit_with_headroom() {
        assert_eq!(cap_for(1024, None), 1024);
        assert_eq!(cap_for(1024, Some(1_048_576)), 1024);
        assert_eq!(cap_for(1024, Some(1024)), 1024 - FD_HEADROOM as usize);
        assert_eq!(cap_for(5000, Some(4096)), 4096 - FD_HEADROOM as usize);
        assert_eq!(cap_for(1024, Some(256)), 128, "half of a tiny limit");
        assert_eq!(cap_for(0, Some(1024)), 1);
    }

    #[test]
    fn the_longest_silent_idle_connection_is_chosen() {
        let epoch = Instant::now();
        let slot = |last: u64, busy: bool| {
            let s = Arc::new(Slot::new(epoch));
            s.last_read.store(last, Ordering::Relaxed);
            s.busy.store(usize::from(busy), Ordering::Relaxed);
            s
        };
        let fresh = slot(5_000, false);
        let trickling = slot(3_000, false);
        let storing = slot(1_000, true);
        let slots = [fresh, trickling.clone(), storing];
        let chosen = stalest(slots.iter()).unwrap();
        assert!(Arc::ptr_eq(&chosen, &trickling), "busy connections are never chosen");
        trickling.evicting.store(true, Ordering::Relaxed);
        let next = stalest(slots.iter()).unwrap();
        assert!(Arc::ptr_eq(&next, &slots[0]), "nor one already on its way out");
    }

    #[tokio::test]
    async fn at_the_cap_a_newcomer_gets_in_by_closing_the_stalest() {
        let conns = Connections::new(2);
        let quiet = conns.admit().await;
        quiet.open();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let active = conns.admit().await;
        active.open();
        // Each connection's task closes it when told to, as the listener's does.
        let closer = |admission: Admission| {
            tokio::spawn(async move {
                admission.slot.evicted().await;
                drop(admission);
            })
        };
        let quiet_task = closer(quiet);
        let active_task = closer(active);
        let third = tokio::time::timeout(Duration::from_secs(5), conns.admit()).await;
        let third = third.expect("the newcomer was let in");
        third.open();
        assert!(quiet_task.is_finished() || quiet_task.await.is_ok());
        assert!(!active_task.is_finished(), "the connection read last stays open");
        assert_eq!(conns.open.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_connection_stays_busy_while_any_of_its_requests_is() {
        let slot = Arc::new(Slot::new(Instant::now()));
        let first = Busy::new(slot.clone());
        let second = Busy::new(slot.clone());
        drop(first);
        assert!(stalest([slot.clone()].iter()).is_none(), "one stream is still being stored");
        drop(second);
        assert!(stalest([slot].iter()).is_some());
    }

    #[tokio::test]
    async fn busy_connections_are_waited_for() {
        let conns = Connections::new(1);
        let first = conns.admit().await;
        first.open();
        let busy = Busy::new(first.slot.clone());
        let waiting = tokio::spawn({
            let conns = conns.clone();
            async move { conns.admit().await.id }
        });
        tokio::time::sleep(RETRY * 2).await;
        assert!(!waiting.is_finished(), "a busy connection is not closed to make room");
        drop(busy);
        drop(first);
        let id = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
        assert_eq!(id, 1);
    }
}
