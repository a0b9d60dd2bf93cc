//! The battery: each check's name, what it sends, what a correct handler answers, and why,
//! in the provider docs' own words with the section they come from.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::judge::{Expect, FLEIKO_QUICK_START, FLOVI_WEBHOOKS, FLOWELLA_WEBHOOKS};
use crate::providers::ProviderId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum CheckId {
    Valid,
    Timeout,
    TamperedBody,
    WrongSecret,
    MissingSignature,
    MalformedSignature,
    StaleTimestamp,
    FutureTimestamp,
    RotationSecondV1,
    TimestampMismatch,
    RawSpacing,
    RawUnicodeEscapes,
    RawKeyOrder,
    RawTrailingNewline,
    Duplicate,
    UnknownEvent,
    ExtraFields,
    LifecycleOrder,
}

impl CheckId {
    pub const ALL: [CheckId; 18] = [
        CheckId::Valid,
        CheckId::Timeout,
        CheckId::TamperedBody,
        CheckId::WrongSecret,
        CheckId::MissingSignature,
        CheckId::MalformedSignature,
        CheckId::StaleTimestamp,
        CheckId::FutureTimestamp,
        CheckId::RotationSecondV1,
        CheckId::TimestampMismatch,
        CheckId::RawSpacing,
        CheckId::RawUnicodeEscapes,
        CheckId::RawKeyOrder,
        CheckId::RawTrailingNewline,
        CheckId::Duplicate,
        CheckId::UnknownEvent,
        CheckId::ExtraFields,
        CheckId::LifecycleOrder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Valid => "valid",
            CheckId::Timeout => "timeout",
            CheckId::TamperedBody => "tampered-body",
            CheckId::WrongSecret => "wrong-secret",
            CheckId::MissingSignature => "missing-signature",
            CheckId::MalformedSignature => "malformed-signature",
            CheckId::StaleTimestamp => "stale-timestamp",
            CheckId::FutureTimestamp => "future-timestamp",
            CheckId::RotationSecondV1 => "rotation-second-v1",
            CheckId::TimestampMismatch => "timestamp-mismatch",
            CheckId::RawSpacing => "raw-spacing",
            CheckId::RawUnicodeEscapes => "raw-unicode-escapes",
            CheckId::RawKeyOrder => "raw-key-order",
            CheckId::RawTrailingNewline => "raw-trailing-newline",
            CheckId::Duplicate => "duplicate",
            CheckId::UnknownEvent => "unknown-event",
            CheckId::ExtraFields => "extra-fields",
            CheckId::LifecycleOrder => "lifecycle-order",
        }
    }

    /// Whether the check applies to `provider` (Fleiko's timestamp checks, Flovi's lifecycle).
    pub fn applies_to(self, provider: ProviderId) -> bool {
        match self {
            CheckId::StaleTimestamp
            | CheckId::FutureTimestamp
            | CheckId::RotationSecondV1
            | CheckId::TimestampMismatch => provider == ProviderId::Fleiko,
            CheckId::LifecycleOrder => provider == ProviderId::Flovi,
            _ => true,
        }
    }

    /// The checks that apply to `provider`, in order.
    pub fn for_provider(provider: ProviderId) -> Vec<CheckId> {
        CheckId::ALL.into_iter().filter(|c| c.applies_to(provider)).collect()
    }

    /// What the handler is sent, in a few words.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Valid => "a correctly signed delivery",
            CheckId::Timeout => "the answer to that delivery, timed",
            CheckId::TamperedBody => "a body changed after signing",
            CheckId::WrongSecret => "a delivery signed with another secret",
            CheckId::MissingSignature => "a delivery without its signature header",
            CheckId::MalformedSignature => "a signature header that does not parse",
            CheckId::StaleTimestamp => "a delivery signed 301 s ago",
            CheckId::FutureTimestamp => "a delivery signed 301 s in the future",
            CheckId::RotationSecondV1 => "two v1 signatures where only the second matches",
            CheckId::TimestampMismatch => "t= and X-Fleiko-Timestamp disagreeing",
            CheckId::RawSpacing => "the same JSON, spaced differently",
            CheckId::RawUnicodeEscapes => "the same JSON, with \\u escapes",
            CheckId::RawKeyOrder => "the same JSON, keys in another order",
            CheckId::RawTrailingNewline => "the same JSON and a trailing newline",
            CheckId::Duplicate => "the same event again, as a retry",
            CheckId::UnknownEvent => "an event type the docs do not list",
            CheckId::ExtraFields => "fields the docs do not list",
            CheckId::LifecycleOrder => "lifecycle events out of order",
        }
    }

    pub(crate) fn expect(self) -> Expect {
        match self {
            CheckId::TamperedBody
            | CheckId::WrongSecret
            | CheckId::MissingSignature
            | CheckId::MalformedSignature
            | CheckId::StaleTimestamp
            | CheckId::FutureTimestamp => Expect::Reject,
            CheckId::TimestampMismatch => Expect::Report,
            _ => Expect::Accept,
        }
    }

    /// Whether a failure of this check fails the run.
    pub fn required(self) -> bool {
        self.expect() != Expect::Report
    }

    /// What a correct handler answers.
    pub fn expected(self) -> &'static str {
        match self.expect() {
            Expect::Accept if self == CheckId::Timeout => "an answer within the timeout",
            Expect::Accept => "2xx",
            Expect::Reject => "rejected: not a 2xx (401 or 403 preferred)",
            Expect::Report => "reported: the docs leave the right answer open",
        }
    }

    /// Why, quoting the provider's docs, and where they say it.
    pub fn why(self, provider: ProviderId) -> (String, String) {
        let (text, source): (&str, &str) = match (self, provider) {
            (CheckId::Valid | CheckId::Timeout, ProviderId::Fleiko) => (
                "\"Return 2xx within 10 seconds (or your configured per-endpoint timeout, up to \
                 30s). Anything else triggers a retry.\"",
                FLEIKO_QUICK_START,
            ),
            (CheckId::Valid | CheckId::Timeout, ProviderId::Flowella) => (
                "\"Flowella waits up to ten seconds for a 2xx, retries up to three times with \
                 backoff, and auto-disables an endpoint after ten consecutive failures.\"",
                FLOWELLA_WEBHOOKS,
            ),
            (CheckId::Valid, ProviderId::Flovi) => (
                "Flovi sends a webhook \"whenever the status of a reservation is updated\"; its \
                 docs name no expected answer, and a 2xx is the universal \"received\".",
                FLOVI_WEBHOOKS,
            ),
            (CheckId::Timeout, ProviderId::Flovi) => (
                "Flovi's docs name no timeout: the check uses the one given (10 s unless \
                 --timeout says otherwise).",
                FLOVI_WEBHOOKS,
            ),
            (
                CheckId::TamperedBody
                | CheckId::WrongSecret
                | CheckId::MissingSignature
                | CheckId::MalformedSignature,
                ProviderId::Fleiko,
            ) => (
                "\"Verify X-Fleiko-Signature against the secret. Reject if it doesn't match.\"",
                FLEIKO_QUICK_START,
            ),
            (
                CheckId::TamperedBody
                | CheckId::WrongSecret
                | CheckId::MissingSignature
                | CheckId::MalformedSignature,
                ProviderId::Flowella,
            ) => (
                "\"Each request is signed with an HMAC-SHA256 hex digest of the raw body, so \
                 verify the signature before processing.\"",
                FLOWELLA_WEBHOOKS,
            ),
            (
                CheckId::TamperedBody
                | CheckId::WrongSecret
                | CheckId::MissingSignature
                | CheckId::MalformedSignature,
                ProviderId::Flovi,
            ) => (
                "\"Compare it against your computed hash to confirm authenticity.\" (Flovi calls \
                 validation optional; an unverified endpoint acts on anyone's POST.)",
                "flovi.md, \"Webhook Security\"",
            ),
            (CheckId::StaleTimestamp | CheckId::FutureTimestamp, _) => (
                "\"Reject the request if |now - t| > 300 seconds (replay protection).\"",
                "fleiko.md, \"Signing algorithm\"",
            ),
            (CheckId::RotationSecondV1, _) => (
                "\"The header carries two v1= entries — your verification loop must iterate \
                 them rather than reading the first one only.\"",
                "fleiko.md, \"Signing algorithm\"",
            ),
            (CheckId::TimestampMismatch, _) => (
                "X-Fleiko-Timestamp is \"Same value as t= above\", and t= is what is signed: a \
                 handler should read t= from the signature header.",
                "fleiko.md, \"Request headers\"",
            ),
            (
                CheckId::RawSpacing
                | CheckId::RawUnicodeEscapes
                | CheckId::RawKeyOrder
                | CheckId::RawTrailingNewline,
                ProviderId::Fleiko,
            ) => (
                "\"Always use the raw request body, not a re-serialised JSON object.\"",
                "fleiko.md, \"Signing algorithm\"",
            ),
            (
                CheckId::RawSpacing
                | CheckId::RawUnicodeEscapes
                | CheckId::RawKeyOrder
                | CheckId::RawTrailingNewline,
                ProviderId::Flowella,
            ) => (
                "\"Compute the same digest with your signing secret and compare, signing over \
                 the raw bytes before any JSON parsing.\"",
                "flowella.md, FAQ \"How do I verify a webhook is genuine?\"",
            ),
            (
                CheckId::RawSpacing
                | CheckId::RawUnicodeEscapes
                | CheckId::RawKeyOrder
                | CheckId::RawTrailingNewline,
                ProviderId::Flovi,
            ) => (
                "\"Read the raw request body exactly as it was received, without any \
                 modifications.\"",
                "flovi.md, \"Calculating Signature\"",
            ),
            (CheckId::Duplicate, ProviderId::Fleiko) => (
                "X-Fleiko-Delivery: \"Same value repeats on retry — use it to dedupe.\" A retry \
                 must be acknowledged like the first delivery, or Fleiko keeps retrying.",
                "fleiko.md, \"Request headers\" and \"Deduplication\"",
            ),
            (CheckId::Duplicate, ProviderId::Flowella) => (
                "\"Because retries can repeat an event, use the event id as an idempotency key \
                 and treat duplicates as no-ops.\"",
                FLOWELLA_WEBHOOKS,
            ),
            (CheckId::Duplicate, ProviderId::Flovi) => (
                "Flovi's docs give events no id and say nothing of duplicates; a reservation \
                 enters each state once, so the same reservation and state twice is a repeat \
                 to acknowledge.",
                FLOVI_WEBHOOKS,
            ),
            (CheckId::UnknownEvent | CheckId::ExtraFields, ProviderId::Fleiko) => (
                "An answer other than 2xx is retried for about 33 hours (5xx) or dead-lettered \
                 (permanent 4xx), and counts toward auto-disable: acknowledge what you ignore.",
                "fleiko.md, \"Retries and dead-letter\"",
            ),
            (CheckId::UnknownEvent | CheckId::ExtraFields, ProviderId::Flowella) => (
                "Any answer other than a 2xx is retried and counts toward auto-disabling the \
                 endpoint after ten consecutive failures: acknowledge what you ignore.",
                FLOWELLA_WEBHOOKS,
            ),
            (CheckId::UnknownEvent | CheckId::ExtraFields | CheckId::LifecycleOrder, _) => (
                "Flovi lists the states a reservation goes through but promises no order of \
                 arrival, nor that the list is final: acknowledge what you do not expect, as \
                 an answer Flovi does not understand may lose the event.",
                FLOVI_WEBHOOKS,
            ),
        };
        (text.to_owned(), source.to_owned())
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CheckId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        CheckId::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(wanted)).ok_or_else(
            || {
                let known: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
                format!("unknown check {wanted:?}; the checks are: {}", known.join(", "))
            },
        )
    }
}
