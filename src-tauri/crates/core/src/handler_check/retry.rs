//! Retry simulation: the provider's documented retry behaviour played against the handler,
//! compressed in time. Each attempt is re-signed with a fresh timestamp and carries the
//! next attempt number (Fleiko's X-Fleiko-Delivery-Attempt); the same event id and delivery
//! id throughout, as a real retry. It ends delivered, dead-lettered, or with the endpoint
//! auto-disabled (counting failures the endpoint already had, when told of some).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::deliveries::{Base, set_header};
use super::judge::{self, Expect};
use super::{CheckId, Result, Sender, now_secs};
use crate::providers::{ProviderId, fleiko, flowella};

/// Flowella documents "backoff" without delays; these are an assumption, said in the result.
pub const FLOWELLA_ASSUMED_BACKOFF_SECS: [u64; 4] = [0, 60, 120, 240];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetrySpec {
    /// Provider seconds per real second: 3600 plays an hour of the schedule in a second.
    pub time_scale: f64,
    /// Consecutive failures the endpoint already has, toward auto-disable.
    pub prior_failures: u32,
}

impl RetrySpec {
    /// An hour of the schedule per second: Fleiko's 33 hours play in about half a minute.
    pub const DEFAULT_TIME_SCALE: f64 = 3600.0;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum RetryOutcome {
    Delivered,
    DeadLettered,
    AutoDisabled,
    /// The provider documents no retries: one failed attempt and the event is gone.
    NotRetried,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RetryAttempt {
    pub attempt: u32,
    /// The documented wait before this attempt, in provider time.
    #[ts(type = "number")]
    pub delay_secs: u64,
    /// Provider time since the first attempt.
    #[ts(type = "number")]
    pub at_secs: u64,
    pub exchange: super::CheckExchange,
    /// Consecutive failures of the endpoint after this attempt.
    pub consecutive_failures: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RetrySimulation {
    pub outcome: RetryOutcome,
    /// One or two sentences: how it ended and after how long in provider time.
    pub summary: String,
    pub time_scale: f64,
    /// The schedule played, with its source (and what is assumed).
    pub schedule: String,
    pub attempts: Vec<RetryAttempt>,
    /// The threshold of consecutive failures that disables the endpoint, if documented.
    pub auto_disable_after: Option<u32>,
}

/// The wait before each attempt, in provider seconds (the first is 0).
pub fn schedule(provider: ProviderId) -> Vec<u64> {
    match provider {
        ProviderId::Fleiko => fleiko::RETRY_SCHEDULE_SECS.to_vec(),
        ProviderId::Flowella => FLOWELLA_ASSUMED_BACKOFF_SECS.to_vec(),
        ProviderId::Flovi => vec![0],
    }
}

fn schedule_text(provider: ProviderId) -> String {
    let steps = |delays: &[u64]| -> String {
        delays.iter().skip(1).map(|d| judge::duration_text(*d)).collect::<Vec<_>>().join(", ")
    };
    match provider {
        ProviderId::Fleiko => format!(
            "Fleiko: immediate, then {}; permanent 4xx dead-letter at once, 408 and 429 are \
             transient; auto-disable after {} consecutive failures ({}).",
            steps(&fleiko::RETRY_SCHEDULE_SECS),
            fleiko::AUTO_DISABLE_AFTER_FAILURES,
            judge::FLEIKO_RETRIES
        ),
        ProviderId::Flowella => format!(
            "Flowella: three retries with backoff, auto-disable after ten consecutive failures \
             ({}). Its docs give no delays: {} are assumed.",
            judge::FLOWELLA_WEBHOOKS,
            steps(&FLOWELLA_ASSUMED_BACKOFF_SECS)
        ),
        ProviderId::Flovi => {
            format!("Flovi documents no retries ({}): one attempt.", judge::FLOVI_WEBHOOKS)
        }
    }
}

fn auto_disable_after(provider: ProviderId) -> Option<u32> {
    match provider {
        ProviderId::Fleiko => Some(fleiko::AUTO_DISABLE_AFTER_FAILURES),
        ProviderId::Flowella => Some(flowella::AUTO_DISABLE_AFTER_FAILURES),
        ProviderId::Flovi => None,
    }
}

pub(crate) async fn simulate(
    sender: &Sender<'_>,
    base: &Base,
    spec: RetrySpec,
) -> Result<RetrySimulation> {
    let provider = base.provider;
    let delays = schedule(provider);
    let disable_at = auto_disable_after(provider);
    let (fresh, event_id) = base.fresh();
    let mut failures = spec.prior_failures;
    let mut attempts = Vec::new();
    let mut at_secs = 0u64;
    let mut outcome = RetryOutcome::NotRetried;
    for (index, &delay) in delays.iter().enumerate() {
        let attempt = index as u32 + 1;
        if delay > 0 {
            at_secs += delay;
            // Tokio's clock, so a paused runtime (or a large scale) makes the wait instant.
            tokio::time::sleep(Duration::from_secs_f64(delay as f64 / spec.time_scale)).await;
        }
        let mut request = fresh.request(&sender.url, fresh.body.clone(), Vec::new());
        if provider == ProviderId::Fleiko {
            set_header(
                &mut request.headers,
                fleiko::ATTEMPT_HEADER,
                attempt.to_string().as_bytes(),
            );
        }
        let signed = fresh.sign(&fresh.body, &sender.secrets(), now_secs());
        request.headers.extend(signed.into_iter().map(|(n, v)| (n, v.into_bytes())));
        let label = format!("attempt {attempt}");
        let exchange = sender
            .send(
                CheckId::Valid.as_str(),
                &label,
                &request,
                event_id.clone(),
                attempt,
                Expect::Accept,
            )
            .await?;
        let delivered =
            exchange.error.is_none() && exchange.status.is_some_and(|s| (200..300).contains(&s));
        let status = exchange.status.filter(|_| exchange.error.is_none());
        failures = if delivered { 0 } else { failures.saturating_add(1) };
        attempts.push(RetryAttempt {
            attempt,
            delay_secs: delay,
            at_secs,
            exchange,
            consecutive_failures: failures,
        });
        if delivered {
            outcome = RetryOutcome::Delivered;
            break;
        }
        if disable_at.is_some_and(|n| failures >= n) {
            outcome = RetryOutcome::AutoDisabled;
            break;
        }
        if provider == ProviderId::Flovi {
            outcome = RetryOutcome::NotRetried;
            break;
        }
        if provider == ProviderId::Fleiko && status.is_some_and(fleiko::is_permanent_failure) {
            outcome = RetryOutcome::DeadLettered;
            break;
        }
        outcome = RetryOutcome::DeadLettered;
    }
    let summary = summarise(provider, outcome, &attempts, disable_at);
    Ok(RetrySimulation {
        outcome,
        summary,
        time_scale: spec.time_scale,
        schedule: schedule_text(provider),
        attempts,
        auto_disable_after: disable_at,
    })
}

fn summarise(
    provider: ProviderId,
    outcome: RetryOutcome,
    attempts: &[RetryAttempt],
    disable_at: Option<u32>,
) -> String {
    let Some(last) = attempts.last() else {
        return "No attempt was made.".to_owned();
    };
    let when = if last.at_secs == 0 {
        "at once".to_owned()
    } else {
        format!("after {} of {} time", judge::about(last.at_secs), provider.name())
    };
    let name = provider.name();
    let n = last.attempt;
    let answer = answer_text(&last.exchange);
    let failures = match disable_at {
        Some(limit) => format!(
            " The endpoint now has {} consecutive failure{} of the {limit} that disable it.",
            last.consecutive_failures,
            if last.consecutive_failures == 1 { "" } else { "s" }
        ),
        None => String::new(),
    };
    match outcome {
        RetryOutcome::Delivered => {
            format!("Delivered on attempt {n} ({answer}), {when}.")
        }
        RetryOutcome::AutoDisabled => format!(
            "{name} auto-disabled the endpoint on attempt {n} ({answer}), {when}: that made {} \
             consecutive failures.",
            last.consecutive_failures
        ),
        RetryOutcome::DeadLettered
            if provider == ProviderId::Fleiko && n < fleiko::MAX_ATTEMPTS =>
        {
            format!(
                "Dead-lettered at once on attempt {n}: {answer} is permanent to Fleiko.{failures}"
            )
        }
        RetryOutcome::DeadLettered if provider == ProviderId::Flowella => format!(
            "Flowella gave up after attempt {n} ({answer}), {when}: its three retries are \
             used (its docs do not say what becomes of the event).{failures}"
        ),
        RetryOutcome::DeadLettered => format!(
            "Dead-lettered after attempt {n} of {} ({answer}), {when}; it can be replayed from \
             {name}'s deliveries log.{failures}",
            fleiko::MAX_ATTEMPTS
        ),
        RetryOutcome::NotRetried => format!(
            "Not retried: {name} documents no retries, so the event answered {answer} is lost."
        ),
    }
}

/// The answer of an exchange in a few words.
fn answer_text(exchange: &super::CheckExchange) -> String {
    match (&exchange.error, exchange.status) {
        (Some(_), _) if exchange.timed_out => "no answer in time".to_owned(),
        (Some(error), _) => error.clone(),
        (None, Some(status)) => judge::status_text(status),
        (None, None) => "no answer".to_owned(),
    }
}
