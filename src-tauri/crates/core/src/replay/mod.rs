//! Replay: send a captured delivery again, as it was or edited, to the user's own code; send a
//! provider's sample; compare two deliveries (or a delivery and what a replay sent).
//!
//! A replay keeps the original signature unless asked to re-sign with the endpoint's secret
//! through the provider's own `sign`, so what verifies in Hookscope verifies in the handler.
//! Every replay is recorded in `outbound_requests`, linked to its source delivery.

pub mod diff;
pub mod form;
pub(crate) mod ids;
pub mod sample;

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::outbound::{
    self, OutboundKind, OutboundRequest, OutboundResponse, RecordContext, SendOptions,
    TransportError,
};
use crate::providers::{self, ProviderId, fleiko, flowella};
use crate::registry::{Registry, RegistryError};
use crate::store::outbound::{self as db, OutboundRecord};
use crate::store::{DeliveryDetail, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Something the user asked for that cannot be done; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Target(TransportError),
}

pub type Result<T, E = ReplayError> = std::result::Result<T, E>;

/// How a replay treats the signature, ids and attempt counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct ReplayOptions {
    /// Sign again with the endpoint's current secret (Fleiko: fresh timestamp); otherwise the
    /// original signature headers are sent as they were.
    pub resign: bool,
    /// With `resign`: also sign with the previous secret, to test a rotation.
    pub also_previous: bool,
    /// Send a fresh delivery id (Fleiko's X-Fleiko-Delivery) and event id in the payload, so
    /// an idempotent handler treats the replay as new.
    pub new_delivery_id: bool,
    /// Add one to the attempt header (Fleiko's X-Fleiko-Delivery-Attempt).
    pub bump_attempt: bool,
}

/// What to send instead of the stored delivery's parts; `None` keeps the original.
#[derive(Debug, Clone, Default)]
pub struct ReplayEdits {
    pub method: Option<String>,
    /// The whole header list, in order (the editor's).
    pub headers: Option<Vec<(String, Vec<u8>)>>,
    /// Headers set on top (the CLI's `--header`): each replaces every header of its name.
    pub set_headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// One replay: which delivery, where to, with which edits and options.
#[derive(Debug, Clone)]
pub struct ReplaySpec {
    pub delivery_id: i64,
    /// The full target URL; see [`target_url`] for building it from a base and the delivery.
    pub url: String,
    pub edits: ReplayEdits,
    pub options: ReplayOptions,
}

/// A replay ready to send: the request and what was done to it.
#[derive(Debug, Clone)]
pub struct BuiltReplay {
    pub request: OutboundRequest,
    pub endpoint_id: Option<i64>,
    /// The new delivery/event id sent, when one was made.
    pub sent_event_id: Option<String>,
    /// Plain sentences about what was changed or could not be done.
    pub notes: Vec<String>,
}

/// The outcome shown to the user: the stored record, whether the target answered 2xx, notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReplayResult {
    pub record: OutboundRecord,
    /// The target answered completely with a 2xx status.
    pub ok: bool,
    pub notes: Vec<String>,
}

/// `base` as given when it already names a query, else with the delivery's query added: the
/// target stands for the delivery's path, the query is the delivery's.
pub fn target_url(base: &str, query: Option<&str>) -> String {
    let base = base.trim();
    match query.filter(|q| !q.is_empty()) {
        Some(q) if !base.contains('?') => format!("{base}?{q}"),
        _ => base.to_owned(),
    }
}

/// Where replays of the endpoint's deliveries were last sent.
pub fn remembered_target(store: &Store, endpoint_id: i64) -> Result<Option<String>> {
    Ok(store.read(|c| db::replay_target(c, endpoint_id))?)
}

pub fn remember_target(store: &Store, endpoint_id: i64, url: &str) -> Result<()> {
    let url = url.trim();
    let url = (!url.is_empty()).then_some(url);
    Ok(store.write(|c| db::set_replay_target(c, endpoint_id, url))?)
}

/// Builds the request a replay sends, without sending it.
pub fn build(registry: &Registry, spec: &ReplaySpec) -> Result<BuiltReplay> {
    let store = registry.store();
    let detail = store.detail(spec.delivery_id)?;
    let mut notes = Vec::new();
    let body = match &spec.edits.body {
        Some(body) => body.clone(),
        None if !detail.summary.body_stored => {
            return Err(ReplayError::Invalid(format!(
                "delivery {} has no stored body (it was over the size limit); give a body to send",
                spec.delivery_id
            )));
        }
        None => store.body(spec.delivery_id)?,
    };
    let original_body = body.clone();
    let mut headers = match &spec.edits.headers {
        Some(headers) => headers.clone(),
        None => store
            .raw_headers(spec.delivery_id)?
            .into_iter()
            .map(|(n, v)| (String::from_utf8_lossy(&n).into_owned(), v))
            .collect(),
    };
    for (name, value) in &spec.edits.set_headers {
        set_header(&mut headers, name, value.as_bytes().to_vec());
    }
    let method = spec.edits.method.clone().unwrap_or_else(|| detail.summary.method.clone());
    let provider = detail.summary.provider.as_deref().and_then(|p| p.parse::<ProviderId>().ok());
    let mut request = OutboundRequest { method, url: spec.url.trim().to_owned(), headers, body };
    outbound::parse_url(&request.url).map_err(ReplayError::Target)?;

    let mut sent_event_id = None;
    if spec.options.new_delivery_id {
        sent_event_id = new_ids(provider, &detail, &mut request, &mut notes);
    }
    if spec.options.bump_attempt {
        bump_attempt(provider, &mut request, &mut notes);
    }
    if spec.options.resign {
        resign(registry, provider, &detail, spec.options.also_previous, &mut request, &mut notes)?;
    } else if request.body != original_body || spec.edits.body.is_some() {
        // Editing the body is the usual reason a handler starts rejecting a replay.
        notes.push(
            "The original signature was kept; it covers the original body, so a handler that \
             verifies will reject an edited one unless it is re-signed."
                .to_owned(),
        );
    }
    Ok(BuiltReplay { request, endpoint_id: detail.summary.endpoint_id, sent_event_id, notes })
}

/// Builds, sends and records one replay; remembers the target for the delivery's endpoint.
pub async fn replay(
    registry: &Registry,
    spec: &ReplaySpec,
    send: SendOptions,
) -> Result<ReplayResult> {
    let built = build(registry, spec)?;
    let store = registry.store();
    if let Some(endpoint) = built.endpoint_id {
        // The URL the user typed, without the delivery's own query added to it.
        let remembered = spec.url.split('?').next().unwrap_or_default();
        remember_target(store, endpoint, remembered)?;
    }
    let context = RecordContext {
        delivery_id: Some(spec.delivery_id),
        options: Some(serde_json::json!({
            "resign": spec.options.resign,
            "alsoPrevious": spec.options.also_previous,
            "newDeliveryId": spec.options.new_delivery_id,
            "bumpAttempt": spec.options.bump_attempt,
            "edited": spec.edits.body.is_some()
                || spec.edits.headers.is_some()
                || spec.edits.method.is_some()
                || !spec.edits.set_headers.is_empty(),
            "notes": built.notes,
        })),
        sent_event_id: built.sent_event_id.clone(),
    };
    let (id, response) =
        outbound::send_and_record(store, OutboundKind::Replay, &context, &built.request, send)
            .await?;
    result(store, id, &response, built.notes)
}

/// Replays `ids` one after another, in the given order, each as captured (with `options`) to
/// `base` plus its own query. A failed one does not stop the rest: each outcome is recorded.
pub async fn replay_in_order(
    registry: &Registry,
    ids: &[i64],
    base: &str,
    options: ReplayOptions,
    send: SendOptions,
) -> Result<Vec<ReplayResult>> {
    if ids.is_empty() {
        return Err(ReplayError::Invalid("no deliveries to replay".into()));
    }
    let base = base.split('?').next().unwrap_or_default();
    let mut results = Vec::with_capacity(ids.len());
    for &delivery_id in ids {
        let query = registry.store().detail(delivery_id)?.summary.query;
        let spec = ReplaySpec {
            delivery_id,
            url: target_url(base, query.as_deref()),
            edits: ReplayEdits::default(),
            options,
        };
        results.push(replay(registry, &spec, send).await?);
    }
    Ok(results)
}

pub(crate) fn result(
    store: &Store,
    id: i64,
    response: &OutboundResponse,
    notes: Vec<String>,
) -> Result<ReplayResult> {
    let record = store
        .read(|c| db::get(c, id))?
        .ok_or_else(|| ReplayError::Invalid(format!("record {id} vanished")))?;
    Ok(ReplayResult { record, ok: response.is_success(), notes })
}

/// The replays of a delivery, newest first (all replays when `delivery_id` is `None`).
pub fn list_replays(
    store: &Store,
    delivery_id: Option<i64>,
    limit: u32,
) -> Result<Vec<OutboundRecord>> {
    let filter = db::OutboundFilter { delivery_id, kind: Some(OutboundKind::Replay), limit };
    Ok(store.read(|c| db::list(c, &filter))?)
}

/// Sets `name` to `value`: the first header of that name (any case) takes the value, the
/// others go; appended when there is none.
fn set_header(headers: &mut Vec<(String, Vec<u8>)>, name: &str, value: Vec<u8>) {
    let mut value = Some(value);
    headers.retain_mut(|(n, v)| {
        if !n.eq_ignore_ascii_case(name) {
            return true;
        }
        match value.take() {
            Some(new) => {
                *v = new;
                true
            }
            None => false,
        }
    });
    if let Some(value) = value {
        headers.push((name.to_owned(), value));
    }
}

fn header_text(headers: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| String::from_utf8_lossy(v).trim().to_owned())
}

/// Fresh ids where the provider has them; returns the event id now in the payload (or the
/// delivery id when the payload has none).
fn new_ids(
    provider: Option<ProviderId>,
    detail: &DeliveryDetail,
    request: &mut OutboundRequest,
    notes: &mut Vec<String>,
) -> Option<String> {
    let mut sent = None;
    if provider == Some(ProviderId::Fleiko) {
        let delivery = ids::fleiko_delivery_id();
        set_header(&mut request.headers, fleiko::DELIVERY_HEADER, delivery.clone().into_bytes());
        notes.push(format!("New {}: {delivery}.", fleiko::DELIVERY_HEADER));
        sent = Some(delivery);
    }
    let replaced = detail
        .summary
        .event_id
        .as_deref()
        .and_then(|old| replace_json_string(&mut request.body, old, &ids::like(old)));
    match replaced {
        Some(new) => {
            notes.push(format!("New event id in the payload: {new}."));
            sent = Some(new);
        }
        None if sent.is_none() => notes.push(
            "No delivery or event id to change: the delivery carries none that the provider \
             documents."
                .to_owned(),
        ),
        None => {}
    }
    sent
}

/// Replaces the first JSON string `old` in `body` with `new`, keeping every other byte.
pub(crate) fn replace_json_string(body: &mut Vec<u8>, old: &str, new: &str) -> Option<String> {
    let needle = serde_json::to_string(old).ok()?;
    let text = std::str::from_utf8(body).ok()?;
    let at = text.find(&needle)?;
    let replacement = serde_json::to_string(new).ok()?;
    let mut out = String::with_capacity(text.len() + replacement.len());
    out.push_str(&text[..at]);
    out.push_str(&replacement);
    out.push_str(&text[at + needle.len()..]);
    *body = out.into_bytes();
    Some(new.to_owned())
}

fn bump_attempt(
    provider: Option<ProviderId>,
    request: &mut OutboundRequest,
    notes: &mut Vec<String>,
) {
    if provider != Some(ProviderId::Fleiko) {
        let who = provider.map_or("This delivery's sender", ProviderId::name);
        notes.push(format!("{who} sends no attempt header; nothing to bump."));
        return;
    }
    let current = header_text(&request.headers, fleiko::ATTEMPT_HEADER)
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1);
    let next = current.saturating_add(1);
    set_header(&mut request.headers, fleiko::ATTEMPT_HEADER, next.to_string().into_bytes());
    notes.push(format!("{} {current} → {next}.", fleiko::ATTEMPT_HEADER));
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Signs the request's body again with the endpoint's secrets through the provider's `sign`,
/// replacing the signature headers in place.
fn resign(
    registry: &Registry,
    provider: Option<ProviderId>,
    detail: &DeliveryDetail,
    also_previous: bool,
    request: &mut OutboundRequest,
    notes: &mut Vec<String>,
) -> Result<()> {
    let Some(provider) = provider else {
        return Err(ReplayError::Invalid(
            "cannot re-sign: no provider is known for this delivery (set the endpoint's provider)"
                .to_owned(),
        ));
    };
    let runtimes = registry.runtimes()?;
    let endpoint = detail
        .summary
        .endpoint_id
        .and_then(|id| runtimes.iter().find(|r| r.settings.id == id))
        .filter(|r| !r.secrets.is_empty());
    let Some(endpoint) = endpoint else {
        let name = detail.summary.endpoint.as_deref().unwrap_or("of this delivery");
        return Err(ReplayError::Invalid(format!(
            "cannot re-sign: the endpoint {name} has no secret (set one in the endpoint's \
             settings or with `hookscope-cli endpoint set-secrets`)"
        )));
    };
    let mut secrets: Vec<&[u8]> = vec![&endpoint.secrets[0].value];
    if also_previous {
        match endpoint.secrets.get(1) {
            Some(previous) => secrets.push(&previous.value),
            None => {
                notes.push("There is no previous secret; signed with the current one only.".into())
            }
        }
    }
    let mut signed = providers::provider(provider).sign(&request.body, &secrets, now_secs());
    if provider == ProviderId::Flowella {
        // Flowella lets each account pick the header; send it where the handler looks.
        let header = endpoint
            .settings
            .signature_header
            .clone()
            .or_else(|| detail.summary.signature_detail.as_ref().and_then(|v| v.header.clone()))
            .unwrap_or_else(|| flowella::SIGN_HEADER.to_owned());
        for (name, _) in &mut signed {
            *name = header.clone();
        }
    }
    // Fleiko's header has one documented form, which `sign` writes.
    if provider != ProviderId::Fleiko
        && let Some(note) = keep_captured_form(&request.headers, &mut signed)
    {
        notes.push(note);
    }
    place_signature(&mut request.headers, signed);
    let labels: Vec<&str> =
        endpoint.secrets.iter().take(secrets.len()).map(|s| s.label.as_str()).collect();
    notes.push(format!(
        "Re-signed for {} with the {} secret.",
        provider.name(),
        labels.join(" and ")
    ));
    Ok(())
}

/// How a `[scheme=]hex` signature was written: the scheme prefix as spelled (`sha256=`,
/// `SHA256=`, or none) and whether the hex was uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DigestForm {
    prefix: String,
    uppercase: bool,
}

impl DigestForm {
    fn of(value: &str) -> Option<Self> {
        let token = value.split(',').map(|t| t.trim().trim_matches('"')).find(|t| !t.is_empty())?;
        let (prefix, hex) = match token.split_once('=') {
            Some((scheme, hex)) => (format!("{}=", scheme.trim()), hex.trim()),
            None => (String::new(), token),
        };
        // `sha256=` alone is how a user picks the prefixed form by editing the header.
        if (hex.is_empty() && prefix.is_empty()) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Self { prefix, uppercase: hex.bytes().any(|b| b.is_ascii_uppercase()) })
    }

    fn write(&self, value: &str) -> String {
        let hex = value.split_once('=').map_or(value, |(_, hex)| hex);
        let hex = if self.uppercase { hex.to_ascii_uppercase() } else { hex.to_ascii_lowercase() };
        format!("{}{hex}", self.prefix)
    }

    fn describe(&self) -> &'static str {
        match (self.prefix.is_empty(), self.uppercase) {
            (true, false) => "a bare hex digest",
            (true, true) => "a bare uppercase hex digest",
            (false, false) => "a prefixed hex digest",
            (false, true) => "a prefixed uppercase hex digest",
        }
    }
}

/// Writes each new `[scheme=]hex` signature the way the request's existing header of that
/// name was written (Flovi's docs allow a bare digest or `sha256=`, and a handler may parse
/// only the form it has seen). The request's headers include the user's edits, so editing
/// the signature header picks the form. Returns a note saying what was kept.
fn keep_captured_form(
    headers: &[(String, Vec<u8>)],
    signed: &mut [(String, String)],
) -> Option<String> {
    let mut kept = None;
    for (name, value) in signed.iter_mut() {
        let Some((captured_name, captured)) =
            headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        let Some(form) = DigestForm::of(&String::from_utf8_lossy(captured)) else {
            continue;
        };
        *value = form.write(value);
        kept.get_or_insert_with(|| {
            let prefix = if form.prefix.is_empty() {
                String::new()
            } else {
                format!(" ({}…)", form.prefix)
            };
            format!(
                "The signature keeps the captured form: {captured_name} with {}{prefix}.",
                form.describe()
            )
        });
    }
    kept
}

/// Puts the signature headers where the old ones were (or at the end), one run per name.
fn place_signature(headers: &mut Vec<(String, Vec<u8>)>, signed: Vec<(String, String)>) {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in &signed {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.clone());
        }
    }
    for name in names {
        let values: Vec<Vec<u8>> = signed
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.clone().into_bytes())
            .collect();
        let at = headers.iter().position(|(n, _)| n.eq_ignore_ascii_case(&name));
        let kept_name = at.map(|i| headers[i].0.clone()).unwrap_or_else(|| name.clone());
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        let at = at.map_or(headers.len(), |i| i.min(headers.len()));
        for (offset, value) in values.into_iter().enumerate() {
            headers.insert(at + offset, (kept_name.clone(), value));
        }
    }
}

#[cfg(test)]
mod tests;
