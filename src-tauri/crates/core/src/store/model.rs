//! Types that leave the store: what the CLI prints and what the UI receives.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One row of the delivery list. Small on purpose: it is broadcast for every capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeliverySummary {
    #[ts(type = "number")]
    pub id: i64,
    /// Unix time in milliseconds.
    #[ts(type = "number")]
    pub received_at: i64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    #[ts(type = "number | null")]
    pub endpoint_id: Option<i64>,
    pub endpoint: Option<String>,
    pub provider: Option<String>,
    pub content_type: Option<String>,
    /// Bytes the sender declared or sent; for an oversize attempt, more than was stored.
    #[ts(type = "number")]
    pub body_size: u64,
    /// SHA-256 of the stored body; absent when the body was refused.
    pub body_sha256: Option<String>,
    /// False when the body was refused (over the size limit) and only metadata was kept.
    pub body_stored: bool,
    pub response_status: Option<u16>,
}

/// A delivery with everything but its body, which is fetched on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub summary: DeliverySummary,
    pub http_version: String,
    /// Headers in arrival order, duplicates and name case kept. Values that are not UTF-8
    /// are shown with replacement characters; the exact bytes stay in the store.
    pub headers: Vec<(String, String)>,
    pub remote_addr: Option<String>,
    /// Time from the request's arrival until its answer was ready, commit excluded.
    #[ts(type = "number | null")]
    pub response_latency_us: Option<i64>,
}

/// A path prefix that groups deliveries and tells which provider sends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Endpoint {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub path_prefix: String,
    pub provider: Option<String>,
}

/// An endpoint with how many stored deliveries it holds (the sidebar's view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EndpointCount {
    #[ts(type = "number | null")]
    pub endpoint_id: Option<i64>,
    #[ts(type = "number")]
    pub count: u64,
}

/// Filters for listing deliveries, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct DeliveryQuery {
    /// Full-text search over path, query, headers and text bodies (substring match).
    pub search: Option<String>,
    pub provider: Option<String>,
    #[ts(type = "number | null")]
    pub endpoint_id: Option<i64>,
    pub method: Option<String>,
    /// Only deliveries whose path matched no endpoint ("other paths").
    pub unrouted: bool,
    /// Only deliveries older than this id (for paging backwards).
    #[ts(type = "number | null")]
    pub before_id: Option<i64>,
    #[ts(type = "number | null")]
    pub limit: Option<u32>,
}

/// A request as captured, before it has an id.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub received_at: i64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub http_version: String,
    /// Raw header name and value bytes in arrival order.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Option<bytes::Bytes>,
    pub body_size: u64,
    pub remote_addr: Option<String>,
    pub endpoint_id: Option<i64>,
    pub endpoint: Option<String>,
    pub provider: Option<String>,
    pub response_status: u16,
    pub response_latency_us: i64,
}
