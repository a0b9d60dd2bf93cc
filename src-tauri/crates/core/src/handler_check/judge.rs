//! What an answer means, twice over: to the check (did the handler do what the provider's docs
//! ask?) and to the provider (delivered, retried, dead-lettered, counted toward auto-disable).
//! Every number and phrase comes from the provider docs, and each reading names its section.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::outbound::{self, OutboundResponse, TransportError};
use crate::providers::{ProviderId, fleiko, flowella};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum CheckOutcome {
    Pass,
    Fail,
    /// Done, but not the way the provider's docs prefer (e.g. a 400 where 401 says more).
    Warning,
    /// Reported without a verdict: the docs leave the right answer open.
    Info,
    /// No answer arrived in time, so this check cannot tell (the timeout check says why).
    Inconclusive,
    /// Not run: it does not apply to this provider or delivery.
    Skipped,
}

impl CheckOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Pass => "pass",
            CheckOutcome::Fail => "fail",
            CheckOutcome::Warning => "warning",
            CheckOutcome::Info => "info",
            CheckOutcome::Inconclusive => "inconclusive",
            CheckOutcome::Skipped => "skipped",
        }
    }

    /// Which of two outcomes a check with several requests reports.
    pub(crate) fn worst(self, other: CheckOutcome) -> CheckOutcome {
        let rank = |o: CheckOutcome| match o {
            CheckOutcome::Fail => 5,
            CheckOutcome::Inconclusive => 4,
            CheckOutcome::Warning => 3,
            CheckOutcome::Info => 2,
            CheckOutcome::Pass => 1,
            CheckOutcome::Skipped => 0,
        };
        if rank(other) > rank(self) { other } else { self }
    }
}

/// The provider's reading of one answer, with the doc section it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderReading {
    pub text: String,
    /// The provider doc and section that say so, e.g. `fleiko.md, "Retries and dead-letter"`.
    pub source: String,
}

/// What came back, as far as a provider tells answers apart.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Status(u16),
    /// No complete answer within the timeout.
    Timeout {
        secs: f64,
    },
    /// Refused, reset, DNS, TLS...: the message says which.
    Failed(String),
}

impl Answer {
    pub fn of(response: &OutboundResponse) -> Answer {
        match (&response.error, response.status) {
            (Some(TransportError::Timeout { secs, .. }), _) => Answer::Timeout { secs: *secs },
            (Some(error), _) => Answer::Failed(error.to_string()),
            (None, Some(status)) => Answer::Status(status),
            (None, None) => Answer::Failed("no answer".to_owned()),
        }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, Answer::Status(s) if (200..300).contains(s))
    }

    /// `401 Unauthorized`, `no answer within 2 s`, or the transport failure.
    pub fn describe(&self) -> String {
        match self {
            Answer::Status(status) => status_text(*status),
            Answer::Timeout { secs } => format!("no answer within {} s", secs_text(*secs)),
            Answer::Failed(error) => error.clone(),
        }
    }
}

pub(crate) fn status_text(status: u16) -> String {
    match outbound::reason_phrase(status) {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

pub(crate) fn secs_text(secs: f64) -> String {
    if secs.fract() == 0.0 { format!("{secs:.0}") } else { format!("{secs}") }
}

pub(crate) const FLEIKO_QUICK_START: &str = "fleiko.md, \"Quick start\"";
pub(crate) const FLEIKO_RETRIES: &str = "fleiko.md, \"Retries and dead-letter\"";
pub(crate) const FLOWELLA_WEBHOOKS: &str = "flowella.md, \"Outbound webhooks\"";
pub(crate) const FLOVI_WEBHOOKS: &str = "flovi.md, \"Webhook: reservation_status_change\"";

/// What the provider does with `answer` to attempt number `attempt` (1-based) of a delivery.
pub fn reading(provider: ProviderId, answer: &Answer, attempt: u32) -> ProviderReading {
    match provider {
        ProviderId::Fleiko => fleiko_reading(answer, attempt),
        ProviderId::Flowella => flowella_reading(answer, attempt),
        ProviderId::Flovi => flovi_reading(answer),
    }
}

fn fleiko_reading(answer: &Answer, attempt: u32) -> ProviderReading {
    let disable = format!(
        "each failure counts toward auto-disabling the endpoint after {} consecutive failures",
        fleiko::AUTO_DISABLE_AFTER_FAILURES
    );
    let retried = |why: String| ProviderReading {
        text: format!("{why}: Fleiko {}, and {disable}.", fleiko_retries_left(attempt)),
        source: FLEIKO_RETRIES.to_owned(),
    };
    match answer {
        Answer::Status(s) if (200..300).contains(s) => ProviderReading {
            text: format!("Fleiko counts a {s} as delivered."),
            source: FLEIKO_QUICK_START.to_owned(),
        },
        Answer::Status(s) if fleiko::is_permanent_failure(*s) => {
            let codes: Vec<String> =
                fleiko::PERMANENT_FAILURE_STATUSES.iter().map(ToString::to_string).collect();
            ProviderReading {
                text: format!(
                    "{s} is one of Fleiko's permanent 4xx codes ({}): Fleiko dead-letters the \
                     delivery at once, without retrying (\"we trust you when you tell us we'll \
                     never succeed\"); it comes back only if replayed by hand from Fleiko's \
                     deliveries log.",
                    codes.join(", ")
                ),
                source: FLEIKO_RETRIES.to_owned(),
            }
        }
        Answer::Status(s @ (408 | 429)) => {
            retried(format!("Fleiko treats {s} as transient, not permanent"))
        }
        Answer::Status(s @ 500..=599) => retried(format!("A {s} is a server error")),
        Answer::Status(s) => retried(format!(
            "{s} is neither a 2xx nor one of the permanent 4xx codes, and Fleiko's quick start \
             says anything else triggers a retry"
        )),
        Answer::Timeout { secs } => retried(format!(
            "No answer within {} s is a timeout (Fleiko waits {} s unless the endpoint sets up \
             to 30 s)",
            secs_text(*secs),
            fleiko::DEFAULT_TIMEOUT_SECS
        )),
        Answer::Failed(_) => retried("A network-level failure".to_owned()),
    }
}

/// "retries six more times over about 33 hours (after 1 m, 5 m, ...), then dead-letters it".
fn fleiko_retries_left(attempt: u32) -> String {
    let attempt = attempt.max(1);
    let left: Vec<u64> =
        (attempt + 1..=fleiko::MAX_ATTEMPTS).filter_map(fleiko::retry_delay_secs).collect();
    if left.is_empty() {
        return format!(
            "makes no further attempt (this was attempt {attempt} of {}) and dead-letters the \
             delivery",
            fleiko::MAX_ATTEMPTS
        );
    }
    let steps: Vec<String> = left.iter().map(|s| duration_text(*s)).collect();
    format!(
        "retries {} more time{} over about {} (after {}), then dead-letters it",
        number_word(left.len()),
        if left.len() == 1 { "" } else { "s" },
        about(left.iter().sum()),
        join_and(&steps)
    )
}

fn flowella_reading(answer: &Answer, attempt: u32) -> ProviderReading {
    let source = FLOWELLA_WEBHOOKS.to_owned();
    let why = match answer {
        Answer::Status(s) if (200..300).contains(s) => {
            return ProviderReading {
                text: format!("Flowella counts a {s} as delivered."),
                source,
            };
        }
        Answer::Status(s) => format!(
            "A {s} is not the 2xx Flowella waits for, and its docs exempt no status code from \
             retries"
        ),
        Answer::Timeout { .. } => format!(
            "No 2xx within {} seconds (Flowella's wait) is a failure",
            flowella::TIMEOUT_SECS
        ),
        Answer::Failed(_) => "A network-level failure is a failure".to_owned(),
    };
    let used = attempt.max(1) - 1;
    let left = flowella::MAX_RETRIES.saturating_sub(used);
    let retries = if left == 0 {
        format!("has used its {} retries and stops", number_word(flowella::MAX_RETRIES as usize))
    } else if used == 0 {
        format!("retries up to {} times with backoff", number_word(left as usize))
    } else {
        format!("retries up to {} more time{}", number_word(left as usize), plural(left))
    };
    ProviderReading {
        text: format!(
            "{why}: Flowella {retries}, and auto-disables the endpoint after {} consecutive \
             failures.",
            number_word(flowella::AUTO_DISABLE_AFTER_FAILURES as usize)
        ),
        source,
    }
}

fn flovi_reading(answer: &Answer) -> ProviderReading {
    let source = FLOVI_WEBHOOKS.to_owned();
    match answer {
        Answer::Status(s) if (200..300).contains(s) => {
            ProviderReading { text: format!("Flovi counts a {s} as delivered."), source }
        }
        other => ProviderReading {
            text: format!(
                "Flovi's docs say nothing about retries or about what a failed delivery means, \
                 so assume {} loses the event: Flovi may never send it again.",
                match other {
                    Answer::Status(s) => format!("a {s}"),
                    Answer::Timeout { .. } => "a timeout".to_owned(),
                    Answer::Failed(_) => "a network failure".to_owned(),
                }
            ),
            source,
        },
    }
}

/// What a check wants from the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A 2xx.
    Accept,
    /// Anything but a 2xx; 401 or 403 preferred.
    Reject,
    /// Whatever it does is reported, not judged.
    Report,
}

/// The check's verdict on one answer and a short sentence saying what the handler did.
pub fn judge(provider: ProviderId, expect: Expect, answer: &Answer) -> (CheckOutcome, String) {
    let said = answer.describe();
    match (expect, answer) {
        (_, Answer::Timeout { .. }) if expect != Expect::Report => (
            CheckOutcome::Inconclusive,
            format!("{said}, so this cannot tell (see the timeout check)"),
        ),
        (Expect::Report, _) if answer.is_success() => {
            (CheckOutcome::Info, format!("accepted ({said})"))
        }
        (Expect::Report, Answer::Status(_)) => (CheckOutcome::Info, format!("rejected ({said})")),
        (Expect::Report, _) => (CheckOutcome::Info, format!("no answer: {said}")),
        (Expect::Accept, _) if answer.is_success() => {
            (CheckOutcome::Pass, format!("accepted ({said})"))
        }
        (Expect::Accept, Answer::Status(_)) => {
            (CheckOutcome::Fail, format!("answered {said}, not a 2xx"))
        }
        (Expect::Accept, _) => (CheckOutcome::Fail, format!("no answer: {said}")),
        (Expect::Reject, _) if answer.is_success() => {
            (CheckOutcome::Fail, format!("accepted it ({said}): the handler would act on it"))
        }
        (Expect::Reject, Answer::Status(401 | 403)) => {
            (CheckOutcome::Pass, format!("rejected ({said})"))
        }
        (Expect::Reject, Answer::Status(s @ 400..=499)) => (
            CheckOutcome::Warning,
            format!(
                "rejected with {said}; a 401 or 403 says why (and {s} means {})",
                short_reading(provider, *s)
            ),
        ),
        (Expect::Reject, Answer::Status(s)) => (
            CheckOutcome::Warning,
            format!(
                "rejected, but with {said}: {} reads that as its own failure to retry, not as \
                 \"this is not genuine\" ({})",
                provider.name(),
                short_reading(provider, *s)
            ),
        ),
        (Expect::Reject, _) => {
            (CheckOutcome::Warning, format!("not accepted, but not answered either: {said}"))
        }
    }
}

/// A few words on what `status` makes the provider do, for a verdict's sentence.
fn short_reading(provider: ProviderId, status: u16) -> String {
    match provider {
        ProviderId::Fleiko if fleiko::is_permanent_failure(status) => {
            "an immediate dead-letter to Fleiko".to_owned()
        }
        ProviderId::Fleiko => format!(
            "Fleiko retries it {} more times over about {}",
            fleiko::MAX_ATTEMPTS - 1,
            about(fleiko::RETRY_SCHEDULE_SECS.iter().sum())
        ),
        ProviderId::Flowella => format!(
            "Flowella retries it up to {} times",
            number_word(flowella::MAX_RETRIES as usize)
        ),
        ProviderId::Flovi => "an unknown outcome to Flovi, whose docs name no retries".to_owned(),
    }
}

/// `1 m`, `2 h`, `24 h`, `90 s`.
pub(crate) fn duration_text(secs: u64) -> String {
    match secs {
        0 => "0 s".to_owned(),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} m", s / 60),
        s => format!("{s} s"),
    }
}

/// A rounded span: "33 hours", "36 minutes", "40 seconds".
pub(crate) fn about(secs: u64) -> String {
    let (n, unit) = if secs >= 2 * 3600 {
        ((secs as f64 / 3600.0).round() as u64, "hour")
    } else if secs >= 120 {
        ((secs as f64 / 60.0).round() as u64, "minute")
    } else {
        (secs, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(crate) fn number_word(n: usize) -> String {
    const WORDS: [&str; 11] =
        ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    WORDS.get(n).map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_422_on_a_valid_fleiko_delivery_dead_letters_at_once() {
        let r = reading(ProviderId::Fleiko, &Answer::Status(422), 1);
        assert!(r.text.contains("dead-letters the delivery at once"), "{}", r.text);
        assert!(r.text.contains("400, 401, 403, 404, 405, 410, 415, 422, 451"), "{}", r.text);
        assert_eq!(r.source, FLEIKO_RETRIES);
    }

    #[test]
    fn a_500_makes_fleiko_retry_six_more_times_over_about_33_hours() {
        let r = reading(ProviderId::Fleiko, &Answer::Status(500), 1);
        assert!(r.text.contains("retries six more times over about 33 hours"), "{}", r.text);
        assert!(r.text.contains("after 1 m, 5 m, 30 m, 2 h, 6 h and 24 h"), "{}", r.text);
        assert!(r.text.contains("after 25 consecutive failures"), "{}", r.text);
        let last = reading(ProviderId::Fleiko, &Answer::Status(503), 7);
        assert!(last.text.contains("makes no further attempt"), "{}", last.text);
        let sixth = reading(ProviderId::Fleiko, &Answer::Status(502), 6);
        assert!(sixth.text.contains("retries one more time over about 24 hours"), "{}", sixth.text);
    }

    #[test]
    fn fleiko_retries_408_429_timeouts_and_codes_on_neither_list() {
        for answer in [
            Answer::Status(408),
            Answer::Status(429),
            Answer::Status(409),
            Answer::Status(302),
            Answer::Timeout { secs: 10.0 },
            Answer::Failed("connection refused".into()),
        ] {
            let r = reading(ProviderId::Fleiko, &answer, 1);
            assert!(r.text.contains("retries six more times"), "{answer:?}: {}", r.text);
            assert!(!r.text.contains("dead-letters the delivery at once"), "{answer:?}");
        }
        assert!(reading(ProviderId::Fleiko, &Answer::Status(429), 1).text.contains("transient"));
        assert!(reading(ProviderId::Fleiko, &Answer::Status(204), 1).text.contains("delivered"));
    }

    #[test]
    fn flowella_retries_three_times_and_disables_after_ten() {
        let r = reading(ProviderId::Flowella, &Answer::Status(401), 1);
        assert!(r.text.contains("retries up to three times with backoff"), "{}", r.text);
        assert!(r.text.contains("after ten consecutive failures"), "{}", r.text);
        assert_eq!(r.source, FLOWELLA_WEBHOOKS);
        let last = reading(ProviderId::Flowella, &Answer::Timeout { secs: 10.0 }, 4);
        assert!(last.text.contains("has used its three retries"), "{}", last.text);
        let ok = reading(ProviderId::Flowella, &Answer::Status(200), 1);
        assert!(ok.text.contains("delivered"), "{}", ok.text);
    }

    #[test]
    fn flovi_names_no_retries() {
        let r = reading(ProviderId::Flovi, &Answer::Status(500), 1);
        assert!(r.text.contains("say nothing about retries"), "{}", r.text);
        assert_eq!(r.source, FLOVI_WEBHOOKS);
    }

    #[test]
    fn verdicts_follow_what_each_check_expects() {
        let p = ProviderId::Fleiko;
        assert_eq!(judge(p, Expect::Accept, &Answer::Status(200)).0, CheckOutcome::Pass);
        assert_eq!(judge(p, Expect::Accept, &Answer::Status(422)).0, CheckOutcome::Fail);
        assert_eq!(
            judge(p, Expect::Accept, &Answer::Failed("refused".into())).0,
            CheckOutcome::Fail
        );
        assert_eq!(judge(p, Expect::Reject, &Answer::Status(401)).0, CheckOutcome::Pass);
        assert_eq!(judge(p, Expect::Reject, &Answer::Status(403)).0, CheckOutcome::Pass);
        assert_eq!(judge(p, Expect::Reject, &Answer::Status(400)).0, CheckOutcome::Warning);
        assert_eq!(judge(p, Expect::Reject, &Answer::Status(500)).0, CheckOutcome::Warning);
        assert_eq!(judge(p, Expect::Reject, &Answer::Status(204)).0, CheckOutcome::Fail);
        assert_eq!(judge(p, Expect::Report, &Answer::Status(401)).0, CheckOutcome::Info);
        let slow = Answer::Timeout { secs: 1.0 };
        assert_eq!(judge(p, Expect::Accept, &slow).0, CheckOutcome::Inconclusive);
        assert_eq!(judge(p, Expect::Reject, &slow).0, CheckOutcome::Inconclusive);
        let (_, said) = judge(p, Expect::Reject, &Answer::Status(500));
        assert!(said.contains("retries it 6 more times over about 33 hours"), "{said}");
    }

    #[test]
    fn the_worst_outcome_wins() {
        assert_eq!(CheckOutcome::Pass.worst(CheckOutcome::Fail), CheckOutcome::Fail);
        assert_eq!(CheckOutcome::Warning.worst(CheckOutcome::Pass), CheckOutcome::Warning);
        assert_eq!(CheckOutcome::Fail.worst(CheckOutcome::Inconclusive), CheckOutcome::Fail);
    }
}
