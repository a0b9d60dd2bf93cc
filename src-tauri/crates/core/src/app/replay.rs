//! Replay, samples and diff: the delivery detail's Replay tab and the Send sample dialog.

use crate::outbound::SendOptions;
use crate::registry::Registry;
use crate::replay::diff::{self, DiffSide, RequestDiff};
use crate::replay::form::{self, OutboundBodies, ReplayDraft, ReplayRequest, SampleRequest};
use crate::replay::sample::{self, SampleInfo};
use crate::replay::{self, ReplayError, ReplayOptions, ReplayResult};
use crate::store::outbound::OutboundRecord;

use super::{App, AppResult, blocking};

/// Past replays listed per delivery.
const REPLAYS_LISTED: u32 = 100;

impl App {
    /// Runs a blocking replay-side call (drafts, history, bodies) off the async runtime's
    /// workers.
    async fn with_replay<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Registry) -> Result<T, ReplayError> + Send + 'static,
    ) -> AppResult<T> {
        blocking(self.registry.clone(), f).await
    }

    pub async fn get_replay_draft(&self, id: i64) -> AppResult<ReplayDraft> {
        self.with_replay(move |r| form::draft(r, id)).await
    }

    pub async fn replay_delivery(&self, request: ReplayRequest) -> AppResult<ReplayResult> {
        let (spec, send) = self.with_replay(move |r| form::spec(r.store(), &request)).await?;
        Ok(replay::replay(&self.registry, &spec, send).await?)
    }

    /// Several deliveries, as captured, to one target, in the order given.
    pub async fn replay_deliveries(
        &self,
        ids: Vec<i64>,
        url: String,
        options: ReplayOptions,
    ) -> AppResult<Vec<ReplayResult>> {
        let send = SendOptions::default();
        Ok(replay::replay_in_order(&self.registry, &ids, &url, options, send).await?)
    }

    pub async fn list_replays(&self, id: i64) -> AppResult<Vec<OutboundRecord>> {
        self.with_replay(move |r| replay::list_replays(r.store(), Some(id), REPLAYS_LISTED)).await
    }

    /// One recorded request and its answer, without bodies: a handler check's row opens it.
    pub async fn get_outbound_record(&self, id: i64) -> AppResult<OutboundRecord> {
        self.with_replay(move |r| form::record(r.store(), id)).await
    }

    pub async fn get_outbound_bodies(&self, id: i64) -> AppResult<OutboundBodies> {
        self.with_replay(move |r| form::bodies(r.store(), id)).await
    }

    pub async fn diff_deliveries(&self, a: DiffSide, b: DiffSide) -> AppResult<RequestDiff> {
        self.read(move |s| diff::diff_stored(s, a, b)).await
    }

    pub fn list_samples(&self) -> Vec<SampleInfo> {
        sample::list()
    }

    pub async fn send_sample(&self, request: SampleRequest) -> AppResult<ReplayResult> {
        Ok(sample::send_with_endpoint_secret(
            &self.registry,
            request.provider,
            &request.event,
            &request.url,
            request.endpoint_id,
            SendOptions::default(),
        )
        .await?)
    }
}
