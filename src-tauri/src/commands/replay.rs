//! Replay, samples and diff: the delivery detail's Replay tab and the Send sample dialog.

use hookscope_core::outbound::SendOptions;
use hookscope_core::replay::diff::{self, DiffSide, RequestDiff};
use hookscope_core::replay::form::{
    self, OutboundBodies, ReplayDraft, ReplayRequest, SampleRequest,
};
use hookscope_core::replay::sample::{self, SampleInfo};
use hookscope_core::replay::{self, ReplayOptions, ReplayResult};
use hookscope_core::store::outbound::OutboundRecord;
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

/// Past replays listed per delivery.
const REPLAYS_LISTED: u32 = 100;

#[tauri::command]
pub async fn get_replay_draft(state: State<'_, AppState>, id: i64) -> CommandResult<ReplayDraft> {
    state.replay(move |r| form::draft(r, id)).await
}

#[tauri::command]
pub async fn replay_delivery(
    state: State<'_, AppState>,
    request: ReplayRequest,
) -> CommandResult<ReplayResult> {
    let (spec, send) = state.replay(move |r| form::spec(r.store(), &request)).await?;
    Ok(replay::replay(&state.registry, &spec, send).await?)
}

/// Several deliveries, as captured, to one target, in the order given.
#[tauri::command]
pub async fn replay_deliveries(
    state: State<'_, AppState>,
    ids: Vec<i64>,
    url: String,
    options: ReplayOptions,
) -> CommandResult<Vec<ReplayResult>> {
    let send = SendOptions::default();
    Ok(replay::replay_in_order(&state.registry, &ids, &url, options, send).await?)
}

#[tauri::command]
pub async fn list_replays(
    state: State<'_, AppState>,
    id: i64,
) -> CommandResult<Vec<OutboundRecord>> {
    state.replay(move |r| replay::list_replays(r.store(), Some(id), REPLAYS_LISTED)).await
}

/// One recorded request and its answer, without bodies: a handler check's row opens it by id.
#[tauri::command]
pub async fn get_outbound_record(
    state: State<'_, AppState>,
    id: i64,
) -> CommandResult<OutboundRecord> {
    state.replay(move |r| form::record(r.store(), id)).await
}

#[tauri::command]
pub async fn get_outbound_bodies(
    state: State<'_, AppState>,
    id: i64,
) -> CommandResult<OutboundBodies> {
    state.replay(move |r| form::bodies(r.store(), id)).await
}

#[tauri::command]
pub async fn diff_deliveries(
    state: State<'_, AppState>,
    a: DiffSide,
    b: DiffSide,
) -> CommandResult<RequestDiff> {
    state.read(move |s| diff::diff_stored(s, a, b)).await
}

#[tauri::command]
pub fn list_samples() -> Vec<SampleInfo> {
    sample::list()
}

#[tauri::command]
pub async fn send_sample(
    state: State<'_, AppState>,
    request: SampleRequest,
) -> CommandResult<ReplayResult> {
    Ok(sample::send_with_endpoint_secret(
        &state.registry,
        request.provider,
        &request.event,
        &request.url,
        request.endpoint_id,
        SendOptions::default(),
    )
    .await?)
}
