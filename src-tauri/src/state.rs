//! What the commands share: the store, the Flovi client and where the listener is.

use hookscope_core::capture::{ListenerHandle, ServerInfo};
use hookscope_core::flovi_api::{FloviClient, FloviError};
use hookscope_core::registry::{Registry, RegistryError};
use hookscope_core::replay::ReplayError;
use hookscope_core::store::Store;
use hookscope_core::tunnel::{TunnelError, TunnelService};

use crate::error::{CommandError, CommandResult};

pub struct AppState {
    pub store: Store,
    pub registry: Registry,
    pub server: ServerInfo,
    /// The running listener, told at once when endpoints change.
    pub listener: Option<ListenerHandle>,
    pub flovi: FloviClient,
    /// The public tunnel; none when the listener could not start.
    pub tunnel: Option<TunnelService>,
}

impl AppState {
    /// Runs a blocking store read off the async runtime's worker threads.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, hookscope_core::store::StoreError> + Send + 'static,
    ) -> CommandResult<T> {
        let store = self.store.clone();
        tauri::async_runtime::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| CommandError::Task(e.to_string()))?
            .map_err(CommandError::from)
    }

    /// Runs a blocking registry call (endpoints, secrets) off the async runtime's workers.
    pub async fn registry<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
    ) -> CommandResult<T> {
        let registry = self.registry.clone();
        tauri::async_runtime::spawn_blocking(move || f(&registry))
            .await
            .map_err(|e| CommandError::Task(e.to_string()))?
            .map_err(CommandError::from)
    }

    /// Like [`Self::registry`] for changes, which the listener then picks up at once.
    pub async fn change_registry<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
    ) -> CommandResult<T> {
        let result = self.registry(f).await;
        if let Some(listener) = &self.listener
            && let Err(err) = listener.reload_endpoints()
        {
            tracing::warn!("the listener keeps its old endpoints: {err}");
        }
        result
    }

    /// Runs a blocking replay-side call (drafts, history, bodies) off the async runtime's
    /// workers.
    pub async fn replay<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, ReplayError> + Send + 'static,
    ) -> CommandResult<T> {
        let registry = self.registry.clone();
        tauri::async_runtime::spawn_blocking(move || f(&registry))
            .await
            .map_err(|e| CommandError::Task(e.to_string()))?
            .map_err(CommandError::from)
    }

    /// Runs a blocking Flovi client call (settings, validation, history) off the async
    /// runtime's workers.
    pub async fn flovi<T: Send + 'static>(
        &self,
        f: impl FnOnce(&FloviClient) -> Result<T, FloviError> + Send + 'static,
    ) -> CommandResult<T> {
        let flovi = self.flovi.clone();
        tauri::async_runtime::spawn_blocking(move || f(&flovi))
            .await
            .map_err(|e| CommandError::Task(e.to_string()))?
            .map_err(CommandError::from)
    }

    /// Runs a blocking tunnel call (settings, start, stop) off the async runtime's workers.
    pub async fn tunnel<T: Send + 'static>(
        &self,
        f: impl FnOnce(&TunnelService) -> Result<T, TunnelError> + Send + 'static,
    ) -> CommandResult<T> {
        let tunnel = self.tunnel.clone().ok_or(CommandError::NoListener)?;
        tauri::async_runtime::spawn_blocking(move || f(&tunnel))
            .await
            .map_err(|e| CommandError::Task(e.to_string()))?
            .map_err(CommandError::from)
    }
}
