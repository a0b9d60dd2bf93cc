//! The window's replay editor: the draft it starts from, what it sends back, and bodies of
//! recorded exchanges cut to a size a text view can hold.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{ReplayEdits, ReplayError, ReplayOptions, ReplaySpec, Result, remembered_target};
use crate::outbound::{DEFAULT_TIMEOUT, MAX_RESPONSE_BODY, SendOptions};
use crate::providers::ProviderId;
use crate::registry::Registry;
use crate::store::outbound as db;
use crate::store::{DeliveryDetail, Store, StoreError};

/// Body bytes a view gets; the rest is left out with a note.
pub const DISPLAY_LIMIT: usize = 256 * 1024;
/// Where a replay goes when the endpoint remembers none: a handler on this machine.
pub const DEFAULT_TARGET_BASE: &str = "http://localhost:3000";

/// What the editor starts from: the delivery's request and where it went last time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReplayDraft {
    #[ts(type = "number")]
    pub delivery_id: i64,
    /// The remembered target with the delivery's query, else a local suggestion.
    pub url: String,
    /// True when `url` comes from the endpoint's remembered target.
    pub remembered: bool,
    pub method: String,
    /// Headers in order, hop-by-hop ones included (they are recomputed when sending).
    pub headers: Vec<(String, String)>,
    /// The body as text; `None` when it is not UTF-8 (then it is sent as stored).
    pub body: Option<String>,
    /// The body or content type says JSON: the editor checks it before sending.
    pub json: bool,
    pub provider: Option<ProviderId>,
    /// The endpoint has a secret to re-sign with, and a previous one for rotation.
    pub can_resign: bool,
    pub has_previous_secret: bool,
}

/// A replay as the editor sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReplayRequest {
    #[ts(type = "number")]
    pub delivery_id: i64,
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    /// `None` sends the stored body unchanged.
    pub body: Option<String>,
    pub options: ReplayOptions,
    /// Send a body that is not valid JSON although the request says JSON, on purpose.
    pub send_raw: bool,
    /// Seconds to wait; default 10.
    pub timeout_secs: Option<f64>,
}

/// A body cut for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BodyPreview {
    /// UTF-8 text (invalid bytes replaced), at most [`DISPLAY_LIMIT`] bytes of it.
    pub text: String,
    /// Bytes stored.
    #[ts(type = "number")]
    pub size: u64,
    /// True when `text` shows only the start of the stored bytes.
    pub cut: bool,
    /// True when the bytes are not UTF-8 text.
    pub binary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OutboundBodies {
    pub request: BodyPreview,
    pub response: BodyPreview,
    /// The answer itself was longer than the stored cap (10 MiB) and the rest was dropped.
    pub response_truncated: bool,
}

/// A sample as the window asks for it; the secret comes from the endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SampleRequest {
    pub provider: ProviderId,
    pub event: String,
    pub url: String,
    /// Whose secret signs it; the provider's first endpoint with a secret when absent.
    #[ts(type = "number | null")]
    pub endpoint_id: Option<i64>,
}

fn is_json(detail: &DeliveryDetail, body: &[u8]) -> bool {
    let declared = detail
        .summary
        .content_type
        .as_deref()
        .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
    declared || (!body.is_empty() && serde_json::from_slice::<serde_json::Value>(body).is_ok())
}

pub fn draft(registry: &Registry, delivery_id: i64) -> Result<ReplayDraft> {
    let store = registry.store();
    let detail = store.detail(delivery_id)?;
    let body = store.body(delivery_id)?;
    let s = &detail.summary;
    let query = s.query.as_deref();
    let remembered = match s.endpoint_id {
        Some(endpoint) => remembered_target(store, endpoint)?,
        None => None,
    };
    let url = match &remembered {
        Some(base) => super::target_url(base, query),
        None => super::target_url(&format!("{DEFAULT_TARGET_BASE}{}", s.path), query),
    };
    let runtime = match s.endpoint_id {
        Some(id) => registry.runtimes()?.into_iter().find(|r| r.settings.id == id),
        None => None,
    };
    let secrets = runtime.map_or(0, |r| r.secrets.len());
    Ok(ReplayDraft {
        delivery_id,
        url,
        remembered: remembered.is_some(),
        method: s.method.clone(),
        headers: detail.headers.clone(),
        json: is_json(&detail, &body),
        body: String::from_utf8(body).ok(),
        provider: s.provider.as_deref().and_then(|p| p.parse().ok()),
        can_resign: secrets > 0,
        has_previous_secret: secrets > 1,
    })
}

/// Checks the editor's request and turns it into a replay. A body that should be JSON but is
/// not is refused unless `send_raw` says it is meant.
pub fn spec(store: &Store, request: &ReplayRequest) -> Result<(ReplaySpec, SendOptions)> {
    let detail = store.detail(request.delivery_id)?;
    if let Some(body) = &request.body
        && !request.send_raw
    {
        let original = store.body(request.delivery_id)?;
        let declared_json = request.headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().contains("json")
        });
        if (declared_json || is_json(&detail, &original))
            && let Err(e) = serde_json::from_str::<serde_json::Value>(body)
        {
            return Err(ReplayError::Invalid(format!(
                "the body is not valid JSON ({e}); fix it, or tick \"send raw\" to send it as it is"
            )));
        }
    }
    let timeout = match request.timeout_secs {
        None => DEFAULT_TIMEOUT,
        Some(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => std::time::Duration::from_secs_f64(s),
        Some(_) => {
            return Err(ReplayError::Invalid(
                "the timeout must be between 0 and 3600 seconds".into(),
            ));
        }
    };
    if request.method.trim().is_empty() {
        return Err(ReplayError::Invalid("the method cannot be empty".into()));
    }
    let spec = ReplaySpec {
        delivery_id: request.delivery_id,
        url: request.url.trim().to_owned(),
        edits: ReplayEdits {
            method: Some(request.method.trim().to_owned()),
            headers: Some(
                request
                    .headers
                    .iter()
                    .filter(|(n, _)| !n.trim().is_empty())
                    .map(|(n, v)| (n.trim().to_owned(), v.clone().into_bytes()))
                    .collect(),
            ),
            set_headers: Vec::new(),
            body: request.body.clone().map(String::into_bytes),
        },
        options: request.options,
    };
    Ok((spec, SendOptions { timeout, max_response_body: MAX_RESPONSE_BODY }))
}

pub fn preview(bytes: &[u8]) -> BodyPreview {
    let binary = std::str::from_utf8(bytes).is_err();
    let cut = bytes.len() > DISPLAY_LIMIT;
    let shown = &bytes[..bytes.len().min(DISPLAY_LIMIT)];
    BodyPreview {
        text: String::from_utf8_lossy(shown).into_owned(),
        size: bytes.len() as u64,
        cut,
        // A cut through a multi-byte character is not binary.
        binary: binary
            && std::str::from_utf8(shown)
                .map_err(|e| e.error_len().is_some())
                .err()
                .unwrap_or(false),
    }
}

/// A recorded outbound request without its bodies.
pub fn record(store: &Store, id: i64) -> Result<db::OutboundRecord> {
    Ok(store.read(|c| db::get(c, id))?.ok_or(StoreError::NotFound(id))?)
}

pub fn bodies(store: &Store, id: i64) -> Result<OutboundBodies> {
    let record = store.read(|c| db::get(c, id))?.ok_or(StoreError::NotFound(id))?;
    let (request, response) = store.read(|c| db::bodies(c, id))?.unwrap_or_default();
    Ok(OutboundBodies {
        request: preview(&request),
        response: preview(&response),
        response_truncated: record.truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_cut_long_bodies_and_spot_binary_ones() {
        let long = vec![b'a'; DISPLAY_LIMIT + 10];
        let p = preview(&long);
        assert!(p.cut && !p.binary);
        assert_eq!(p.text.len(), DISPLAY_LIMIT);
        assert_eq!(p.size, (DISPLAY_LIMIT + 10) as u64);
        let mut split = vec![b'a'; DISPLAY_LIMIT - 1];
        split.extend("é".as_bytes());
        assert!(!preview(&split).binary, "a character cut in two is still text");
        assert!(preview(&[0xff, 0xfe, 0x00]).binary);
        assert!(!preview(b"{}").cut);
    }
}
