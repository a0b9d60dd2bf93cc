use hookscope_core::app::{App, AppResult};
use hookscope_core::capture::ServerInfo;
use hookscope_core::store::{Endpoint, EndpointCount};
use tauri::State;

#[tauri::command]
pub fn get_server_info(app: State<'_, App>) -> ServerInfo {
    app.get_server_info()
}

#[tauri::command]
pub async fn list_endpoints(app: State<'_, App>) -> AppResult<Vec<Endpoint>> {
    app.list_endpoints().await
}

#[tauri::command]
pub async fn list_endpoint_counts(app: State<'_, App>) -> AppResult<Vec<EndpointCount>> {
    app.list_endpoint_counts().await
}
