//! Types that leave the store: what the CLI prints and what the UI receives.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::providers::{Decoded, ProviderId, SignatureStatus, Verification};

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
    /// The provider's event type, e.g. `job.completed` or `reservation_status_change.sealed`.
    pub event_type: Option<String>,
    /// The provider's idempotency key for the event.
    pub event_id: Option<String>,
    /// The provider's attempt counter (Fleiko's X-Fleiko-Delivery-Attempt).
    #[ts(type = "number | null")]
    pub attempt: Option<u32>,
    /// The first delivery of the same event, when this one repeats it.
    #[ts(type = "number | null")]
    pub duplicate_of: Option<i64>,
    /// Signature status; absent when no provider applies or the body was refused.
    pub signature: Option<SignatureStatus>,
    pub signature_detail: Option<Verification>,
    /// One decoded line for the list, e.g. "Reservation R-123 sealed · Helsinki → Tampere".
    pub summary: Option<String>,
    /// The tunnel that carried the delivery (`ngrok`, `bore`); none when it came directly.
    pub via_tunnel: Option<String>,
}

/// A delivery with everything but its body, which is fetched on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub summary: DeliverySummary,
    pub http_version: String,
    /// The request target exactly as sent: the path and query, or an absolute-form
    /// `http://host/path?query` when the client sent one.
    pub target: String,
    /// Headers in arrival order, duplicates and name case kept. Values that are not UTF-8
    /// are shown with replacement characters; the exact bytes stay in the store.
    pub headers: Vec<(String, String)>,
    pub remote_addr: Option<String>,
    /// Time from the request's arrival until its answer was ready, commit excluded.
    #[ts(type = "number | null")]
    pub response_latency_us: Option<i64>,
    /// The payload as the provider's docs describe it.
    pub decoded: Option<Decoded>,
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
    pub event_type: Option<String>,
    pub signature: Option<SignatureStatus>,
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
    /// The request target as sent, when the path and query do not already spell it (an
    /// absolute-form `http://host/path`, say).
    pub target: Option<String>,
    pub http_version: String,
    /// Raw header name and value bytes in arrival order.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Option<bytes::Bytes>,
    pub body_size: u64,
    pub remote_addr: Option<String>,
    /// The tunnel the connection came through (`ngrok`, `bore`), if any.
    pub via_tunnel: Option<String>,
    pub endpoint_id: Option<i64>,
    pub endpoint: Option<String>,
    pub provider: Option<String>,
    pub response_status: u16,
    pub response_latency_us: i64,
    pub analysis: DeliveryAnalysis,
}

/// What the providers made of a delivery, computed before it is stored.
#[derive(Debug, Clone, Default)]
pub struct DeliveryAnalysis {
    pub event_type: Option<String>,
    pub event_id: Option<String>,
    /// Fleiko's X-Fleiko-Delivery: the same on every retry.
    pub delivery_key: Option<String>,
    pub attempt: Option<u32>,
    pub verification: Option<Verification>,
    pub summary: Option<String>,
    /// Deliveries of one event share this key (provider and event id, else delivery id).
    pub group_key: Option<String>,
}

/// An endpoint with its verification settings; secret values never leave the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EndpointSettings {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub path_prefix: String,
    pub provider: Option<ProviderId>,
    /// Flowella: the header carrying the signature; none = look in every header.
    pub signature_header: Option<String>,
    /// Fleiko: the accepted distance between the signature's timestamp and arrival.
    #[ts(type = "number")]
    pub tolerance_secs: u64,
    /// "current", "previous", ... one per stored secret.
    pub secret_labels: Vec<String>,
}

/// A new endpoint (no id) or changed settings of an existing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EndpointInput {
    #[ts(type = "number | null")]
    pub id: Option<i64>,
    pub name: String,
    pub path_prefix: String,
    pub provider: Option<ProviderId>,
    pub signature_header: Option<String>,
    #[ts(type = "number")]
    pub tolerance_secs: u64,
}

/// The deliveries of one event (a retry chain, or duplicates) with what each answer meant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeliveryGroup {
    pub key: Option<String>,
    /// Oldest first, including the delivery asked about.
    pub deliveries: Vec<DeliverySummary>,
    pub attempts: Vec<AttemptInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AttemptInfo {
    #[ts(type = "number")]
    pub delivery_id: i64,
    #[ts(type = "number | null")]
    pub attempt: Option<u32>,
    #[ts(type = "number")]
    pub received_at: i64,
    /// When the provider's documented schedule says this attempt should arrive (ms).
    #[ts(type = "number | null")]
    pub expected_at: Option<i64>,
    pub response_status: Option<u16>,
    /// What Hookscope's answer means to the provider.
    pub meaning: String,
}
