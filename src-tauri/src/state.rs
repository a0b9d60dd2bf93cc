//! What the commands share: the store, the Flovi client and where the listener is.

use hookscope_core::capture::{ListenerHandle, ServerInfo};
use hookscope_core::flovi_api::{FloviClient, FloviError};
use hookscope_core::handler_check::HandlerCheckError;
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
        blocking(self.store.clone(), f).await
    }

    /// Runs a blocking registry call (endpoints, secrets) off the async runtime's workers.
    pub async fn registry<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
    ) -> CommandResult<T> {
        blocking(self.registry.clone(), f).await
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
        blocking(self.registry.clone(), f).await
    }

    /// Runs a blocking handler-check call (building a run, past runs) off the async runtime's
    /// workers.
    pub async fn handler_check<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, HandlerCheckError> + Send + 'static,
    ) -> CommandResult<T> {
        blocking(self.registry.clone(), f).await
    }

    /// Runs a blocking Flovi client call (settings, validation, history) off the async
    /// runtime's workers.
    pub async fn flovi<T: Send + 'static>(
        &self,
        f: impl FnOnce(&FloviClient) -> Result<T, FloviError> + Send + 'static,
    ) -> CommandResult<T> {
        blocking(self.flovi.clone(), f).await
    }

    /// Runs a blocking tunnel call (settings, start, stop) off the async runtime's workers.
    pub async fn tunnel<T: Send + 'static>(
        &self,
        f: impl FnOnce(&TunnelService) -> Result<T, TunnelError> + Send + 'static,
    ) -> CommandResult<T> {
        blocking(self.tunnel.clone().ok_or(CommandError::NoListener)?, f).await
    }
}

/// Runs `f` on `owner` on a blocking thread, away from the async runtime's workers, and maps
/// both a lost task and `f`'s own error to the command error.
async fn blocking<S, T, E>(
    owner: S,
    f: impl FnOnce(&S) -> Result<T, E> + Send + 'static,
) -> CommandResult<T>
where
    S: Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
    CommandError: From<E>,
{
    tauri::async_runtime::spawn_blocking(move || f(&owner))
        .await
        .map_err(|e| CommandError::Task(e.to_string()))?
        .map_err(CommandError::from)
}
