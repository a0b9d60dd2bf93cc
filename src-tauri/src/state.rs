//! What the commands share: the store and where the listener is.

use hookscope_core::capture::ServerInfo;
use hookscope_core::store::Store;

use crate::error::{CommandError, CommandResult};

pub struct AppState {
    pub store: Store,
    pub server: ServerInfo,
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
}
