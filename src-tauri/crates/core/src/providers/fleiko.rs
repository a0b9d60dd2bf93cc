//! Fleiko Dispatch: job events in a common envelope, signed Stripe-style:
//! `X-Fleiko-Signature: t=<unix>,v1=<hex>[,v1=<hex>]` over `${t}.${rawBody}`.
//!
//! The docs contradict themselves on rotation: one section says both the new and the previous
//! secret sign every delivery for 24 h (two `v1` entries), another that the old secret stops
//! working at once. Either way every `v1` is walked against every configured secret.
//! They also say "anything else" than a 2xx triggers a retry, but list only 5xx, timeouts and
//! network errors as retried and a set of 4xx as permanent: codes on neither list (3xx, 409...)
//! are read as retried, since that is what "anything else" says and the permanent list is closed.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::Depth;
use super::json::{self, Doc, get, text_any};
use super::signature::{self, Candidate};
use super::{
    Decoded, DecodedField, DecodedView, FailureReason, Provider, ProviderId, RequestView, Sample,
    SignatureStatus, Verification, VerifyOptions,
};

pub const SIGNATURE_HEADER: &str = "X-Fleiko-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Fleiko-Timestamp";
pub const EVENT_HEADER: &str = "X-Fleiko-Event";
pub const DELIVERY_HEADER: &str = "X-Fleiko-Delivery";
pub const ATTEMPT_HEADER: &str = "X-Fleiko-Delivery-Attempt";
pub const USER_AGENT: &str = "Fleiko-Webhooks/1.0";

pub const EVENT_TYPES: [&str; 7] = [
    "job.created",
    "job.assigned",
    "job.status_changed",
    "job.completed",
    "job.cancelled",
    "customer_portal.booking_created",
    "test.ping",
];

/// Delay before each attempt, in seconds: attempt 1 is immediate, attempt 7 comes 24 h after
/// attempt 6. After attempt 7 the delivery is dead-lettered.
pub const RETRY_SCHEDULE_SECS: [u64; 7] = [0, 60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 24 * 3600];
pub const MAX_ATTEMPTS: u32 = RETRY_SCHEDULE_SECS.len() as u32;
/// 4xx answers that dead-letter a delivery at once.
pub const PERMANENT_FAILURE_STATUSES: [u16; 9] = [400, 401, 403, 404, 405, 410, 415, 422, 451];
/// Consecutive failures after which Fleiko disables the endpoint.
pub const AUTO_DISABLE_AFTER_FAILURES: u32 = 25;
/// How long Fleiko waits for an answer unless the endpoint configures up to 30 s.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

pub fn is_permanent_failure(status: u16) -> bool {
    PERMANENT_FAILURE_STATUSES.contains(&status)
}

/// The delay before `attempt` (1-based), or `None` past the last attempt.
pub fn retry_delay_secs(attempt: u32) -> Option<u64> {
    let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
    RETRY_SCHEDULE_SECS.get(index).copied()
}

/// What Fleiko does when `attempt` (1-based) is answered with `status`.
pub fn response_meaning(status: u16, attempt: u32) -> String {
    let attempt = attempt.max(1);
    let next = attempt.saturating_add(1);
    if (200..300).contains(&status) {
        return "2xx: done".to_owned();
    }
    if is_permanent_failure(status) {
        return format!("dead-lettered: {status} is permanent");
    }
    let why = match status {
        408 | 429 => format!("{status} is transient"),
        500..=599 => format!("{status} is a server error"),
        _ => format!("{status} is not a 2xx and not on the permanent list"),
    };
    match retry_delay_secs(next) {
        Some(delay) => {
            format!("will retry in {} (attempt {next} of {MAX_ATTEMPTS}): {why}", duration(delay),)
        }
        None => format!(
            "dead-lettered: attempt {attempt} of {MAX_ATTEMPTS} failed ({why}); replay it from \
             Fleiko's deliveries log"
        ),
    }
}

fn duration(secs: u64) -> String {
    match secs {
        0 => "0 s".to_owned(),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} m", s / 60),
        s => format!("{s} s"),
    }
}

pub struct Fleiko;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FleikoEvent {
    /// Envelope `id`: the same on every retry; the dedupe key.
    pub id: Option<String>,
    pub event_type: Option<String>,
    /// Whether `event_type` is one of the documented [`EVENT_TYPES`].
    pub type_known: bool,
    /// Unix seconds.
    #[ts(type = "number | null")]
    pub created: Option<i64>,
    pub company_id: Option<String>,
    pub api_version: Option<String>,
    pub job_id: Option<String>,
    pub job_reference: Option<String>,
    pub status: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub driver: Option<String>,
    pub reason: Option<String>,
    pub reason_category: Option<String>,
    pub booking_id: Option<String>,
    pub customer: Option<String>,
    pub message: Option<String>,
    /// Every field of `data`, since the docs do not describe them.
    pub fields: Vec<DecodedField>,
}

/// What `X-Fleiko-Signature` says, before any secret is involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedSignature {
    pub t: i64,
    /// `t` as written: the signed payload starts with exactly these characters.
    pub t_text: String,
    pub v1: Vec<String>,
    pub notes: Vec<String>,
}

pub(crate) fn parse_signature(value: &str) -> Result<ParsedSignature, FailureReason> {
    let malformed = |detail: &str| FailureReason::MalformedHeader { detail: detail.to_owned() };
    let mut t: Option<(i64, String)> = None;
    let mut v1 = Vec::new();
    let mut v0 = 0;
    let mut others: Vec<String> = Vec::new();
    let mut spaced = false;
    let mut notes = Vec::new();
    for pair in value.split(',') {
        if pair.trim().is_empty() {
            continue;
        }
        if pair.trim() != pair {
            spaced = true;
        }
        let Some((key, val)) = pair.split_once('=') else {
            notes.push(format!("Ignored an entry without '=': {:?}.", json::truncate(pair, 40)));
            continue;
        };
        if key.trim() != key || val.trim() != val {
            spaced = true;
        }
        let (key, val) = (key.trim(), val.trim());
        match key {
            "t" => {
                let parsed = val.parse::<i64>().map_err(|_| malformed("t is not a number"))?;
                if let Some((previous, _)) = &t
                    && *previous != parsed
                {
                    return Err(malformed("two different t= entries"));
                }
                t = Some((parsed, val.to_owned()));
            }
            "v1" => v1.push(val.to_owned()),
            "v0" => v0 += 1,
            other => others.push(other.to_owned()),
        }
    }
    let (t, t_text) = t.ok_or_else(|| malformed("no t= entry"))?;
    if v1.is_empty() {
        return Err(match (v0, others.first()) {
            (1.., _) => FailureReason::UnsupportedScheme { scheme: "v0".to_owned() },
            (0, Some(other)) if other.starts_with('v') => {
                FailureReason::UnsupportedScheme { scheme: other.clone() }
            }
            _ => malformed("no v1= entry"),
        });
    }
    if spaced {
        notes.push(
            "The header has spaces after commas or around '='; tolerated, as the docs' own \
             parsers trim them."
                .to_owned(),
        );
    }
    if v0 > 0 {
        notes.push(format!("Ignored {v0} v0= entr{} (not Fleiko's scheme).", plural_y(v0)));
    }
    if !others.is_empty() {
        notes.push(format!("Ignored unknown entries: {}.", others.join(", ")));
    }
    Ok(ParsedSignature { t, t_text, v1, notes })
}

fn plural_y(n: usize) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "1st".to_owned(),
        2 => "2nd".to_owned(),
        3 => "3rd".to_owned(),
        n => format!("{n}th"),
    }
}

impl Provider for Fleiko {
    fn id(&self) -> ProviderId {
        ProviderId::Fleiko
    }

    fn detect(&self, req: &RequestView) -> u8 {
        let mut score: u32 = 0;
        if req.header(SIGNATURE_HEADER).is_some() {
            score += 90;
        } else if req
            .headers
            .iter()
            .any(|(n, _)| n.len() >= 9 && n[..9].eq_ignore_ascii_case(b"x-fleiko-"))
        {
            score += 70;
        }
        if req
            .header_text("user-agent")
            .is_some_and(|ua| ua.to_ascii_lowercase().starts_with("fleiko-webhooks"))
        {
            score += 60;
        }
        if let Some(body) = json::parse_for_detect(req.body) {
            let envelope = ["id", "type", "created", "company_id", "api_version", "data"]
                .iter()
                .filter(|k| get(&body, k).is_some())
                .count();
            let known =
                text_any(&body, &["type"]).is_some_and(|t| EVENT_TYPES.contains(&t.as_str()));
            if envelope >= 5 && known {
                score += 50;
            } else if get(&body, "company_id").is_some() && envelope >= 4 {
                score += 30;
            }
        }
        score.min(100) as u8
    }

    fn verify(&self, req: &RequestView, opts: &VerifyOptions) -> Verification {
        let headers: Vec<(String, String)> = req
            .headers_named(SIGNATURE_HEADER)
            .map(|(n, v)| (signature::lossy(n), signature::lossy(v)))
            .collect();
        let Some((header, _)) = headers.first() else {
            return Verification::new(
                SignatureStatus::Unsigned,
                "No X-Fleiko-Signature header: this delivery is not signed. Fleiko signs every \
                 webhook, so it may not come from Fleiko.",
            );
        };
        let header = header.clone();
        let joined: Vec<&str> = headers.iter().map(|(_, v)| v.as_str()).collect();
        let parsed = match parse_signature(&joined.join(",")) {
            Ok(parsed) => parsed,
            Err(FailureReason::MalformedHeader { detail }) => {
                return signature::malformed(&header, detail);
            }
            Err(FailureReason::UnsupportedScheme { scheme }) => {
                let mut v = signature::unsupported(self.id(), &header, scheme.clone());
                v.explanation = format!(
                    "The X-Fleiko-Signature header carries only {scheme} signatures; Fleiko \
                     signs with v1 (HMAC-SHA256 over t.body), so there is nothing to check."
                );
                return v;
            }
            Err(other) => {
                let mut v = Verification::new(SignatureStatus::Invalid, other.to_string());
                v.reason = Some(other);
                return v;
            }
        };

        let mut notes = parsed.notes.clone();
        if headers.len() > 1 {
            notes.push(format!("{} X-Fleiko-Signature headers were combined.", headers.len()));
        }
        let mut candidates = Vec::new();
        let mut first_error = None;
        for (i, value) in parsed.v1.iter().enumerate() {
            match signature::parse_hex_digest(value, "v1") {
                Ok(digest) => {
                    let mut c_notes = Vec::new();
                    if parsed.v1.len() > 1 {
                        c_notes.push(format!(
                            "Matched the {} of {} v1 values (several v1 entries mean a secret \
                             rotation is in progress).",
                            ordinal(i + 1),
                            parsed.v1.len()
                        ));
                    }
                    candidates.push(Candidate { header: header.clone(), digest, notes: c_notes });
                }
                Err(detail) => {
                    first_error.get_or_insert(detail);
                }
            }
        }
        if candidates.is_empty() {
            let detail = first_error.unwrap_or_else(|| "no v1= entry".to_owned());
            let mut v = signature::malformed(&header, detail);
            v.signed_at = Some(parsed.t);
            v.notes = notes;
            return v;
        }
        if let Some(detail) = first_error {
            notes.push(format!("Ignored a v1 entry that is unusable: {detail}."));
        }

        let skew = opts.now.saturating_sub(parsed.t);
        let outside = skew.unsigned_abs() > opts.tolerance_secs;
        let timestamp_header = req.header(TIMESTAMP_HEADER).map(signature::lossy);
        let mismatch = timestamp_header
            .as_ref()
            .filter(|ts| ts.trim().parse::<i64>().ok() != Some(parsed.t))
            .cloned();
        if timestamp_header.is_none() {
            notes.push("No X-Fleiko-Timestamp header (the docs say it is always sent).".to_owned());
        }

        if opts.secrets.is_empty() {
            let mut v = signature::unchecked(self.id(), &header);
            v.signed_at = Some(parsed.t);
            v.notes = notes;
            if outside {
                v.notes.push(window_sentence(skew, opts.tolerance_secs));
            }
            if let Some(ts) = &mismatch {
                v.notes.push(mismatch_sentence(parsed.t, ts));
            }
            return v;
        }

        let t_text = parsed.t_text.clone();
        let mac = move |key: &[u8], body: &[u8]| {
            signature::hmac_sha256(key, &[t_text.as_bytes(), b".", body])
        };
        let mut v = match signature::find_match(opts.secrets, &candidates, req.body, &mac) {
            Some(found) => {
                let mut v = signature::valid(self.id(), opts.secrets, &candidates, found);
                if let Some(ts) = mismatch {
                    v.status = SignatureStatus::Invalid;
                    v.explanation = format!(
                        "The signature is genuine, but {} The docs say both always carry the \
                         same value, so one of them was altered.",
                        mismatch_sentence(parsed.t, &ts)
                    );
                    v.reason = Some(FailureReason::TimestampMismatch {
                        header_t: parsed.t,
                        timestamp_header: ts,
                    });
                } else if outside {
                    v.status = SignatureStatus::Invalid;
                    v.explanation = format!(
                        "The signature is genuine, but {} Fleiko's replay protection rejects it: \
                         a stale or replayed delivery, or a clock out of sync.",
                        window_sentence(skew, opts.tolerance_secs)
                    );
                    v.reason = Some(FailureReason::TimestampOutsideWindow {
                        skew_secs: skew,
                        tolerance_secs: opts.tolerance_secs,
                    });
                } else {
                    let side = if skew >= 0 { "before" } else { "after" };
                    v.explanation = format!(
                        "Signed by Fleiko with the {} secret at t={} ({} s {side} the check, \
                         within the {} s window); the body is byte-for-byte what was signed.",
                        opts.secrets[found.secret].label,
                        parsed.t,
                        skew.unsigned_abs(),
                        opts.tolerance_secs
                    );
                }
                v
            }
            None => {
                let diagnosis = signature::diagnose(opts.secrets, &candidates, req.body, &mac);
                let mut v = signature::invalid(self.id(), opts.secrets, &candidates, diagnosis);
                if outside {
                    v.notes.push(format!("Also: {}", window_sentence(skew, opts.tolerance_secs)));
                }
                if let Some(ts) = &mismatch {
                    v.notes.push(format!("Also: {}", mismatch_sentence(parsed.t, ts)));
                }
                v
            }
        };
        v.signed_at = Some(parsed.t);
        v.notes.extend(notes);
        v
    }

    fn decode(&self, req: &RequestView) -> Decoded {
        decode_with(req, Depth::Full)
    }

    fn identify(&self, req: &RequestView) -> Decoded {
        decode_with(req, Depth::Brief)
    }

    fn sign(&self, body: &[u8], secrets: &[&[u8]], now: i64) -> Vec<(String, String)> {
        if secrets.is_empty() {
            return Vec::new();
        }
        let t = now.to_string();
        let mut value = format!("t={t}");
        for secret in secrets {
            let digest = signature::hmac_sha256(secret, &[t.as_bytes(), b".", body]);
            value.push_str(",v1=");
            value.push_str(&hex::encode(digest));
        }
        vec![(SIGNATURE_HEADER.to_owned(), value), (TIMESTAMP_HEADER.to_owned(), t)]
    }

    fn samples(&self) -> Vec<Sample> {
        let sample = |event: &str, delivery: &str, description: &str, body: &str| Sample {
            provider: ProviderId::Fleiko,
            event: event.to_owned(),
            description: description.to_owned(),
            body: body.to_owned(),
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("User-Agent".to_owned(), USER_AGENT.to_owned()),
                (EVENT_HEADER.to_owned(), event.to_owned()),
                (DELIVERY_HEADER.to_owned(), delivery.to_owned()),
                (ATTEMPT_HEADER.to_owned(), "1".to_owned()),
            ],
        };
        vec![
            sample(
                "job.created",
                "dlv_01HZX3K2J8Q4R7N6M5P2A1B0C9",
                "A dispatch job is created.",
                include_str!("samples/fleiko_job_created.json"),
            ),
            sample(
                "job.assigned",
                "dlv_01HZX3M9V2T6W8Y0Z1A3C5E7G9",
                "A driver is assigned to a job.",
                include_str!("samples/fleiko_job_assigned.json"),
            ),
            sample(
                "job.status_changed",
                "dlv_01HZX3P4D6F8H0J2K4M6N8Q0S2",
                "Any status transition; includes from_status and to_status.",
                include_str!("samples/fleiko_job_status_changed.json"),
            ),
            sample(
                "job.completed",
                "dlv_01HZX3R7U9W1Y3A5C7E9G1J3L5",
                "A job reaches terminal completed status (job.status_changed also fires).",
                include_str!("samples/fleiko_job_completed.json"),
            ),
            sample(
                "job.cancelled",
                "dlv_01HZX3T2N4Q6S8U0W2Y4A6C8E0",
                "A job is cancelled; includes reason and reason_category.",
                include_str!("samples/fleiko_job_cancelled.json"),
            ),
            sample(
                "customer_portal.booking_created",
                "dlv_01HZX3V5G7J9L1N3Q5S7U9W1Y3",
                "A customer creates a job via the self-serve portal.",
                include_str!("samples/fleiko_customer_portal_booking_created.json"),
            ),
            sample(
                "test.ping",
                "dlv_01HZX3X8A0C2E4G6J8L0N2Q4S6",
                "Fired by the \"Test\" button in Fleiko's settings to check the receiver.",
                include_str!("samples/fleiko_test_ping.json"),
            ),
        ]
    }
}

fn window_sentence(skew: i64, tolerance: u64) -> String {
    let side = if skew >= 0 { "in the past" } else { "in the future" };
    format!(
        "t is {} s {side}, outside the {tolerance} s window (by {} s).",
        skew.unsigned_abs(),
        skew.unsigned_abs().saturating_sub(tolerance)
    )
}

fn mismatch_sentence(t: i64, timestamp_header: &str) -> String {
    format!(
        "X-Fleiko-Timestamp is {:?} while the signature's t is {t}.",
        json::truncate(timestamp_header, 40)
    )
}

/// Reads the documented envelope and the fields the event descriptions promise. `data` is
/// otherwise undocumented, so several plausible spellings are tried.
fn decode_with(req: &RequestView, depth: Depth) -> Decoded {
    let mut decoded = Decoded {
        delivery_id: req.header_text(DELIVERY_HEADER).filter(|d| !d.is_empty()),
        ..Decoded::default()
    };
    if let Some(raw) = req.header_text(ATTEMPT_HEADER) {
        match raw.parse::<u32>() {
            Ok(n) => decoded.attempt = Some(n),
            Err(_) => {
                decoded.notes.push(format!("X-Fleiko-Delivery-Attempt {raw:?} is not a number."))
            }
        }
    }
    let header_event = req.header_text(EVENT_HEADER).filter(|e| !e.is_empty());
    let mut e = FleikoEvent::default();
    // A brief look reads the envelope and objects only, never inside arrays.
    match depth {
        Depth::Full => {
            let parsed = json::parse_lenient(req.body);
            if let Some(body) = read_body(parsed, &mut e, &mut decoded.notes, depth)
                && body.is_object()
            {
                e.fields = json::flatten(get(&body, "data").unwrap_or(&Value::Null), 60);
            }
        }
        Depth::Brief => {
            let parsed = json::parse_lenient_brief(req.body);
            read_body(parsed, &mut e, &mut decoded.notes, depth);
        }
    }
    match (&e.event_type, &header_event) {
        (Some(body_type), Some(h)) if body_type != h => decoded.notes.push(format!(
            "X-Fleiko-Event says '{h}' but the body's type is '{body_type}'; the body wins."
        )),
        (None, Some(h)) => e.event_type = Some(h.clone()),
        _ => {}
    }
    if let Some(t) = &e.event_type {
        e.type_known = EVENT_TYPES.contains(&t.as_str());
        if !e.type_known {
            decoded.notes.push(format!("Unknown event type '{t}': shown raw."));
        }
    }
    match e.event_type.as_deref() {
        Some("job.status_changed") if e.from_status.is_none() || e.to_status.is_none() => {
            decoded.notes.push(
                "job.status_changed without from_status and to_status (the docs say it \
                 includes both)."
                    .to_owned(),
            );
        }
        Some("job.cancelled") if e.reason.is_none() || e.reason_category.is_none() => {
            decoded.notes.push(
                "job.cancelled without reason and reason_category (the docs say it \
                 includes both)."
                    .to_owned(),
            );
        }
        _ => {}
    }
    decoded.event_type = e.event_type.clone();
    decoded.event_id = e.id.clone();
    if decoded.event_id.is_none() {
        decoded.notes.push(
            "No envelope id: the docs recommend deduplicating on it; X-Fleiko-Delivery is \
             the fallback."
                .to_owned(),
        );
    }
    decoded.summary = Some(summary(&e, decoded.attempt));
    decoded.view = Some(DecodedView::FleikoEvent(e));
    decoded
}

/// Notes how the body parsed and reads its envelope; returns the body when it is JSON.
fn read_body<D: Doc>(
    parsed: Result<(D, bool), String>,
    e: &mut FleikoEvent,
    notes: &mut Vec<String>,
    depth: Depth,
) -> Option<D> {
    match parsed {
        Ok((body, lenient)) => {
            if lenient {
                notes.push(
                    "The body is not strict JSON (comments, placeholders or trailing commas); \
                     decoded leniently."
                        .to_owned(),
                );
            }
            envelope(&body, e, notes, depth);
            Some(body)
        }
        Err(error) => {
            notes.push(format!("The body is not JSON ({error}); shown raw."));
            None
        }
    }
}

/// Reads the envelope from a full body or a brief one: the same rules either way.
fn envelope<D: Doc>(body: &D, e: &mut FleikoEvent, notes: &mut Vec<String>, depth: Depth) {
    if !body.is_object() {
        notes.push("The body is JSON but not an object; shown raw.".to_owned());
        return;
    }
    e.id = text_any(body, &["id"]);
    e.event_type = text_any(body, &["type"]);
    e.created = get(body, "created").and_then(Doc::integer);
    e.company_id = text_any(body, &["company_id"]);
    e.api_version = text_any(body, &["api_version"]);
    if let Some(v) = e.api_version.as_deref().filter(|v| *v != "1") {
        notes.push(format!("api_version '{v}' (the docs describe version 1)."));
    }
    let full = depth == Depth::Full;
    if full {
        let missing: Vec<&str> = ["id", "type", "created", "company_id", "api_version", "data"]
            .into_iter()
            .filter(|k| get(body, k).is_none())
            .collect();
        if !missing.is_empty() {
            notes.push(format!("Envelope field(s) missing: {}.", missing.join(", ")));
        }
    }
    let data = get(body, "data");
    let in_data = |name: &str| data.and_then(|d| get(d, name));
    let data_text = |names: &[&str]| data.and_then(|d| text_any(d, names));
    // Fields may sit in data, in data.job, or (defensively) beside the envelope.
    let places: Vec<&D> =
        [data, in_data("job"), in_data("object"), Some(body)].into_iter().flatten().collect();
    let find = |names: &[&str]| places.iter().find_map(|&p| text_any(p, names));
    let is_job_event = e.event_type.as_deref().is_some_and(|t| t.starts_with("job."));
    // Capture only needs what the one-line summary of this event type shows.
    let wanted = |event: &str| full || e.event_type.as_deref() == Some(event);
    e.job_id =
        find(&["job_id", "job.id"]).or_else(|| is_job_event.then(|| data_text(&["id"])).flatten());
    e.job_reference = find(&["reference", "job_reference", "job_number", "ref"]);
    if full {
        e.status = data_text(&["status"])
            .or_else(|| in_data("job").and_then(|j| text_any(j, &["status"])));
    }
    if wanted("job.status_changed") {
        e.from_status = find(&["from_status", "previous_status", "from", "old_status"]);
        e.to_status = find(&["to_status", "new_status", "to"]);
    }
    if wanted("job.assigned") {
        e.driver = places.iter().find_map(|&p| {
            get(p, "driver")
                .and_then(|d| d.text().or_else(|| text_any(d, &["name", "full_name", "id"])))
                .or_else(|| text_any(p, &["driver_name", "driver_id"]))
        });
    }
    if wanted("job.cancelled") {
        e.reason = find(&["reason", "cancellation_reason", "cancel_reason"]);
        e.reason_category = find(&["reason_category", "cancellation_category"]);
    }
    if wanted("customer_portal.booking_created") {
        e.booking_id = find(&["booking_id", "booking.id"]);
        e.customer = places.iter().find_map(|&p| {
            get(p, "customer")
                .and_then(|c| c.text().or_else(|| text_any(c, &["name", "email", "id"])))
                .or_else(|| text_any(p, &["customer_name", "customer_id"]))
        });
    }
    if full {
        e.message = data_text(&["message"]);
    }
}

fn summary(e: &FleikoEvent, attempt: Option<u32>) -> String {
    let job = e
        .job_reference
        .as_deref()
        .or(e.job_id.as_deref())
        .map_or_else(|| "Job".to_owned(), |j| format!("Job {j}"));
    let mut line = match e.event_type.as_deref() {
        Some("job.created") => format!("{job} created"),
        Some("job.assigned") => match &e.driver {
            Some(d) => format!("{job} assigned to {d}"),
            None => format!("{job} assigned"),
        },
        Some("job.status_changed") => format!(
            "{job} status {} → {}",
            e.from_status.as_deref().unwrap_or("?"),
            e.to_status.as_deref().unwrap_or("?")
        ),
        Some("job.completed") => format!("{job} completed"),
        Some("job.cancelled") => {
            let mut s = format!("{job} cancelled");
            if let Some(r) = &e.reason {
                s.push_str(&format!(": {r}"));
            }
            if let Some(c) = &e.reason_category {
                s.push_str(&format!(" ({c})"));
            }
            s
        }
        Some("customer_portal.booking_created") => {
            let booking = e.booking_id.as_deref().or(e.job_id.as_deref()).unwrap_or("?");
            match &e.customer {
                Some(c) => format!("Portal booking {booking} by {c}"),
                None => format!("Portal booking {booking}"),
            }
        }
        Some("test.ping") => "Test ping from Fleiko".to_owned(),
        Some(other) => other.to_owned(),
        None => "Fleiko delivery".to_owned(),
    };
    if let Some(n) = attempt.filter(|n| *n > 1) {
        line.push_str(&format!(" · attempt {n}"));
    }
    json::truncate(&line, 200)
}

#[cfg(test)]
mod tests;
