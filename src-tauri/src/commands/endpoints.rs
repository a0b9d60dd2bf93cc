use hookscope_core::app::{App, AppResult, ReverifyResult};
use hookscope_core::registry::SecretSlot;
use hookscope_core::secrets::KeySource;
use hookscope_core::store::{EndpointInput, EndpointSettings};
use tauri::State;

#[tauri::command]
pub async fn list_endpoint_settings(app: State<'_, App>) -> AppResult<Vec<EndpointSettings>> {
    app.list_endpoint_settings().await
}

#[tauri::command]
pub async fn save_endpoint(
    app: State<'_, App>,
    endpoint: EndpointInput,
) -> AppResult<EndpointSettings> {
    app.save_endpoint(endpoint).await
}

#[tauri::command]
pub async fn delete_endpoint(app: State<'_, App>, id: i64) -> AppResult<()> {
    app.delete_endpoint(id).await
}

#[tauri::command]
pub async fn set_endpoint_secrets(
    app: State<'_, App>,
    id: i64,
    secrets: Vec<SecretSlot>,
) -> AppResult<ReverifyResult> {
    app.set_endpoint_secrets(id, secrets).await
}

#[tauri::command]
pub async fn reveal_endpoint_secret(
    app: State<'_, App>,
    id: i64,
    index: usize,
) -> AppResult<String> {
    app.reveal_endpoint_secret(id, index).await
}

#[tauri::command]
pub fn get_secret_storage(app: State<'_, App>) -> KeySource {
    app.get_secret_storage()
}
