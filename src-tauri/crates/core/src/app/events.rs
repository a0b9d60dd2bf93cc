//! The live feed: new deliveries in batches (at most one per interval, so a burst of captures
//! costs a window a few renders instead of thousands), store changes made by anyone, and the
//! tunnel's status. The desktop shell emits these as Tauri events, the browser API streams them;
//! both under the same names with the same payloads.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc, watch};

use crate::store::{DeliverySummary, StoreChange};
use crate::tunnel::TunnelStatus;

use super::App;

pub const BATCH_EVENT: &str = "deliveries:batch";
/// Sent when the receiver missed deliveries (it fell behind); it should reload its list.
pub const RESYNC_EVENT: &str = "deliveries:resync";
/// The store changed outside the delivery feed (endpoints, re-verified or imported
/// deliveries), by this process or another; carries a `StoreChange`.
pub const STORE_CHANGED_EVENT: &str = "store:changed";
/// The tunnel's status, on every change.
pub const TUNNEL_STATUS_EVENT: &str = "tunnel:status";

const INTERVAL: Duration = Duration::from_millis(50);
const MAX_BATCH: usize = 2_000;
/// Events held for a slow receiver; past it the feed waits, falls behind the store's broadcast
/// and tells the receiver to resync, so a stalled reader costs bounded memory.
const QUEUED_EVENTS: usize = 16;

#[derive(Debug, Clone)]
pub enum AppEvent {
    /// New deliveries, oldest first.
    Deliveries(Vec<DeliverySummary>),
    Resync,
    StoreChanged(StoreChange),
    TunnelStatus(TunnelStatus),
}

impl AppEvent {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Deliveries(_) => BATCH_EVENT,
            Self::Resync => RESYNC_EVENT,
            Self::StoreChanged(_) => STORE_CHANGED_EVENT,
            Self::TunnelStatus(_) => TUNNEL_STATUS_EVENT,
        }
    }

    pub fn payload(&self) -> Value {
        let value = match self {
            Self::Deliveries(batch) => serde_json::to_value(batch),
            Self::Resync => Ok(Value::Null),
            Self::StoreChanged(change) => serde_json::to_value(change),
            Self::TunnelStatus(status) => serde_json::to_value(status),
        };
        value.unwrap_or_else(|err| {
            tracing::warn!("cannot serialise the {} event: {err}", self.name());
            Value::Null
        })
    }
}

impl App {
    /// A feed of its own for one receiver (a window, a browser tab). Must be called within a
    /// tokio runtime; the feed's tasks end when the receiver is dropped.
    pub fn events(&self) -> mpsc::Receiver<AppEvent> {
        let (tx, rx) = mpsc::channel(QUEUED_EVENTS);
        tokio::spawn(forward_deliveries(self.store.subscribe(), tx.clone()));
        match self.store.subscribe_changes() {
            Ok(changes) => {
                tokio::spawn(forward_changes(changes, tx.clone()));
            }
            Err(err) => tracing::warn!("changes made elsewhere will not show: {err}"),
        }
        if let Some(tunnel) = &self.tunnel {
            tokio::spawn(forward_tunnel(tunnel.manager().subscribe(), tx));
        }
        rx
    }
}

/// Waits for the next broadcast item, or `None` once nobody listens to `tx` any more.
async fn next<T: Clone>(
    rx: &mut broadcast::Receiver<T>,
    tx: &mpsc::Sender<AppEvent>,
) -> Option<Result<T, RecvError>> {
    tokio::select! {
        item = rx.recv() => Some(item),
        () = tx.closed() => None,
    }
}

async fn forward_deliveries(
    mut rx: broadcast::Receiver<DeliverySummary>,
    tx: mpsc::Sender<AppEvent>,
) {
    while let Some(item) = next(&mut rx, &tx).await {
        let first = match item {
            Ok(summary) => summary,
            Err(RecvError::Lagged(_)) => {
                if tx.send(AppEvent::Resync).await.is_err() {
                    return;
                }
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        // Let the rest of a burst arrive, then send everything queued as one event.
        tokio::time::sleep(INTERVAL).await;
        let mut batch = vec![first];
        let mut lagged = false;
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(summary) => batch.push(summary),
                Err(TryRecvError::Lagged(_)) => lagged = true,
                Err(_) => break,
            }
        }
        if tx.send(AppEvent::Deliveries(batch)).await.is_err()
            || (lagged && tx.send(AppEvent::Resync).await.is_err())
        {
            return;
        }
    }
}

/// The change notices of one interval, merged into one event.
async fn forward_changes(mut rx: broadcast::Receiver<StoreChange>, tx: mpsc::Sender<AppEvent>) {
    while let Some(item) = next(&mut rx, &tx).await {
        let mut change = match item {
            Ok(change) => change,
            Err(RecvError::Lagged(_)) => StoreChange::ALL,
            Err(RecvError::Closed) => return,
        };
        tokio::time::sleep(INTERVAL).await;
        loop {
            match rx.try_recv() {
                Ok(more) => change = change.merge(more),
                Err(TryRecvError::Lagged(_)) => change = StoreChange::ALL,
                Err(_) => break,
            }
        }
        if tx.send(AppEvent::StoreChanged(change)).await.is_err() {
            return;
        }
    }
}

async fn forward_tunnel(mut rx: watch::Receiver<TunnelStatus>, tx: mpsc::Sender<AppEvent>) {
    loop {
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { return },
            () = tx.closed() => return,
        }
        let status = rx.borrow_and_update().clone();
        if tx.send(AppEvent::TunnelStatus(status)).await.is_err() {
            return;
        }
    }
}
