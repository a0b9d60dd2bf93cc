//! The Flovi API panel: settings, offices, schedules and the call history.

use hookscope_core::flovi_api::{
    CALLS_LISTED, FieldError, FloviCall, FloviOffice, FloviSettings, ScheduleRequest,
    ScheduleResult,
};
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
pub async fn get_flovi_settings(state: State<'_, AppState>) -> CommandResult<FloviSettings> {
    state.flovi(|f| f.settings()).await
}

#[tauri::command]
pub async fn set_flovi_base_url(
    state: State<'_, AppState>,
    base_url: String,
) -> CommandResult<FloviSettings> {
    state.flovi(move |f| f.set_base_url(&base_url)).await
}

/// An empty key removes the stored one.
#[tauri::command]
pub async fn set_flovi_api_key(
    state: State<'_, AppState>,
    key: String,
) -> CommandResult<FloviSettings> {
    state.flovi(move |f| f.set_api_key(&key)).await
}

#[tauri::command]
pub async fn list_flovi_offices(state: State<'_, AppState>) -> CommandResult<Vec<FloviOffice>> {
    Ok(state.flovi.offices().await?)
}

#[tauri::command]
pub async fn validate_flovi_schedule(
    state: State<'_, AppState>,
    request: ScheduleRequest,
) -> CommandResult<Vec<FieldError>> {
    state.flovi(move |f| f.field_errors(&request)).await
}

#[tauri::command]
pub async fn create_flovi_schedule(
    state: State<'_, AppState>,
    request: ScheduleRequest,
) -> CommandResult<ScheduleResult> {
    Ok(state.flovi.schedule(&request).await?)
}

#[tauri::command]
pub async fn list_flovi_calls(state: State<'_, AppState>) -> CommandResult<Vec<FloviCall>> {
    state.flovi(|f| f.calls(CALLS_LISTED)).await
}

#[tauri::command]
pub async fn rerun_flovi_call(state: State<'_, AppState>, id: i64) -> CommandResult<FloviCall> {
    Ok(state.flovi.rerun(id).await?)
}
