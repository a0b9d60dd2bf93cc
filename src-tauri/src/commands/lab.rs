//! Response lab: what an endpoint answers, where it forwards, and what became of a delivery's
//! forwards; export and import of deliveries.

use std::path::PathBuf;

use hookscope_core::app::{App, AppResult};
use hookscope_core::export::{ExportFormat, ImportReport};
use hookscope_core::store::rules::{DeliveryLab, EndpointLab, ForwardConfig, ResponseRule};
use tauri::State;

#[tauri::command]
pub async fn get_endpoint_lab(app: State<'_, App>, id: i64) -> AppResult<EndpointLab> {
    app.get_endpoint_lab(id).await
}

#[tauri::command]
pub async fn set_endpoint_response(
    app: State<'_, App>,
    id: i64,
    rule: Option<ResponseRule>,
) -> AppResult<EndpointLab> {
    app.set_endpoint_response(id, rule).await
}

#[tauri::command]
pub async fn set_endpoint_forward(
    app: State<'_, App>,
    id: i64,
    forward: Option<ForwardConfig>,
) -> AppResult<EndpointLab> {
    app.set_endpoint_forward(id, forward).await
}

#[tauri::command]
pub async fn get_delivery_lab(app: State<'_, App>, id: i64) -> AppResult<DeliveryLab> {
    app.get_delivery_lab(id).await
}

#[tauri::command]
pub async fn export_deliveries(
    app: State<'_, App>,
    ids: Vec<i64>,
    format: ExportFormat,
) -> AppResult<String> {
    app.export_deliveries(ids, format).await
}

#[tauri::command]
pub async fn export_deliveries_to_file(
    app: State<'_, App>,
    ids: Vec<i64>,
    format: ExportFormat,
    path: PathBuf,
) -> AppResult<u64> {
    app.export_deliveries_to_file(ids, format, path).await
}

#[tauri::command]
pub async fn import_har_file(app: State<'_, App>, path: PathBuf) -> AppResult<ImportReport> {
    app.import_har_file(path).await
}
