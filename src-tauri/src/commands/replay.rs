//! Replay, samples and diff: the delivery detail's Replay tab and the Send sample dialog.

use hookscope_core::app::{App, AppResult};
use hookscope_core::replay::diff::{DiffSide, RequestDiff};
use hookscope_core::replay::form::{OutboundBodies, ReplayDraft, ReplayRequest, SampleRequest};
use hookscope_core::replay::sample::SampleInfo;
use hookscope_core::replay::{ReplayOptions, ReplayResult};
use hookscope_core::store::outbound::OutboundRecord;
use tauri::State;

#[tauri::command]
pub async fn get_replay_draft(app: State<'_, App>, id: i64) -> AppResult<ReplayDraft> {
    app.get_replay_draft(id).await
}

#[tauri::command]
pub async fn replay_delivery(
    app: State<'_, App>,
    request: ReplayRequest,
) -> AppResult<ReplayResult> {
    app.replay_delivery(request).await
}

#[tauri::command]
pub async fn replay_deliveries(
    app: State<'_, App>,
    ids: Vec<i64>,
    url: String,
    options: ReplayOptions,
) -> AppResult<Vec<ReplayResult>> {
    app.replay_deliveries(ids, url, options).await
}

#[tauri::command]
pub async fn list_replays(app: State<'_, App>, id: i64) -> AppResult<Vec<OutboundRecord>> {
    app.list_replays(id).await
}

#[tauri::command]
pub async fn get_outbound_record(app: State<'_, App>, id: i64) -> AppResult<OutboundRecord> {
    app.get_outbound_record(id).await
}

#[tauri::command]
pub async fn get_outbound_bodies(app: State<'_, App>, id: i64) -> AppResult<OutboundBodies> {
    app.get_outbound_bodies(id).await
}

#[tauri::command]
pub async fn diff_deliveries(
    app: State<'_, App>,
    a: DiffSide,
    b: DiffSide,
) -> AppResult<RequestDiff> {
    app.diff_deliveries(a, b).await
}

#[tauri::command]
pub fn list_samples(app: State<'_, App>) -> Vec<SampleInfo> {
    app.list_samples()
}

#[tauri::command]
pub async fn send_sample(app: State<'_, App>, request: SampleRequest) -> AppResult<ReplayResult> {
    app.send_sample(request).await
}
