//! The delivery list and the detail view.

use crate::analysis;
use crate::store::responses::DeliveryResponses;
use crate::store::{
    DeliveryDetail, DeliveryGroup, DeliveryQuery, DeliverySummary, Endpoint, EndpointCount, Store,
    StoreError,
};

use super::{App, AppResult, blocking};

impl App {
    /// Runs a blocking store read off the async runtime's worker threads.
    pub(super) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> AppResult<T> {
        blocking(self.store.clone(), f).await
    }

    pub async fn list_endpoints(&self) -> AppResult<Vec<Endpoint>> {
        self.read(|s| s.endpoints()).await
    }

    pub async fn list_endpoint_counts(&self) -> AppResult<Vec<EndpointCount>> {
        self.read(|s| s.endpoint_counts()).await
    }

    pub async fn list_deliveries(&self, query: DeliveryQuery) -> AppResult<Vec<DeliverySummary>> {
        self.read(move |s| s.list(&query)).await
    }

    pub async fn get_delivery(&self, id: i64) -> AppResult<DeliveryDetail> {
        self.read(move |s| s.detail(id)).await
    }

    /// The body's exact bytes.
    pub async fn get_delivery_body(&self, id: i64) -> AppResult<Vec<u8>> {
        self.read(move |s| s.body(id)).await
    }

    /// The answer the delivery's sender got and, in forward mode, what the target answered.
    pub async fn get_delivery_responses(&self, id: i64) -> AppResult<DeliveryResponses> {
        self.read(move |s| s.responses(id)).await
    }

    pub async fn list_event_types(&self) -> AppResult<Vec<String>> {
        self.read(|s| s.event_types()).await
    }

    pub async fn get_delivery_group(&self, id: i64) -> AppResult<DeliveryGroup> {
        self.read(move |s| analysis::delivery_group(s, id)).await
    }
}
