use hookscope_core::capture::ServerInfo;
use hookscope_core::store::{Endpoint, EndpointCount};
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
pub fn get_server_info(state: State<'_, AppState>) -> ServerInfo {
    state.server.clone()
}

#[tauri::command]
pub async fn list_endpoints(state: State<'_, AppState>) -> CommandResult<Vec<Endpoint>> {
    state.read(|s| s.endpoints()).await
}

#[tauri::command]
pub async fn list_endpoint_counts(state: State<'_, AppState>) -> CommandResult<Vec<EndpointCount>> {
    state.read(|s| s.endpoint_counts()).await
}
