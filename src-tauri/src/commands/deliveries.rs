use hookscope_core::app::{App, AppResult};
use hookscope_core::store::responses::DeliveryResponses;
use hookscope_core::store::{DeliveryDetail, DeliveryGroup, DeliveryQuery, DeliverySummary};
use tauri::State;
use tauri::ipc::Response;

#[tauri::command]
pub async fn list_deliveries(
    app: State<'_, App>,
    query: DeliveryQuery,
) -> AppResult<Vec<DeliverySummary>> {
    app.list_deliveries(query).await
}

#[tauri::command]
pub async fn get_delivery(app: State<'_, App>, id: i64) -> AppResult<DeliveryDetail> {
    app.get_delivery(id).await
}

/// The body's exact bytes, sent as a binary IPC response (an ArrayBuffer in the UI).
#[tauri::command]
pub async fn get_delivery_body(app: State<'_, App>, id: i64) -> AppResult<Response> {
    app.get_delivery_body(id).await.map(Response::new)
}

#[tauri::command]
pub async fn get_delivery_responses(app: State<'_, App>, id: i64) -> AppResult<DeliveryResponses> {
    app.get_delivery_responses(id).await
}

#[tauri::command]
pub async fn list_event_types(app: State<'_, App>) -> AppResult<Vec<String>> {
    app.list_event_types().await
}

#[tauri::command]
pub async fn get_delivery_group(app: State<'_, App>, id: i64) -> AppResult<DeliveryGroup> {
    app.get_delivery_group(id).await
}
