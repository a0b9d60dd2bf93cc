//! The Flovi API panel: settings, offices, schedules and the call history.

use hookscope_core::app::{App, AppResult};
use hookscope_core::flovi_api::{
    FieldError, FloviCall, FloviOffice, FloviSettings, ScheduleRequest, ScheduleResult,
};
use tauri::State;

#[tauri::command]
pub async fn get_flovi_settings(app: State<'_, App>) -> AppResult<FloviSettings> {
    app.get_flovi_settings().await
}

#[tauri::command]
pub async fn set_flovi_base_url(app: State<'_, App>, base_url: String) -> AppResult<FloviSettings> {
    app.set_flovi_base_url(base_url).await
}

/// An empty key removes the stored one.
#[tauri::command]
pub async fn set_flovi_api_key(app: State<'_, App>, key: String) -> AppResult<FloviSettings> {
    app.set_flovi_api_key(key).await
}

#[tauri::command]
pub async fn list_flovi_offices(app: State<'_, App>) -> AppResult<Vec<FloviOffice>> {
    app.list_flovi_offices().await
}

#[tauri::command]
pub async fn validate_flovi_schedule(
    app: State<'_, App>,
    request: ScheduleRequest,
) -> AppResult<Vec<FieldError>> {
    app.validate_flovi_schedule(request).await
}

#[tauri::command]
pub async fn create_flovi_schedule(
    app: State<'_, App>,
    request: ScheduleRequest,
) -> AppResult<ScheduleResult> {
    app.create_flovi_schedule(request).await
}

#[tauri::command]
pub async fn list_flovi_calls(app: State<'_, App>) -> AppResult<Vec<FloviCall>> {
    app.list_flovi_calls().await
}

#[tauri::command]
pub async fn rerun_flovi_call(app: State<'_, App>, id: i64) -> AppResult<FloviCall> {
    app.rerun_flovi_call(id).await
}
