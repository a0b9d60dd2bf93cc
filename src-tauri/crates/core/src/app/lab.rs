//! Response lab: what an endpoint answers, where it forwards, and what became of a delivery's
//! forwards; export and import of deliveries.

use std::path::PathBuf;

use crate::export::{self, ExportError, ExportFormat, ImportReport};
use crate::store::rules::{self, DeliveryLab, EndpointLab, ForwardConfig, ResponseRule};

use super::{App, AppError, AppResult, blocking};

impl App {
    pub async fn get_endpoint_lab(&self, id: i64) -> AppResult<EndpointLab> {
        self.with_registry(move |r| r.lab(id)).await
    }

    pub async fn set_endpoint_response(
        &self,
        id: i64,
        rule: Option<ResponseRule>,
    ) -> AppResult<EndpointLab> {
        self.change_registry(move |r| {
            r.set_response_rule(id, rule.as_ref()).and_then(|()| r.lab(id))
        })
        .await
    }

    pub async fn set_endpoint_forward(
        &self,
        id: i64,
        forward: Option<ForwardConfig>,
    ) -> AppResult<EndpointLab> {
        self.change_registry(move |r| r.set_forward(id, forward.as_ref()).and_then(|()| r.lab(id)))
            .await
    }

    pub async fn get_delivery_lab(&self, id: i64) -> AppResult<DeliveryLab> {
        self.read(move |s| s.read(|c| rules::delivery_lab(c, id))).await
    }

    /// The deliveries (all when `ids` is empty) as text in `format`: for the clipboard, or a
    /// download in the browser.
    pub async fn export_deliveries(
        &self,
        ids: Vec<i64>,
        format: ExportFormat,
    ) -> AppResult<String> {
        blocking(self.store.clone(), move |store| export::export(store, &ids, format)).await
    }

    /// Writes the export to a file the user named on this machine; returns the bytes written.
    pub async fn export_deliveries_to_file(
        &self,
        ids: Vec<i64>,
        format: ExportFormat,
        path: PathBuf,
    ) -> AppResult<u64> {
        blocking(self.store.clone(), move |store| {
            let text = export::export(store, &ids, format)?;
            // Owner-only, like everything else Hookscope writes: exports hold captured payloads.
            crate::paths::write_private_file(&path, &text)?;
            Ok::<_, ExportError>(text.len() as u64)
        })
        .await
    }

    /// Imports a HAR file on this machine. Imported deliveries reach the window through the
    /// live feed, like captures.
    pub async fn import_har_file(&self, path: PathBuf) -> AppResult<ImportReport> {
        let read = path.clone();
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(&read))
            .await
            .map_err(|e| AppError::Task(e.to_string()))?
            .map_err(|e| AppError::from(ExportError::Io(e)))?;
        let source = path.file_name().map(|n| n.to_string_lossy().into_owned());
        self.import_har(bytes, source.unwrap_or_else(|| "HAR file".to_owned())).await
    }

    /// Imports a HAR the caller holds (the browser's upload); `source` names it in the notes.
    pub async fn import_har(&self, bytes: Vec<u8>, source: String) -> AppResult<ImportReport> {
        Ok(export::import_har(&self.registry, &bytes, &source).await?)
    }
}
