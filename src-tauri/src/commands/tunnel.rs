//! The public tunnel in the top bar: settings, start, stop and status.

use hookscope_core::tunnel::{TunnelKind, TunnelSettings, TunnelSettingsInput, TunnelStatus};
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
pub fn get_tunnel_status(state: State<'_, AppState>) -> TunnelStatus {
    state.tunnel.as_ref().map_or(TunnelStatus::Stopped, |t| t.manager().status())
}

#[tauri::command]
pub async fn get_tunnel_settings(state: State<'_, AppState>) -> CommandResult<TunnelSettings> {
    state.tunnel(|t| t.settings()).await
}

/// Secrets in `input`: none keeps the stored one, empty removes it. They never come back.
#[tauri::command]
pub async fn save_tunnel_settings(
    state: State<'_, AppState>,
    input: TunnelSettingsInput,
) -> CommandResult<TunnelSettings> {
    state.tunnel(move |t| t.save_settings(&input)).await
}

#[tauri::command]
pub async fn start_tunnel(
    state: State<'_, AppState>,
    kind: TunnelKind,
) -> CommandResult<TunnelStatus> {
    state.tunnel(move |t| t.start(kind)).await
}

#[tauri::command]
pub async fn stop_tunnel(state: State<'_, AppState>) -> CommandResult<TunnelStatus> {
    state.tunnel(|t| t.stop()).await
}
