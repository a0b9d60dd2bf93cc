//! Ready-made, correctly signed deliveries of every documented event, sent to any URL.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{ReplayError, ReplayResult, Result, result};
use crate::outbound::{self, OutboundKind, OutboundRequest, RecordContext, SendOptions};
use crate::providers::{self, ProviderId, Sample};
use crate::registry::Registry;

/// A sample's name and meaning, for pickers and `send-sample --list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SampleInfo {
    pub provider: ProviderId,
    pub event: String,
    pub description: String,
}

pub fn list() -> Vec<SampleInfo> {
    providers::all_samples()
        .into_iter()
        .map(|s| SampleInfo { provider: s.provider, event: s.event, description: s.description })
        .collect()
}

/// The provider's sample for `event`, or an error listing the events it has.
pub fn find(provider: ProviderId, event: &str) -> Result<Sample> {
    let samples = providers::provider(provider).samples();
    let wanted = event.trim();
    if let Some(found) = samples.iter().find(|s| s.event.eq_ignore_ascii_case(wanted)) {
        return Ok(found.clone());
    }
    let known: Vec<&str> = samples.iter().map(|s| s.event.as_str()).collect();
    Err(ReplayError::Invalid(format!(
        "{} has no event {wanted:?}; its documented events are: {}",
        provider.name(),
        known.join(", ")
    )))
}

/// The request for a sample: POST, the sample's headers and body, signed with `secrets`
/// (current first) now. Flowella's signature goes in `signature_header` when one is set.
pub fn request(
    sample: &Sample,
    url: &str,
    secrets: &[&[u8]],
    signature_header: Option<&str>,
) -> OutboundRequest {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let mut headers = sample.headers.clone();
    let mut signed =
        providers::provider(sample.provider).sign(sample.body.as_bytes(), secrets, now);
    if let (ProviderId::Flowella, Some(header)) = (sample.provider, signature_header) {
        for (name, _) in &mut signed {
            *name = header.to_owned();
        }
    }
    headers.extend(signed);
    OutboundRequest {
        method: "POST".into(),
        url: url.trim().to_owned(),
        headers: headers.into_iter().map(|(n, v)| (n, v.into_bytes())).collect(),
        body: sample.body.clone().into_bytes(),
    }
}

/// Sends a sample signed with `secrets` and records it.
pub async fn send(
    registry: &Registry,
    sample: &Sample,
    url: &str,
    secrets: &[&[u8]],
    signature_header: Option<&str>,
    options: SendOptions,
) -> Result<ReplayResult> {
    outbound::parse_url(url).map_err(ReplayError::Target)?;
    let request = request(sample, url, secrets, signature_header);
    let mut notes = Vec::new();
    if secrets.is_empty() {
        notes.push("Sent unsigned: no secret was given.".to_owned());
    }
    let context = RecordContext {
        delivery_id: None,
        options: Some(serde_json::json!({
            "provider": sample.provider,
            "event": sample.event,
            "signed": !secrets.is_empty(),
        })),
        sent_event_id: None,
    };
    let store = registry.store();
    let (id, response) =
        outbound::send_and_record(store, OutboundKind::Sample, &context, &request, options).await?;
    result(store, id, &response, notes)
}

/// Sends a sample signed with an endpoint's secrets: the given endpoint, else the first of
/// the provider's endpoints that has a secret. Unsigned, with a note, when none has one.
pub async fn send_with_endpoint_secret(
    registry: &Registry,
    provider: ProviderId,
    event: &str,
    url: &str,
    endpoint_id: Option<i64>,
    options: SendOptions,
) -> Result<ReplayResult> {
    let sample = find(provider, event)?;
    let runtimes = registry.runtimes()?;
    let endpoint = match endpoint_id {
        Some(id) => runtimes.iter().find(|r| r.settings.id == id),
        None => {
            runtimes.iter().find(|r| r.settings.provider == Some(provider) && !r.secrets.is_empty())
        }
    };
    let secrets: Vec<&[u8]> =
        endpoint.and_then(|e| e.secrets.first()).map(|s| s.value.as_slice()).into_iter().collect();
    let header = endpoint.and_then(|e| e.settings.signature_header.as_deref());
    send(registry, &sample, url, &secrets, header, options).await
}
