//! Keeps one tunnel running: publishes its status, reconnects with capped backoff.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Tunnel, TunnelConfig, TunnelStatus};
use crate::capture::ListenerHandle;

/// Doubling delays between reconnect attempts, from `first` up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Self {
        Self { first, max, next: first }
    }

    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(30))
    }
}

/// Runs at most one tunnel at a time. Cheap to clone.
#[derive(Clone)]
pub struct TunnelManager {
    inner: Arc<Inner>,
}

struct Inner {
    listener: ListenerHandle,
    runtime: Handle,
    status: watch::Sender<TunnelStatus>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl TunnelManager {
    /// Tunnels are served by `listener` and run on `runtime`.
    pub fn new(listener: ListenerHandle, runtime: Handle) -> Self {
        let (status, _) = watch::channel(TunnelStatus::Stopped);
        Self { inner: Arc::new(Inner { listener, runtime, status, task: Mutex::new(None) }) }
    }

    /// Stops any running tunnel and starts this one.
    pub fn start(&self, config: TunnelConfig) {
        self.start_tunnel(config.into_tunnel(), Backoff::default());
    }

    pub fn start_tunnel(&self, tunnel: Box<dyn Tunnel>, backoff: Backoff) {
        let mut task = self.inner.task.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = task.take() {
            old.abort();
        }
        let status = self.inner.status.clone();
        status.send_replace(TunnelStatus::Connecting { kind: tunnel.kind() });
        let listener = self.inner.listener.clone();
        *task = Some(self.inner.runtime.spawn(supervise(tunnel, listener, status, backoff)));
    }

    /// Shows why a tunnel could not even be tried (its settings are incomplete, say).
    pub fn fail(&self, kind: super::TunnelKind, error: &super::TunnelError) {
        if let Some(old) = self.inner.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            old.abort();
        }
        self.inner.status.send_replace(TunnelStatus::Error {
            kind,
            reason: error.to_string(),
            retry_in_ms: None,
        });
    }

    pub fn stop(&self) {
        if let Some(old) = self.inner.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            old.abort();
        }
        self.inner.status.send_replace(TunnelStatus::Stopped);
    }

    pub fn status(&self) -> TunnelStatus {
        self.inner.status.borrow().clone()
    }

    /// Every status change from now on (the current one is marked seen).
    pub fn subscribe(&self) -> watch::Receiver<TunnelStatus> {
        let mut rx = self.inner.status.subscribe();
        rx.mark_unchanged();
        rx
    }
}

async fn supervise(
    tunnel: Box<dyn Tunnel>,
    listener: ListenerHandle,
    status: watch::Sender<TunnelStatus>,
    mut backoff: Backoff,
) {
    let kind = tunnel.kind();
    loop {
        let error = match tunnel.open(listener.clone()).await {
            Ok(open) => {
                tracing::debug!("{kind} tunnel online");
                status.send_replace(TunnelStatus::Online { kind, url: open.url });
                backoff.reset();
                open.closed.await
            }
            Err(err) => err,
        };
        if !error.is_transient() {
            tracing::debug!("{kind} tunnel failed: {error}");
            status.send_replace(TunnelStatus::Error {
                kind,
                reason: error.to_string(),
                retry_in_ms: None,
            });
            return;
        }
        let delay = backoff.next_delay();
        tracing::debug!("{kind} tunnel down: {error}; retrying in {delay:?}");
        status.send_replace(TunnelStatus::Error {
            kind,
            reason: error.to_string(),
            retry_in_ms: Some(delay.as_millis() as u64),
        });
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureConfig, Listener};
    use crate::registry::Registry;
    use crate::store::{Store, StoreOptions};
    use crate::tunnel::{TunnelError, TunnelKind};

    async fn listener(dir: &std::path::Path) -> ListenerHandle {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        std::fs::write(dir.join(crate::secrets::KEY_FILE), key).unwrap();
        let registry =
            Registry::open(Store::open(dir, StoreOptions::default()).unwrap(), dir).unwrap();
        let config = CaptureConfig { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
        Listener::bind(&config, &registry).await.unwrap().handle()
    }

    #[tokio::test]
    async fn every_status_change_is_published() {
        let dir = tempfile::tempdir().unwrap();
        let manager = TunnelManager::new(listener(dir.path()).await, Handle::current());
        let mut rx = manager.subscribe();
        manager.start(TunnelConfig::External { url: "https://hooks.example.com".into() });
        let online = TunnelStatus::Online {
            kind: TunnelKind::External,
            url: "https://hooks.example.com".into(),
        };
        tokio::time::timeout(Duration::from_secs(5), rx.wait_for(|s| *s == online))
            .await
            .unwrap()
            .unwrap();
        manager.stop();
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), TunnelStatus::Stopped);
        manager.fail(TunnelKind::Ngrok, &TunnelError::Config("no token".into()));
        assert!(matches!(manager.status(), TunnelStatus::Error { retry_in_ms: None, .. }));
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let delays: Vec<u64> = (0..7).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(1));
    }
}
