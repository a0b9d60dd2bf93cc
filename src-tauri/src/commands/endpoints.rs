use hookscope_core::registry::SecretSlot;
use hookscope_core::secrets::KeySource;
use hookscope_core::store::{EndpointInput, EndpointSettings};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
pub async fn list_endpoint_settings(
    state: State<'_, AppState>,
) -> CommandResult<Vec<EndpointSettings>> {
    state.registry(|r| r.settings()).await
}

#[tauri::command]
pub async fn save_endpoint(
    state: State<'_, AppState>,
    endpoint: EndpointInput,
) -> CommandResult<EndpointSettings> {
    let saved = state.change_registry(move |r| r.save(&endpoint)).await?;
    Ok(saved)
}

#[tauri::command]
pub async fn delete_endpoint(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    state.change_registry(move |r| r.delete(id)).await?;
    Ok(())
}

/// How many stored deliveries were verified again with the new secrets.
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReverifyResult {
    #[ts(type = "number")]
    pub reverified: u64,
}

#[tauri::command]
pub async fn set_endpoint_secrets(
    state: State<'_, AppState>,
    id: i64,
    secrets: Vec<SecretSlot>,
) -> CommandResult<ReverifyResult> {
    let reverified = state.change_registry(move |r| r.update_secrets(id, &secrets)).await?;
    Ok(ReverifyResult { reverified })
}

#[tauri::command]
pub async fn reveal_endpoint_secret(
    state: State<'_, AppState>,
    id: i64,
    index: usize,
) -> CommandResult<String> {
    state.registry(move |r| r.reveal(id, index)).await
}

#[tauri::command]
pub fn get_secret_storage(state: State<'_, AppState>) -> KeySource {
    state.registry.key_source().clone()
}
