//! Forwards the core's delivery broadcasts to the UI in batches, at most one event per
//! interval, so a burst of captures costs the webview a few renders instead of thousands.

use std::time::Duration;

use hookscope_core::store::{Store, StoreChange};
use hookscope_core::tunnel::TunnelManager;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

pub const BATCH_EVENT: &str = "deliveries:batch";
/// Sent when the UI missed deliveries (the bridge fell behind); it should reload its list.
pub const RESYNC_EVENT: &str = "deliveries:resync";
/// The store changed outside the delivery feed (endpoints, re-verified or imported
/// deliveries), by this app or another process; carries a `StoreChange`.
pub const STORE_CHANGED_EVENT: &str = "store:changed";
/// The tunnel's status, on every change.
pub const TUNNEL_STATUS_EVENT: &str = "tunnel:status";
const INTERVAL: Duration = Duration::from_millis(50);
const MAX_BATCH: usize = 2_000;

pub fn spawn(app: AppHandle, store: &Store) {
    let mut rx = store.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let first = match rx.recv().await {
                Ok(summary) => summary,
                Err(RecvError::Lagged(_)) => {
                    let _ = app.emit(RESYNC_EVENT, ());
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            // Let the rest of a burst arrive, then send everything queued in one event.
            tokio::time::sleep(INTERVAL).await;
            let mut batch = vec![first];
            let mut lagged = false;
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(summary) => batch.push(summary),
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => lagged = true,
                    Err(_) => break,
                }
            }
            if let Err(err) = app.emit(BATCH_EVENT, &batch) {
                tracing::warn!("cannot send deliveries to the window: {err}");
            }
            if lagged {
                let _ = app.emit(RESYNC_EVENT, ());
            }
        }
    });
}

/// Forwards the store's change notices to the window, those of one interval as one event.
pub fn spawn_store_changes(app: AppHandle, store: &Store) {
    let mut rx = match store.subscribe_changes() {
        Ok(rx) => rx,
        Err(err) => {
            tracing::warn!("changes made outside the window will not show: {err}");
            return;
        }
    };
    tauri::async_runtime::spawn(async move {
        loop {
            let mut change = match rx.recv().await {
                Ok(change) => change,
                Err(RecvError::Lagged(_)) => StoreChange::ALL,
                Err(RecvError::Closed) => return,
            };
            tokio::time::sleep(INTERVAL).await;
            loop {
                match rx.try_recv() {
                    Ok(more) => change = change.merge(more),
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                        change = StoreChange::ALL;
                    }
                    Err(_) => break,
                }
            }
            if let Err(err) = app.emit(STORE_CHANGED_EVENT, change) {
                tracing::warn!("cannot tell the window of a store change: {err}");
            }
        }
    });
}

/// Forwards every tunnel status change to the window.
pub fn spawn_tunnel_status(app: AppHandle, manager: &TunnelManager) {
    let mut rx = manager.subscribe();
    tauri::async_runtime::spawn(async move {
        while rx.changed().await.is_ok() {
            let status = rx.borrow_and_update().clone();
            if let Err(err) = app.emit(TUNNEL_STATUS_EVENT, &status) {
                tracing::warn!("cannot send the tunnel status to the window: {err}");
            }
        }
    });
}
