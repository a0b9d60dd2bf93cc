//! Handler check: the battery run against the user's own handler, its past runs and their
//! comparison.

use hookscope_core::app::{App, AppResult};
use hookscope_core::handler_check::{
    CheckComparison, HandlerCheckInput, HandlerCheckReport, RunSummary,
};
use tauri::State;

#[tauri::command]
pub async fn run_handler_check(
    app: State<'_, App>,
    input: HandlerCheckInput,
) -> AppResult<HandlerCheckReport> {
    app.run_handler_check(input).await
}

#[tauri::command]
pub async fn list_handler_check_runs(app: State<'_, App>) -> AppResult<Vec<RunSummary>> {
    app.list_handler_check_runs().await
}

#[tauri::command]
pub async fn get_handler_check_run(app: State<'_, App>, id: i64) -> AppResult<HandlerCheckReport> {
    app.get_handler_check_run(id).await
}

#[tauri::command]
pub async fn compare_handler_check_runs(
    app: State<'_, App>,
    before: i64,
    after: i64,
) -> AppResult<Vec<CheckComparison>> {
    app.compare_handler_check_runs(before, after).await
}
