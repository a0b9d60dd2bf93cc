//! Handler check: proves the user's own webhook handler against a provider's documented
//! contract. It sends a battery of deliveries to the handler — correctly signed and
//! deliberately broken, built from the provider's sample or a captured delivery and signed
//! with the provider's own `sign` — and judges each answer twice: did the handler do what
//! the docs ask, and what would the provider do with that answer (see [`judge`]).
//!
//! Every request goes through the outbound sender and is recorded like a replay, with kind
//! `check`, never as a capture. Each run is kept whole so two runs can be compared.

pub mod checks;
mod deliveries;
pub mod input;
pub mod judge;
pub mod retry;
mod runs;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use checks::CheckId;
pub use input::HandlerCheckInput;
pub use judge::{Answer, CheckOutcome, ProviderReading};
pub use retry::{RetryAttempt, RetryOutcome, RetrySimulation, RetrySpec};
pub use runs::{CheckComparison, RunSummary, compare_runs, get_run, list_runs};

use crate::outbound::{self, OutboundKind, OutboundRequest, RecordContext, SendOptions};
use crate::providers::{ProviderId, Secret, fleiko, flovi, flowella};
use crate::registry::{Registry, RegistryError};
use crate::store::{Store, StoreError, endpoints};
use deliveries::{Base, remove_headers, set_header};

#[derive(Debug, thiserror::Error)]
pub enum HandlerCheckError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Something asked for that cannot be done; the message says why.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = HandlerCheckError> = std::result::Result<T, E>;

/// The largest per-endpoint timeout Fleiko lets an endpoint configure.
pub const FLEIKO_MAX_TIMEOUT: Duration = Duration::from_secs(30);
/// How far outside Fleiko's ±300 s window the timestamp checks sign.
pub const OUTSIDE_WINDOW_SECS: i64 = 301;

/// One run: where, as which provider, with which secrets, which checks.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    pub provider: ProviderId,
    pub url: String,
    /// The endpoint's secrets, current first; deliveries are signed with the first.
    pub secrets: Vec<Secret>,
    /// Flowella: the header the handler reads the signature from.
    pub signature_header: Option<String>,
    /// Build the deliveries from this captured delivery instead of the provider's sample.
    pub from: Option<i64>,
    /// Only these checks; `None` runs every check that applies to the provider.
    pub only: Option<Vec<CheckId>>,
    pub timeout: Duration,
    pub retries: Option<RetrySpec>,
}

/// One request a check sent and what came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckExchange {
    /// What this request was, e.g. "first delivery", "retry (attempt 2)".
    pub label: String,
    /// The recorded request and answer (`outbound_requests`), to open in Replay.
    #[ts(type = "number")]
    pub record_id: i64,
    pub status: Option<u16>,
    /// The transport failure in plain words; none when an answer arrived.
    pub error: Option<String>,
    /// No complete answer arrived within the timeout.
    pub timed_out: bool,
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// The event or delivery id the request carried.
    pub event_id: Option<String>,
    pub outcome: CheckOutcome,
    /// What the handler did, in a few words.
    pub said: String,
    /// What the provider would do with this answer.
    pub reading: ProviderReading,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckResult {
    pub id: CheckId,
    /// What was sent, in a few words.
    pub title: String,
    /// Whether a failure fails the run.
    pub required: bool,
    pub outcome: CheckOutcome,
    /// What a correct handler answers.
    pub expected: String,
    /// What the handler did.
    pub summary: String,
    /// Why the check exists, quoting the provider's docs.
    pub why: String,
    /// The doc and section quoted.
    pub source: String,
    pub exchanges: Vec<CheckExchange>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckCounts {
    pub pass: u32,
    pub fail: u32,
    pub warning: u32,
    pub info: u32,
    pub inconclusive: u32,
    pub skipped: u32,
}

/// A run's scorecard. Holds no secret: requests carry signatures made with them, never them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HandlerCheckReport {
    #[ts(type = "number")]
    pub run_id: i64,
    /// Unix time in milliseconds.
    #[ts(type = "number")]
    pub at: i64,
    pub provider: ProviderId,
    pub target: String,
    /// The event the deliveries are built from.
    pub event: String,
    #[ts(type = "number | null")]
    pub from_delivery: Option<i64>,
    #[ts(type = "number")]
    pub timeout_ms: u64,
    /// The provider's own timeout, and which doc says it.
    pub timeout_note: String,
    pub results: Vec<CheckResult>,
    pub counts: CheckCounts,
    /// True when no required check failed.
    pub passed: bool,
    pub retry: Option<RetrySimulation>,
    pub notes: Vec<String>,
}

/// The timeout a provider gives a handler by default.
pub fn default_timeout(provider: ProviderId) -> Duration {
    match provider {
        ProviderId::Fleiko => Duration::from_secs(fleiko::DEFAULT_TIMEOUT_SECS),
        ProviderId::Flowella => Duration::from_secs(flowella::TIMEOUT_SECS),
        ProviderId::Flovi => outbound::DEFAULT_TIMEOUT,
    }
}

/// The provider's own timeout in words, with the doc that says it.
pub fn timeout_note(provider: ProviderId) -> String {
    match provider {
        ProviderId::Fleiko => format!(
            "Fleiko waits {} s by default; an endpoint can configure up to {} s ({}).",
            fleiko::DEFAULT_TIMEOUT_SECS,
            FLEIKO_MAX_TIMEOUT.as_secs(),
            judge::FLEIKO_QUICK_START
        ),
        ProviderId::Flowella => {
            format!("Flowella waits up to ten seconds for a 2xx ({}).", judge::FLOWELLA_WEBHOOKS)
        }
        ProviderId::Flovi => format!(
            "Flovi's docs name no timeout; it is configurable here (default {} s).",
            outbound::DEFAULT_TIMEOUT.as_secs()
        ),
    }
}

/// A stored endpoint's provider, secrets and signature header, for checking its handler.
#[derive(Debug, Clone)]
pub struct EndpointSecrets {
    pub name: String,
    pub provider: Option<ProviderId>,
    pub secrets: Vec<Secret>,
    pub signature_header: Option<String>,
}

/// The endpoint named `name_or_id`, with its secrets unsealed.
pub fn endpoint_secrets(registry: &Registry, name_or_id: &str) -> Result<EndpointSecrets> {
    let id = registry.store().read(|c| endpoints::find(c, name_or_id))?;
    let endpoint = registry
        .runtimes()?
        .into_iter()
        .find(|r| r.settings.id == id)
        .ok_or_else(|| HandlerCheckError::Invalid(format!("no endpoint {name_or_id:?}")))?;
    Ok(EndpointSecrets {
        name: endpoint.settings.name,
        provider: endpoint.settings.provider,
        secrets: endpoint.secrets,
        signature_header: endpoint.settings.signature_header,
    })
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Sends a run's requests and records each like a replay.
pub(crate) struct Sender<'a> {
    store: &'a Store,
    provider: ProviderId,
    url: String,
    secret: Vec<u8>,
    /// A secret the handler cannot know, for the wrong-secret and rotation checks.
    other_secret: Vec<u8>,
    options: SendOptions,
    from: Option<i64>,
    run_id: i64,
}

impl Sender<'_> {
    pub(crate) async fn send(
        &self,
        check: &str,
        label: &str,
        request: &OutboundRequest,
        event_id: Option<String>,
        attempt: u32,
        expect: judge::Expect,
    ) -> Result<CheckExchange> {
        let context = RecordContext {
            delivery_id: self.from,
            options: Some(serde_json::json!({
                "handlerCheck": self.run_id,
                "check": check,
                "label": label,
                "provider": self.provider,
            })),
            sent_event_id: event_id.clone(),
        };
        let (record_id, response) = outbound::send_and_record(
            self.store,
            OutboundKind::Check,
            &context,
            request,
            self.options,
        )
        .await?;
        let answer = Answer::of(&response);
        let (outcome, said) = judge::judge(self.provider, expect, &answer);
        Ok(CheckExchange {
            label: label.to_owned(),
            record_id,
            status: response.status,
            error: response.error.as_ref().map(ToString::to_string),
            timed_out: matches!(answer, Answer::Timeout { .. }),
            duration_ms: response.duration.as_millis().min(u128::from(u64::MAX)) as u64,
            event_id,
            outcome,
            said,
            reading: judge::reading(self.provider, &answer, attempt),
        })
    }

    fn secrets(&self) -> [&[u8]; 1] {
        [self.secret.as_slice()]
    }
}

/// Runs the checks of `spec` against the handler, records every request and the run.
pub async fn run(registry: &Registry, spec: &CheckSpec) -> Result<HandlerCheckReport> {
    outbound::parse_url(&spec.url).map_err(|e| HandlerCheckError::Invalid(e.to_string()))?;
    let Some(secret) = spec.secrets.first() else {
        return Err(HandlerCheckError::Invalid(
            "a handler check needs the endpoint's signing secret".to_owned(),
        ));
    };
    if spec.timeout.is_zero() {
        return Err(HandlerCheckError::Invalid("the timeout must be above zero".to_owned()));
    }
    if spec.provider == ProviderId::Fleiko && spec.timeout > FLEIKO_MAX_TIMEOUT {
        return Err(HandlerCheckError::Invalid(format!(
            "Fleiko lets an endpoint wait at most {} s for an answer; a longer timeout would \
             pass handlers Fleiko gives up on",
            FLEIKO_MAX_TIMEOUT.as_secs()
        )));
    }
    let store = registry.store();
    let base = match spec.from {
        Some(id) => {
            let detail = store.detail(id)?;
            if !detail.summary.body_stored {
                return Err(HandlerCheckError::Invalid(format!(
                    "delivery {id} has no stored body (it was over the size limit)"
                )));
            }
            let headers = store
                .raw_headers(id)?
                .into_iter()
                .map(|(n, v)| (String::from_utf8_lossy(&n).into_owned(), v))
                .collect();
            if let Some(sender) = detail.summary.provider.as_deref()
                && sender.parse::<ProviderId>().ok() != Some(spec.provider)
            {
                return Err(HandlerCheckError::Invalid(format!(
                    "delivery {id} came from {sender}, not {}",
                    spec.provider.name()
                )));
            }
            // Flowella's header is the account's choice: re-sign where the capture carried it.
            let captured_header =
                detail.summary.signature_detail.as_ref().and_then(|v| v.header.clone());
            Base::captured(
                spec.provider,
                detail.summary.event_type.clone(),
                headers,
                store.body(id)?,
                spec.signature_header.as_deref().or(captured_header.as_deref()),
            )
        }
        None => Base::sample(spec.provider, spec.signature_header.as_deref()).ok_or_else(|| {
            HandlerCheckError::Invalid(format!("{} has no sample", spec.provider.name()))
        })?,
    };
    let wanted: Vec<CheckId> = match &spec.only {
        Some(only) => CheckId::ALL.into_iter().filter(|c| only.contains(c)).collect(),
        None => CheckId::for_provider(spec.provider),
    };
    let at = now_ms();
    let run_id = runs::start(store, at, spec.provider, &spec.url)?;
    let sender = Sender {
        store,
        provider: spec.provider,
        url: spec.url.trim().to_owned(),
        secret: secret.value.clone(),
        other_secret: format!("whsec_hookscope_check_{}", crate::replay::ids::uuid()).into_bytes(),
        options: SendOptions { timeout: spec.timeout, ..SendOptions::default() },
        from: spec.from,
        run_id,
    };
    let mut notes = Vec::new();
    if spec.secrets.len() > 1 {
        notes.push(format!(
            "Signed with the {} secret; the others given are not used.",
            spec.secrets[0].label
        ));
    }
    if spec.provider == ProviderId::Flowella && spec.timeout > default_timeout(spec.provider) {
        notes.push(
            "Flowella waits only ten seconds: an answer slower than that is a failure to it, \
             whatever this run's timeout."
                .to_owned(),
        );
    }
    let mut results = Vec::new();
    let mut valid: Option<CheckExchange> = None;
    // A handler that cannot be reached (refused, DNS, TLS) makes every later check noise.
    let mut unreachable: Option<String> = None;
    for id in wanted {
        let result = if !id.applies_to(spec.provider) {
            skipped(id, spec.provider, format!("Does not apply to {}.", spec.provider.name()))
        } else if let Some(error) = unreachable.as_ref().filter(|_| id != CheckId::Timeout) {
            skipped(id, spec.provider, format!("Not run: the handler cannot be reached ({error})."))
        } else if id == CheckId::Timeout {
            let exchange = match valid.clone() {
                Some(exchange) => exchange,
                None => run_valid(&sender, &base).await?,
            };
            timeout_result(spec.provider, spec.timeout, exchange)
        } else {
            let result = run_check(&sender, &base, id).await?;
            if id == CheckId::Valid {
                valid = result.exchanges.first().cloned();
                unreachable = valid.as_ref().filter(|e| !e.timed_out).and_then(|e| e.error.clone());
            }
            result
        };
        results.push(result);
    }
    let retry = match spec.retries {
        Some(retry_spec) => Some(retry::simulate(&sender, &base, retry_spec).await?),
        None => None,
    };
    let mut counts = CheckCounts::default();
    for result in &results {
        let slot = match result.outcome {
            CheckOutcome::Pass => &mut counts.pass,
            CheckOutcome::Fail => &mut counts.fail,
            CheckOutcome::Warning => &mut counts.warning,
            CheckOutcome::Info => &mut counts.info,
            CheckOutcome::Inconclusive => &mut counts.inconclusive,
            CheckOutcome::Skipped => &mut counts.skipped,
        };
        *slot += 1;
    }
    let passed = !results.iter().any(|r| r.required && r.outcome == CheckOutcome::Fail);
    let report = HandlerCheckReport {
        run_id,
        at,
        provider: spec.provider,
        target: spec.url.trim().to_owned(),
        event: base.event.clone(),
        from_delivery: spec.from,
        timeout_ms: spec.timeout.as_millis().min(u128::from(u64::MAX)) as u64,
        timeout_note: timeout_note(spec.provider),
        results,
        counts,
        passed,
        retry,
        notes,
    };
    runs::finish(store, &report)?;
    Ok(report)
}

fn skipped(id: CheckId, provider: ProviderId, why: String) -> CheckResult {
    let (text, source) = id.why(provider);
    CheckResult {
        id,
        title: id.title().to_owned(),
        required: id.required(),
        outcome: CheckOutcome::Skipped,
        expected: id.expected().to_owned(),
        summary: why,
        why: text,
        source,
        exchanges: Vec::new(),
        notes: Vec::new(),
    }
}

async fn run_valid(sender: &Sender<'_>, base: &Base) -> Result<CheckExchange> {
    let (fresh, event_id) = base.fresh();
    let signed = fresh.sign(&fresh.body, &sender.secrets(), now_secs());
    let request = fresh.request(&sender.url, fresh.body.clone(), signed);
    let expect = CheckId::Valid.expect();
    sender.send(CheckId::Valid.as_str(), "delivery", &request, event_id, 1, expect).await
}

fn timeout_result(provider: ProviderId, timeout: Duration, exchange: CheckExchange) -> CheckResult {
    let id = CheckId::Timeout;
    let secs = judge::secs_text(timeout.as_secs_f64());
    let (outcome, summary) = match (&exchange.error, exchange.status) {
        (None, Some(_)) => (
            CheckOutcome::Pass,
            format!("answered in {} ms, within the {secs} s timeout", exchange.duration_ms),
        ),
        _ if exchange.timed_out => {
            (CheckOutcome::Fail, format!("no answer within the {secs} s timeout"))
        }
        _ => (
            CheckOutcome::Inconclusive,
            "no answer at all (see the valid check), so its speed is unknown".to_owned(),
        ),
    };
    let (why, source) = id.why(provider);
    let mut exchange = exchange;
    exchange.outcome = outcome;
    exchange.said.clone_from(&summary);
    CheckResult {
        id,
        title: id.title().to_owned(),
        required: id.required(),
        outcome,
        expected: id.expected().to_owned(),
        summary,
        why,
        source,
        exchanges: vec![exchange],
        notes: vec![timeout_note(provider)],
    }
}

/// One planned request: label, request, event id, attempt number.
type Planned = (String, OutboundRequest, Option<String>, u32);

async fn run_check(sender: &Sender<'_>, base: &Base, id: CheckId) -> Result<CheckResult> {
    let provider = base.provider;
    let mut notes = Vec::new();
    let plan = match plan(sender, base, id, &mut notes) {
        Ok(plan) => plan,
        Err(why) => return Ok(skipped(id, provider, why)),
    };
    let mut exchanges = Vec::new();
    for (label, request, event_id, attempt) in plan {
        // A retry is signed when it goes, as the provider signs each attempt anew.
        let request = if attempt > 1 { resigned(sender, base, request) } else { request };
        exchanges.push(
            sender.send(id.as_str(), &label, &request, event_id, attempt, id.expect()).await?,
        );
    }
    let outcome = exchanges.iter().fold(CheckOutcome::Skipped, |o, e| o.worst(e.outcome));
    let summary = match exchanges.as_slice() {
        [one] => one.said.clone(),
        many => {
            many.iter().map(|e| format!("{}: {}", e.label, e.said)).collect::<Vec<_>>().join("; ")
        }
    };
    if id == CheckId::TimestampMismatch {
        notes.push(mismatch_note(exchanges.first()));
    }
    if id == CheckId::Duplicate {
        notes.push(
            "Hookscope sees only the answers, not side effects: check that the handler \
             processed this event once (deduplicating on its id), not twice."
                .to_owned(),
        );
    }
    let (why, source) = id.why(provider);
    Ok(CheckResult {
        id,
        title: id.title().to_owned(),
        required: id.required(),
        outcome,
        expected: id.expected().to_owned(),
        summary,
        why,
        source,
        exchanges,
        notes,
    })
}

fn mismatch_note(exchange: Option<&CheckExchange>) -> String {
    match exchange {
        Some(e) if e.status.is_some_and(|s| (200..300).contains(&s)) => {
            "The handler took t= from X-Fleiko-Signature, as the docs' samples do, and ignored \
             X-Fleiko-Timestamp."
                .to_owned()
        }
        Some(e) if e.status.is_some() => {
            "The handler rejected it, so it reads X-Fleiko-Timestamp (here 301 s old) for the \
             signed payload or the window. Harmless while Fleiko keeps both equal, but t= is \
             what is signed."
                .to_owned()
        }
        _ => "No answer, so which timestamp the handler reads is unknown.".to_owned(),
    }
}

/// The request with a fresh signature (and Fleiko timestamp) for its body.
fn resigned(sender: &Sender<'_>, base: &Base, mut request: OutboundRequest) -> OutboundRequest {
    for name in base.signature_names() {
        remove_headers(&mut request.headers, &name);
    }
    let signed = base.sign(&request.body, &sender.secrets(), now_secs());
    request.headers.extend(signed.into_iter().map(|(n, v)| (n, v.into_bytes())));
    request
}

fn plan(
    sender: &Sender<'_>,
    base: &Base,
    id: CheckId,
    notes: &mut Vec<String>,
) -> Result<Vec<Planned>, String> {
    let (fresh, event_id) = base.fresh();
    let now = now_secs();
    let url = sender.url.as_str();
    let secrets = sender.secrets();
    let json_body = |what: &str| -> Result<(), String> {
        if fresh.is_json() {
            Ok(())
        } else {
            Err(format!("The delivery's body is not JSON, so it has no {what}."))
        }
    };
    let body = fresh.body.clone();
    let signed_now = |body: &[u8]| fresh.sign(body, &secrets, now);
    let one = |label: &str, request: OutboundRequest| {
        vec![(label.to_owned(), request, event_id.clone(), 1)]
    };
    Ok(match id {
        CheckId::Valid | CheckId::Timeout => {
            one("delivery", fresh.request(url, body.clone(), signed_now(&body)))
        }
        CheckId::TamperedBody => {
            let signed = signed_now(&body);
            one("tampered delivery", fresh.request(url, deliveries::tampered(&body), signed))
        }
        CheckId::WrongSecret => {
            let signed = fresh.sign(&body, &[sender.other_secret.as_slice()], now);
            one("delivery signed with another secret", fresh.request(url, body, signed))
        }
        CheckId::MissingSignature => {
            let mut signed = signed_now(&body);
            let header = fresh.signature_header.clone();
            signed.retain(|(n, _)| !n.eq_ignore_ascii_case(&header));
            one("unsigned delivery", fresh.request(url, body, signed))
        }
        CheckId::MalformedSignature => {
            let mut signed = signed_now(&body);
            let garbage = match base.provider {
                ProviderId::Fleiko => "t=not-a-time,v1=not-a-hex-digest".to_owned(),
                ProviderId::Flovi => "sha256=not-a-hex-digest".to_owned(),
                ProviderId::Flowella => "not-a-hex-digest".to_owned(),
            };
            for (name, value) in &mut signed {
                if name.eq_ignore_ascii_case(&fresh.signature_header) {
                    value.clone_from(&garbage);
                }
            }
            one("malformed signature", fresh.request(url, body, signed))
        }
        CheckId::StaleTimestamp | CheckId::FutureTimestamp => {
            let skew = if id == CheckId::StaleTimestamp {
                -OUTSIDE_WINDOW_SECS
            } else {
                OUTSIDE_WINDOW_SECS
            };
            let signed = fresh.sign(&body, &secrets, now + skew);
            let label = if skew < 0 { "signed 301 s ago" } else { "signed 301 s ahead" };
            one(label, fresh.request(url, body, signed))
        }
        CheckId::RotationSecondV1 => {
            let signed =
                fresh.sign(&body, &[sender.other_secret.as_slice(), sender.secret.as_slice()], now);
            one("two v1, the second valid", fresh.request(url, body, signed))
        }
        CheckId::TimestampMismatch => {
            let mut request = fresh.request(url, body.clone(), signed_now(&body));
            let stale = (now - OUTSIDE_WINDOW_SECS).to_string();
            set_header(&mut request.headers, fleiko::TIMESTAMP_HEADER, stale.as_bytes());
            one("X-Fleiko-Timestamp 301 s before t=", request)
        }
        CheckId::RawSpacing | CheckId::RawUnicodeEscapes | CheckId::RawKeyOrder => {
            json_body("JSON layout to vary")?;
            let variant = match id {
                CheckId::RawSpacing => deliveries::respaced(&body),
                CheckId::RawUnicodeEscapes => deliveries::escaped(&body),
                _ => deliveries::reordered(&body),
            }
            .ok_or_else(|| "The body has nothing to write differently this way.".to_owned())?;
            let signed = signed_now(&variant);
            one("re-laid-out body, signed as sent", fresh.request(url, variant, signed))
        }
        CheckId::RawTrailingNewline => {
            let mut variant = body;
            variant.push(b'\n');
            let signed = signed_now(&variant);
            one("body with a trailing newline, signed as sent", fresh.request(url, variant, signed))
        }
        CheckId::Duplicate => {
            let first = fresh.request(url, body.clone(), signed_now(&body));
            let mut again = first.clone();
            if base.provider == ProviderId::Fleiko {
                set_header(&mut again.headers, fleiko::ATTEMPT_HEADER, b"2");
            }
            vec![
                ("first delivery".to_owned(), first, event_id.clone(), 1),
                ("the same event again (attempt 2)".to_owned(), again, event_id.clone(), 2),
            ]
        }
        CheckId::UnknownEvent => {
            json_body("event type")?;
            let (key, token, name) = deliveries::unknown_event(base.provider);
            let changed = deliveries::with_top_value(&body, key, token)
                .ok_or_else(|| format!("The body has no top-level {key:?} to change."))?;
            let signed = signed_now(&changed);
            let mut request = fresh.request(url, changed, signed);
            if base.provider == ProviderId::Fleiko {
                set_header(&mut request.headers, fleiko::EVENT_HEADER, name.as_bytes());
            }
            notes.push(format!("Sent as event {name}."));
            one("unknown event type", request)
        }
        CheckId::ExtraFields => {
            json_body("fields")?;
            let changed = deliveries::with_extra_fields(&body)
                .ok_or_else(|| "The body is not a JSON object.".to_owned())?;
            let signed = signed_now(&changed);
            one("unknown fields added", fresh.request(url, changed, signed))
        }
        CheckId::LifecycleOrder => {
            json_body("state")?;
            let mut planned = Vec::new();
            for state in ["driving", "taken", "created"] {
                let token = format!("\"{state}\"");
                let changed = deliveries::with_top_value(&body, "state", &token)
                    .ok_or_else(|| "The body has no top-level \"state\".".to_owned())?;
                let request = fresh.request(url, changed.clone(), signed_now(&changed));
                let key = event_id.as_ref().map(|r| format!("{r}:{state}"));
                planned.push((format!("{} {state}", flovi::WEBHOOK_NAME), request, key, 1));
            }
            notes.push("Sent driving, then taken, then created, for one reservation.".to_owned());
            planned
        }
    })
}

#[cfg(test)]
mod tests;
