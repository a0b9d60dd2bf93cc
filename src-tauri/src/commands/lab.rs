//! Response lab: what an endpoint answers, where it forwards, and what became of a delivery's
//! forwards; export and import of deliveries.

use std::path::PathBuf;

use hookscope_core::export::{self, ExportFormat, ImportReport};
use hookscope_core::store::rules::{self, DeliveryLab, EndpointLab, ForwardConfig, ResponseRule};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

#[tauri::command]
pub async fn get_endpoint_lab(state: State<'_, AppState>, id: i64) -> CommandResult<EndpointLab> {
    state.registry(move |r| r.lab(id)).await
}

#[tauri::command]
pub async fn set_endpoint_response(
    state: State<'_, AppState>,
    id: i64,
    rule: Option<ResponseRule>,
) -> CommandResult<EndpointLab> {
    state
        .change_registry(move |r| r.set_response_rule(id, rule.as_ref()).and_then(|()| r.lab(id)))
        .await
}

#[tauri::command]
pub async fn set_endpoint_forward(
    state: State<'_, AppState>,
    id: i64,
    forward: Option<ForwardConfig>,
) -> CommandResult<EndpointLab> {
    state
        .change_registry(move |r| r.set_forward(id, forward.as_ref()).and_then(|()| r.lab(id)))
        .await
}

#[tauri::command]
pub async fn get_delivery_lab(state: State<'_, AppState>, id: i64) -> CommandResult<DeliveryLab> {
    state.read(move |s| s.read(|c| rules::delivery_lab(c, id))).await
}

/// The deliveries (all when `ids` is empty) as text in `format`, for the clipboard.
#[tauri::command]
pub async fn export_deliveries(
    state: State<'_, AppState>,
    ids: Vec<i64>,
    format: ExportFormat,
) -> CommandResult<String> {
    let store = state.store.clone();
    tauri::async_runtime::spawn_blocking(move || export::export(&store, &ids, format))
        .await
        .map_err(|e| CommandError::Task(e.to_string()))?
        .map_err(CommandError::from)
}

/// Writes the export to a file the user named; returns how many bytes were written.
#[tauri::command]
pub async fn export_deliveries_to_file(
    state: State<'_, AppState>,
    ids: Vec<i64>,
    format: ExportFormat,
    path: PathBuf,
) -> CommandResult<u64> {
    let store = state.store.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let text = export::export(&store, &ids, format)?;
        // Owner-only, like everything else Hookscope writes: exports hold captured payloads.
        hookscope_core::paths::write_private_file(&path, &text)?;
        Ok::<_, export::ExportError>(text.len() as u64)
    })
    .await
    .map_err(|e| CommandError::Task(e.to_string()))?
    .map_err(CommandError::from)
}

/// Imported deliveries reach the window through the live feed, like captures.
#[tauri::command]
pub async fn import_har_file(
    state: State<'_, AppState>,
    path: PathBuf,
) -> CommandResult<ImportReport> {
    let bytes = tokio_read(path.clone()).await?;
    let source = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let report =
        export::import_har(&state.registry, &bytes, source.as_deref().unwrap_or("HAR file"))
            .await?;
    Ok(report)
}

async fn tokio_read(path: PathBuf) -> CommandResult<Vec<u8>> {
    tauri::async_runtime::spawn_blocking(move || std::fs::read(&path))
        .await
        .map_err(|e| CommandError::Task(e.to_string()))?
        .map_err(|e| CommandError::from(export::ExportError::Io(e)))
}
