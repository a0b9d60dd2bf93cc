//! Handler check: the battery run against the user's own handler, its past runs and their
//! comparison. Secrets stay in the store: the window names the endpoint whose secrets sign.

use hookscope_core::handler_check::{
    self, CheckComparison, HandlerCheckInput, HandlerCheckReport, RunSummary,
};
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

/// Past runs listed in the window.
const RUNS_LISTED: u32 = 50;

/// Async, so a run of many requests (and a retry simulation) never holds the UI thread.
#[tauri::command]
pub async fn run_handler_check(
    state: State<'_, AppState>,
    input: HandlerCheckInput,
) -> CommandResult<HandlerCheckReport> {
    let spec = state.handler_check(move |r| handler_check::input::spec(r, &input)).await?;
    Ok(handler_check::run(&state.registry, &spec).await?)
}

#[tauri::command]
pub async fn list_handler_check_runs(state: State<'_, AppState>) -> CommandResult<Vec<RunSummary>> {
    state.handler_check(|r| handler_check::list_runs(r.store(), RUNS_LISTED)).await
}

#[tauri::command]
pub async fn get_handler_check_run(
    state: State<'_, AppState>,
    id: i64,
) -> CommandResult<HandlerCheckReport> {
    state.handler_check(move |r| handler_check::get_run(r.store(), id)).await
}

/// Each check of either run with its outcome in both; `before` is the older run.
#[tauri::command]
pub async fn compare_handler_check_runs(
    state: State<'_, AppState>,
    before: i64,
    after: i64,
) -> CommandResult<Vec<CheckComparison>> {
    state
        .handler_check(move |r| {
            let (before, after) = (
                handler_check::get_run(r.store(), before)?,
                handler_check::get_run(r.store(), after)?,
            );
            Ok(handler_check::compare_runs(&before, &after))
        })
        .await
}
