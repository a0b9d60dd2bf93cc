//! The one command layer: every operation the window offers, as plain async functions over
//! serde types with one error shape. The desktop shell's Tauri commands and the browser UI's
//! HTTP API both call these and hold no logic of their own; each only adapts its transport.

mod deliveries;
mod endpoints;
mod error;
mod events;
mod flovi;
mod handler_check;
mod lab;
mod replay;
mod tunnel;

use crate::capture::{ListenerHandle, ServerInfo};
use crate::flovi_api::FloviClient;
use crate::registry::Registry;
use crate::store::Store;
use crate::tunnel::TunnelService;

pub use endpoints::ReverifyResult;
pub use error::{AppError, AppResult};
pub use events::{AppEvent, BATCH_EVENT, RESYNC_EVENT, STORE_CHANGED_EVENT, TUNNEL_STATUS_EVENT};

/// What every operation shares: the store, the endpoints and their secrets, the Flovi client,
/// the listener and the tunnel. Cheap to clone: every part is shared.
#[derive(Clone)]
pub struct App {
    store: Store,
    registry: Registry,
    server: ServerInfo,
    /// The running listener, told at once when endpoints change.
    listener: Option<ListenerHandle>,
    flovi: FloviClient,
    /// The public tunnel; none when the listener could not start.
    tunnel: Option<TunnelService>,
}

impl App {
    pub fn new(
        registry: Registry,
        server: ServerInfo,
        listener: Option<ListenerHandle>,
        flovi: FloviClient,
        tunnel: Option<TunnelService>,
    ) -> Self {
        Self { store: registry.store().clone(), registry, server, listener, flovi, tunnel }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn tunnel_service(&self) -> Option<&TunnelService> {
        self.tunnel.as_ref()
    }

    pub fn get_server_info(&self) -> ServerInfo {
        self.server.clone()
    }
}

/// Runs `f` on `owner` on a blocking thread, away from the async runtime's workers, and maps
/// both a lost task and `f`'s own error to the command error.
async fn blocking<S, T, E>(
    owner: S,
    f: impl FnOnce(&S) -> Result<T, E> + Send + 'static,
) -> AppResult<T>
where
    S: Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
    AppError: From<E>,
{
    tokio::task::spawn_blocking(move || f(&owner))
        .await
        .map_err(|e| AppError::Task(e.to_string()))?
        .map_err(AppError::from)
}
