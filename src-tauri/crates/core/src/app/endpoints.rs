//! Endpoint settings and their secrets. Secrets go in and, for the settings dialog's reveal
//! only, come back one at a time; no listing ever carries them.

use serde::Serialize;
use ts_rs::TS;

use crate::registry::{Registry, RegistryError, SecretSlot};
use crate::secrets::KeySource;
use crate::store::{EndpointInput, EndpointSettings};

use super::{App, AppResult, blocking};

/// How many stored deliveries were verified again with the new secrets.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReverifyResult {
    #[ts(type = "number")]
    pub reverified: u64,
}

impl App {
    /// Runs a blocking registry call (endpoints, secrets) off the async runtime's workers.
    pub(super) async fn with_registry<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
    ) -> AppResult<T> {
        blocking(self.registry.clone(), f).await
    }

    /// Like [`Self::with_registry`] for changes, which the listener then picks up at once.
    pub(super) async fn change_registry<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
    ) -> AppResult<T> {
        let result = self.with_registry(f).await;
        if let Some(listener) = &self.listener
            && let Err(err) = listener.reload_endpoints()
        {
            tracing::warn!("the listener keeps its old endpoints: {err}");
        }
        result
    }

    pub async fn list_endpoint_settings(&self) -> AppResult<Vec<EndpointSettings>> {
        self.with_registry(|r| r.settings()).await
    }

    pub async fn save_endpoint(&self, endpoint: EndpointInput) -> AppResult<EndpointSettings> {
        self.change_registry(move |r| r.save(&endpoint)).await
    }

    pub async fn delete_endpoint(&self, id: i64) -> AppResult<()> {
        self.change_registry(move |r| r.delete(id)).await
    }

    /// Secrets in order of preference: current first, then previous.
    pub async fn set_endpoint_secrets(
        &self,
        id: i64,
        secrets: Vec<SecretSlot>,
    ) -> AppResult<ReverifyResult> {
        let reverified = self.change_registry(move |r| r.update_secrets(id, &secrets)).await?;
        Ok(ReverifyResult { reverified })
    }

    /// One stored secret in plain text, for the settings dialog's reveal button only.
    pub async fn reveal_endpoint_secret(&self, id: i64, index: usize) -> AppResult<String> {
        self.with_registry(move |r| r.reveal(id, index)).await
    }

    pub fn get_secret_storage(&self) -> KeySource {
        self.registry.key_source().clone()
    }
}
