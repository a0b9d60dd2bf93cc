//! Webhook providers: who sent a delivery, whether its signature holds (and why not), what its
//! payload means, how to sign a body for replay, and ready-made sample deliveries.
//!
//! Each provider lives in its own file behind [`Provider`]; verify and sign sit side by side so
//! they are tested against each other and against the published vectors.

mod explain;
pub mod fleiko;
pub mod flovi;
pub mod flowella;
pub(crate) mod json;
mod signature;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use fleiko::Fleiko;
pub use flovi::Flovi;
pub use flowella::Flowella;

/// Fleiko's replay window when the endpoint does not configure another.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("unknown provider {0:?} (expected flovi, flowella or fleiko)")]
    UnknownProvider(String),
}

/// Which provider sent a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ProviderId {
    Flovi,
    Flowella,
    Fleiko,
}

impl ProviderId {
    pub const ALL: [ProviderId; 3] = [ProviderId::Flovi, ProviderId::Flowella, ProviderId::Fleiko];

    /// The stored and serialised spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderId::Flovi => "flovi",
            ProviderId::Flowella => "flowella",
            ProviderId::Fleiko => "fleiko",
        }
    }

    /// The provider's own spelling, for sentences shown to the user.
    pub fn name(self) -> &'static str {
        match self {
            ProviderId::Flovi => "Flovi",
            ProviderId::Flowella => "Flowella",
            ProviderId::Fleiko => "Fleiko",
        }
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderId {
    type Err = ProviderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        ProviderId::ALL
            .into_iter()
            .find(|id| id.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ProviderError::UnknownProvider(s.to_owned()))
    }
}

/// The parts of a captured request a provider looks at. Headers are raw bytes in arrival order
/// with their original case, exactly as stored.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(Vec<u8>, Vec<u8>)],
    pub body: &'a [u8],
}

impl<'a> RequestView<'a> {
    /// Every header called `name` (ASCII case-insensitive) as `(name as sent, value)`, in order.
    pub fn headers_named(
        &self,
        name: &str,
    ) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + use<'a> {
        let name = name.as_bytes().to_vec();
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(n, v)| (n.as_slice(), v.as_slice()))
    }

    /// The first value of header `name`, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers_named(name).next().map(|(_, v)| v)
    }

    /// The first value of header `name` as trimmed text (invalid UTF-8 replaced).
    pub fn header_text(&self, name: &str) -> Option<String> {
        self.header(name).map(|v| String::from_utf8_lossy(v).trim().to_owned())
    }
}

/// One configured secret. The order of a list of secrets is the order of preference.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// "current", "previous", "previous 2"... (see [`Secret::label_for`]).
    pub label: String,
    pub value: Vec<u8>,
}

impl Secret {
    pub fn new(label: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Secret { label: label.into(), value: value.into() }
    }

    /// The label of the secret at `index` in order of preference.
    pub fn label_for(index: usize) -> String {
        match index {
            0 => "current".to_owned(),
            1 => "previous".to_owned(),
            n => format!("previous {n}"),
        }
    }

    /// Secrets labelled by their position: the first is "current", then "previous"...
    pub fn ranked<V: Into<Vec<u8>>>(values: impl IntoIterator<Item = V>) -> Vec<Secret> {
        values.into_iter().enumerate().map(|(i, v)| Secret::new(Secret::label_for(i), v)).collect()
    }
}

// The value must never reach a log line, a panic message or a test failure.
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("label", &self.label)
            .field("value", &format_args!("<{} bytes redacted>", self.value.len()))
            .finish()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions<'a> {
    pub secrets: &'a [Secret],
    /// Flowella only: the header that carries the signature. `None` searches every header.
    pub signature_header: Option<&'a str>,
    /// Fleiko only: the largest accepted |now - t|.
    pub tolerance_secs: u64,
    /// Unix seconds the timestamp is checked against (normally the delivery's arrival).
    pub now: i64,
}

impl<'a> VerifyOptions<'a> {
    pub fn new(secrets: &'a [Secret], now: i64) -> Self {
        VerifyOptions {
            secrets,
            signature_header: None,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
            now,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum SignatureStatus {
    Valid,
    Invalid,
    /// No signature was found on the request.
    Unsigned,
    /// A signature is there but no secret is configured to check it.
    Unchecked,
}

/// The outcome of checking a delivery's signature, with what a developer needs to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Verification {
    pub status: SignatureStatus,
    /// The header (name as sent) that carried the signature.
    pub header: Option<String>,
    /// Label of the secret that matched. When invalid, the secret under which the reason was
    /// found (a changed body or a stale timestamp), if any.
    pub matched_secret: Option<String>,
    /// The signature value (hex, as sent) that matched, or that the reason was found for.
    pub matched_signature: Option<String>,
    /// When invalid: the most likely reason.
    pub reason: Option<FailureReason>,
    /// One or two plain sentences for a developer.
    pub explanation: String,
    /// Oddities that were accepted or noticed on the way.
    pub notes: Vec<String>,
    /// Fleiko's `t`: when the provider says it signed.
    #[ts(type = "number | null")]
    pub signed_at: Option<i64>,
}

impl Verification {
    pub(crate) fn new(status: SignatureStatus, explanation: impl Into<String>) -> Self {
        Verification {
            status,
            header: None,
            matched_secret: None,
            matched_signature: None,
            reason: None,
            explanation: explanation.into(),
            notes: Vec::new(),
            signed_at: None,
        }
    }

    pub fn is_valid(&self) -> bool {
        self.status == SignatureStatus::Valid
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum FailureReason {
    /// Nothing matched with any secret and no change to the body explains it.
    WrongSecret,
    /// A plausibly altered version of the body verifies, e.g. "trailing newline added".
    BodyChanged {
        change: String,
    },
    /// The signature holds but its timestamp is too far from now. Positive skew: in the past.
    TimestampOutsideWindow {
        #[ts(type = "number")]
        skew_secs: i64,
        #[ts(type = "number")]
        tolerance_secs: u64,
    },
    /// Fleiko: `X-Fleiko-Timestamp` differs from the signature's `t`.
    TimestampMismatch {
        #[ts(type = "number")]
        header_t: i64,
        timestamp_header: String,
    },
    MalformedHeader {
        detail: String,
    },
    /// A signature in a scheme the provider does not use, e.g. "sha1".
    UnsupportedScheme {
        scheme: String,
    },
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureReason::WrongSecret => f.write_str("wrong secret"),
            FailureReason::BodyChanged { change } => write!(f, "body changed: {change}"),
            FailureReason::TimestampOutsideWindow { skew_secs, tolerance_secs } => {
                let side = if *skew_secs >= 0 { "in the past" } else { "in the future" };
                write!(
                    f,
                    "timestamp {} s {side}, outside the {tolerance_secs} s window",
                    skew_secs.unsigned_abs()
                )
            }
            FailureReason::TimestampMismatch { header_t, timestamp_header } => {
                write!(f, "timestamp header {timestamp_header:?} differs from t={header_t}")
            }
            FailureReason::MalformedHeader { detail } => write!(f, "malformed header: {detail}"),
            FailureReason::UnsupportedScheme { scheme } => write!(f, "unsupported scheme {scheme}"),
        }
    }
}

/// What a payload means, as far as the provider's docs tell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Decoded {
    /// Flovi: "reservation_status_change.<state>"; Fleiko and Flowella: the event type.
    pub event_type: Option<String>,
    /// The idempotency key the provider's docs recommend deduplicating on.
    pub event_id: Option<String>,
    /// Fleiko's X-Fleiko-Delivery: the same on every retry of one delivery.
    pub delivery_id: Option<String>,
    /// Fleiko's X-Fleiko-Delivery-Attempt: 1 first, 2+ on retries.
    #[ts(type = "number | null")]
    pub attempt: Option<u32>,
    /// One line for the delivery list.
    pub summary: Option<String>,
    pub view: Option<DecodedView>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum DecodedView {
    FloviReservation(flovi::FloviReservation),
    FleikoEvent(fleiko::FleikoEvent),
    FlowellaEvent(flowella::FlowellaEvent),
}

/// A payload field the docs do not describe, flattened for display: `job.driver.name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DecodedField {
    pub path: String,
    pub value: String,
}

/// A ready-made delivery for one documented event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Sample {
    pub provider: ProviderId,
    pub event: String,
    pub description: String,
    /// The exact body: the docs' example text where they give one.
    pub body: String,
    /// Extra headers that are not part of the signature, e.g. Content-Type.
    pub headers: Vec<(String, String)>,
}

impl Sample {
    /// The sample's headers plus the signature headers for `secrets` at `now`.
    pub fn signed_headers(&self, secrets: &[&[u8]], now: i64) -> Vec<(String, String)> {
        let mut headers = self.headers.clone();
        headers.extend(provider(self.provider).sign(self.body.as_bytes(), secrets, now));
        headers
    }
}

/// How much of a payload to decode: what capture stores, or everything the detail view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    Brief,
    Full,
}

pub trait Provider: Send + Sync {
    fn id(&self) -> ProviderId;
    /// Confidence 0..=100 that the request comes from this provider.
    fn detect(&self, req: &RequestView) -> u8;
    fn verify(&self, req: &RequestView, opts: &VerifyOptions) -> Verification;
    /// Never fails: what cannot be understood is shown raw with a note.
    fn decode(&self, req: &RequestView) -> Decoded;
    /// What capture stores: ids, event type, attempt and summary, exactly as
    /// [`Provider::decode`] finds them. The view and notes may be incomplete: decode computes
    /// them when a delivery is opened. Capture runs on every request, decode on a click.
    fn identify(&self, req: &RequestView) -> Decoded {
        self.decode(req)
    }
    /// Headers that sign `body` at `now`, one signature per secret (Fleiko: one `v1` per secret
    /// plus `X-Fleiko-Timestamp`). Empty when no secret is given.
    fn sign(&self, body: &[u8], secrets: &[&[u8]], now: i64) -> Vec<(String, String)>;
    fn samples(&self) -> Vec<Sample>;
}

static FLOVI: Flovi = Flovi;
static FLOWELLA: Flowella = Flowella;
static FLEIKO: Fleiko = Fleiko;

pub fn provider(id: ProviderId) -> &'static dyn Provider {
    match id {
        ProviderId::Flovi => &FLOVI,
        ProviderId::Flowella => &FLOWELLA,
        ProviderId::Fleiko => &FLEIKO,
    }
}

/// The confidence below which a request is left unattributed.
pub const DETECT_THRESHOLD: u8 = 50;

/// The most likely provider, if any is at least [`DETECT_THRESHOLD`] sure.
pub fn detect(req: &RequestView) -> Option<ProviderId> {
    let mut best: Option<(ProviderId, u8)> = None;
    for id in ProviderId::ALL {
        let score = provider(id).detect(req);
        if score >= DETECT_THRESHOLD && best.is_none_or(|(_, s)| score > s) {
            best = Some((id, score));
        }
    }
    best.map(|(id, _)| id)
}

/// Every sample of every provider.
pub fn all_samples() -> Vec<Sample> {
    ProviderId::ALL.into_iter().flat_map(|id| provider(id).samples()).collect()
}

#[cfg(test)]
mod tests;
