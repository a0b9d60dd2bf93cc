//! The public tunnel in the top bar: settings, start, stop and status.

use hookscope_core::app::{App, AppResult};
use hookscope_core::tunnel::{TunnelKind, TunnelSettings, TunnelSettingsInput, TunnelStatus};
use tauri::State;

#[tauri::command]
pub fn get_tunnel_status(app: State<'_, App>) -> TunnelStatus {
    app.get_tunnel_status()
}

#[tauri::command]
pub async fn get_tunnel_settings(app: State<'_, App>) -> AppResult<TunnelSettings> {
    app.get_tunnel_settings().await
}

/// Secrets in `input`: none keeps the stored one, empty removes it. They never come back.
#[tauri::command]
pub async fn save_tunnel_settings(
    app: State<'_, App>,
    input: TunnelSettingsInput,
) -> AppResult<TunnelSettings> {
    app.save_tunnel_settings(input).await
}

#[tauri::command]
pub async fn start_tunnel(app: State<'_, App>, kind: TunnelKind) -> AppResult<TunnelStatus> {
    app.start_tunnel(kind).await
}

#[tauri::command]
pub async fn stop_tunnel(app: State<'_, App>) -> AppResult<TunnelStatus> {
    app.stop_tunnel().await
}
