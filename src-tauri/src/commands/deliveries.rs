use hookscope_core::analysis;
use hookscope_core::store::responses::DeliveryResponses;
use hookscope_core::store::{DeliveryDetail, DeliveryGroup, DeliveryQuery, DeliverySummary};
use tauri::State;
use tauri::ipc::Response;

use crate::error::CommandResult;
use crate::state::AppState;

#[tauri::command]
pub async fn list_deliveries(
    state: State<'_, AppState>,
    query: DeliveryQuery,
) -> CommandResult<Vec<DeliverySummary>> {
    state.read(move |s| s.list(&query)).await
}

#[tauri::command]
pub async fn get_delivery(state: State<'_, AppState>, id: i64) -> CommandResult<DeliveryDetail> {
    state.read(move |s| s.detail(id)).await
}

/// The body's exact bytes, sent as a binary IPC response (an ArrayBuffer in the UI).
#[tauri::command]
pub async fn get_delivery_body(state: State<'_, AppState>, id: i64) -> CommandResult<Response> {
    state.read(move |s| s.body(id)).await.map(Response::new)
}

/// The answer the delivery's sender got and, in forward mode, what the target answered.
#[tauri::command]
pub async fn get_delivery_responses(
    state: State<'_, AppState>,
    id: i64,
) -> CommandResult<DeliveryResponses> {
    state.read(move |s| s.responses(id)).await
}

#[tauri::command]
pub async fn list_event_types(state: State<'_, AppState>) -> CommandResult<Vec<String>> {
    state.read(|s| s.event_types()).await
}

#[tauri::command]
pub async fn get_delivery_group(
    state: State<'_, AppState>,
    id: i64,
) -> CommandResult<DeliveryGroup> {
    state.read(move |s| analysis::delivery_group(s, id)).await
}
