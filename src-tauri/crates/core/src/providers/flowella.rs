//! Flowella: WhatsApp messaging events. Each webhook is signed with an HMAC-SHA256 hex digest
//! of the raw body, but the docs never name the header that carries it (nor say whether the
//! digest has a `sha256=` prefix) and never show a payload.
//!
//! So the endpoint may configure the header; when it does not, every header value is searched
//! for the digest and the result says which header carried it. Payloads are read defensively
//! from the usual envelope fields.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::Depth;
use super::json::{self, get, get_any, text_any};
use super::signature::{self, Candidate, Token};
use super::{
    Decoded, DecodedField, DecodedView, Provider, ProviderId, RequestView, Sample, SignatureStatus,
    Verification, VerifyOptions,
};

/// The header `sign` writes. Undocumented by Flowella; this is the name the published test
/// vectors use.
pub const SIGN_HEADER: &str = "X-Flowella-Signature";
pub const EVENT_TYPES: [&str; 9] = [
    "message.received",
    "message.sent",
    "message.delivered",
    "message.read",
    "message.failed",
    "conversation.opened",
    "conversation.closed",
    "optout.created",
    "template.status_updated",
];
/// Flowella retries a failed delivery up to this many times, with backoff.
pub const MAX_RETRIES: u32 = 3;
/// Consecutive failures after which Flowella disables the endpoint.
pub const AUTO_DISABLE_AFTER_FAILURES: u32 = 10;
/// How long Flowella waits for a 2xx.
pub const TIMEOUT_SECS: u64 = 10;

pub struct Flowella;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FlowellaEvent {
    /// The event id: the docs' idempotency key.
    pub id: Option<String>,
    pub event_type: Option<String>,
    /// Whether `event_type` is one of the documented [`EVENT_TYPES`].
    pub type_known: bool,
    pub created_at: Option<String>,
    pub message_id: Option<String>,
    pub conversation_id: Option<String>,
    /// The contact's phone number (E.164) or WhatsApp id.
    pub contact: Option<String>,
    pub contact_name: Option<String>,
    /// "inbound" or "outbound".
    pub direction: Option<String>,
    pub text: Option<String>,
    pub status: Option<String>,
    pub previous_status: Option<String>,
    pub error: Option<String>,
    pub template_name: Option<String>,
    pub channel: Option<String>,
    /// Every payload field, since the docs describe none.
    pub fields: Vec<DecodedField>,
}

/// Header names that say "signature" rank first when several values look like digests.
fn signature_like(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["signature", "sig", "hmac", "digest"].iter().any(|w| name.contains(w))
}

/// Every `[scheme=]<64 hex>` token in every header value, signature-like names first.
fn scan_headers(req: &RequestView) -> (Vec<Candidate>, Option<(String, String)>) {
    let mut candidates = Vec::new();
    let mut unsupported = None;
    for (name, value) in req.headers {
        let name = signature::lossy(name);
        let value = signature::lossy(value);
        for token in value.split([',', ';', ' ', '\t']).map(|t| t.trim().trim_matches('"')) {
            let (scheme, hex_text) = match token.split_once('=') {
                Some((scheme, rest)) => (Some(scheme.trim().to_ascii_lowercase()), rest.trim()),
                None => (None, token),
            };
            if let Some(s) = scheme.as_deref()
                && matches!(s, "sha1" | "sha512" | "sha384" | "md5")
            {
                unsupported.get_or_insert((name.clone(), s.to_owned()));
                continue;
            }
            let Ok(digest) = signature::parse_hex_digest(hex_text, "the signature") else {
                continue;
            };
            let form = match scheme.as_deref() {
                None => "as a bare hex digest".to_owned(),
                Some(s) => format!("with a {s}= prefix"),
            };
            candidates.push(Candidate {
                header: name.clone(),
                digest,
                notes: vec![format!(
                    "No signature header is configured, so every header was searched: the \
                     digest was found in {name} ({form}). Set {name} as this endpoint's \
                     signature header to check only that one."
                )],
            });
        }
    }
    candidates.sort_by_key(|c| !signature_like(&c.header));
    (candidates, unsupported)
}

impl Flowella {
    fn verify_configured(
        &self,
        req: &RequestView,
        opts: &VerifyOptions,
        name: &str,
    ) -> Verification {
        let headers: Vec<(String, String)> = req
            .headers_named(name)
            .map(|(n, v)| (signature::lossy(n), signature::lossy(v)))
            .collect();
        if headers.is_empty() {
            // The digest may simply be in another header than the one configured.
            let (candidates, _) = scan_headers(req);
            let mac = |key: &[u8], body: &[u8]| signature::hmac_sha256(key, &[body]);
            if let Some(found) = signature::find_match(opts.secrets, &candidates, req.body, &mac) {
                let mut v = signature::valid(self.id(), opts.secrets, &candidates, found);
                v.notes = vec![format!(
                    "The configured signature header {name} is absent, but the digest was found \
                     in {}: update the endpoint's signature header.",
                    candidates[found.candidate].header
                )];
                return v;
            }
            return Verification::new(
                SignatureStatus::Unsigned,
                format!(
                    "No {name} header (the endpoint's configured signature header), and no \
                     other header holds a matching digest: this delivery is not signed."
                ),
            );
        }
        let mut candidates = Vec::new();
        let mut unsupported = None;
        let mut malformed = None;
        for (header, value) in &headers {
            for token in value.split(',').filter(|t| !t.trim().is_empty()) {
                match signature::parse_prefixed_token(token, "the signature") {
                    Token::Digest { digest, prefixed } => {
                        let form = if prefixed {
                            "The signature has a sha256= prefix (Flowella's docs do not say); \
                             accepted."
                        } else {
                            "The signature is a bare hex digest."
                        };
                        candidates.push(Candidate {
                            header: header.clone(),
                            digest,
                            notes: vec![form.to_owned()],
                        });
                    }
                    Token::Unsupported(scheme) => {
                        unsupported.get_or_insert((header.clone(), scheme));
                    }
                    Token::Malformed(detail) => {
                        malformed.get_or_insert((header.clone(), detail));
                    }
                }
            }
        }
        if candidates.is_empty() {
            return match (unsupported, malformed) {
                (Some((header, scheme)), _) => signature::unsupported(self.id(), &header, scheme),
                (None, Some((header, detail))) => signature::malformed(&header, detail),
                (None, None) => signature::malformed(&headers[0].0, "empty".to_owned()),
            };
        }
        self.check(req, opts, &candidates)
    }

    fn verify_search(&self, req: &RequestView, opts: &VerifyOptions) -> Verification {
        let (candidates, unsupported) = scan_headers(req);
        if candidates.is_empty() {
            if let Some((header, scheme)) = unsupported {
                return signature::unsupported(self.id(), &header, scheme);
            }
            return Verification::new(
                SignatureStatus::Unsigned,
                "No header value holds a SHA-256 hex digest (with or without sha256=): this \
                 delivery does not look signed.",
            );
        }
        if opts.secrets.is_empty() {
            let mut v = signature::unchecked(self.id(), &candidates[0].header);
            v.notes.push(format!(
                "No signature header is configured; {} holds the likeliest digest-like value.",
                candidates[0].header
            ));
            return v;
        }
        self.check(req, opts, &candidates)
    }

    fn check(
        &self,
        req: &RequestView,
        opts: &VerifyOptions,
        candidates: &[Candidate],
    ) -> Verification {
        if opts.secrets.is_empty() {
            return signature::unchecked(self.id(), &candidates[0].header);
        }
        let mac = |key: &[u8], body: &[u8]| signature::hmac_sha256(key, &[body]);
        match signature::find_match(opts.secrets, candidates, req.body, &mac) {
            Some(found) => signature::valid(self.id(), opts.secrets, candidates, found),
            None => {
                let diagnosis = signature::diagnose(opts.secrets, candidates, req.body, &mac);
                signature::invalid(self.id(), opts.secrets, candidates, diagnosis)
            }
        }
    }
}

impl Provider for Flowella {
    fn id(&self) -> ProviderId {
        ProviderId::Flowella
    }

    fn detect(&self, req: &RequestView) -> u8 {
        let mut score: u32 = 0;
        if req
            .headers
            .iter()
            .any(|(n, _)| n.len() >= 11 && n[..11].eq_ignore_ascii_case(b"x-flowella-"))
        {
            score += 80;
        }
        if req
            .header_text("user-agent")
            .is_some_and(|ua| ua.to_ascii_lowercase().contains("flowella"))
        {
            score += 70;
        }
        if let Some(body) = json::parse_for_detect(req.body) {
            let kind = text_any(&body, &["type", "event", "event_type", "topic"]);
            if kind.is_some_and(|k| EVENT_TYPES.contains(&k.as_str())) {
                score += 55;
            }
        }
        score.min(100) as u8
    }

    fn verify(&self, req: &RequestView, opts: &VerifyOptions) -> Verification {
        match opts.signature_header.map(str::trim).filter(|h| !h.is_empty()) {
            Some(name) => self.verify_configured(req, opts, name),
            None => self.verify_search(req, opts),
        }
    }

    fn decode(&self, req: &RequestView) -> Decoded {
        decode_with(req, Depth::Full)
    }

    fn identify(&self, req: &RequestView) -> Decoded {
        decode_with(req, Depth::Brief)
    }

    fn sign(&self, body: &[u8], secrets: &[&[u8]], _now: i64) -> Vec<(String, String)> {
        secrets
            .iter()
            .map(|secret| {
                let digest = signature::hmac_sha256(secret, &[body]);
                (SIGN_HEADER.to_owned(), hex::encode(digest))
            })
            .collect()
    }

    fn samples(&self) -> Vec<Sample> {
        let sample = |event: &str, description: &str, body: &str| Sample {
            provider: ProviderId::Flowella,
            event: event.to_owned(),
            description: format!(
                "{description} Flowella documents no payload: the body is a realistic guess."
            ),
            body: body.to_owned(),
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
        };
        vec![
            sample(
                "message.received",
                "An inbound WhatsApp message arrives from a contact.",
                include_str!("samples/flowella_message_received.json"),
            ),
            sample(
                "message.sent",
                "Flowella has accepted your outbound message and submitted it to Meta.",
                include_str!("samples/flowella_message_sent.json"),
            ),
            sample(
                "message.delivered",
                "Meta confirmed delivery to the recipient's device.",
                include_str!("samples/flowella_message_delivered.json"),
            ),
            sample(
                "message.read",
                "The recipient opened the message.",
                include_str!("samples/flowella_message_read.json"),
            ),
            sample(
                "message.failed",
                "Meta returned a failure for the message.",
                include_str!("samples/flowella_message_failed.json"),
            ),
            sample(
                "conversation.opened",
                "A conversation changed state: opened.",
                include_str!("samples/flowella_conversation_opened.json"),
            ),
            sample(
                "conversation.closed",
                "A conversation changed state: closed.",
                include_str!("samples/flowella_conversation_closed.json"),
            ),
            sample(
                "optout.created",
                "A contact opted out on a channel.",
                include_str!("samples/flowella_optout_created.json"),
            ),
            sample(
                "template.status_updated",
                "Meta changed a template's status.",
                include_str!("samples/flowella_template_status_updated.json"),
            ),
        ]
    }
}

fn decode_with(req: &RequestView, depth: Depth) -> Decoded {
    let mut decoded = Decoded::default();
    let body = match json::parse_lenient(req.body) {
        Ok((body, lenient)) => {
            if lenient {
                decoded.notes.push("The body is not strict JSON; decoded leniently.".to_owned());
            }
            body
        }
        Err(error) => {
            decoded.notes.push(format!("The body is not JSON ({error}); shown raw."));
            return decoded;
        }
    };
    if !body.is_object() {
        decoded.notes.push("The body is JSON but not an object; shown raw.".to_owned());
        return decoded;
    }
    let e = event(&body, &mut decoded.notes, depth);
    decoded.event_type = e.event_type.clone();
    decoded.event_id = e.id.clone();
    if e.id.is_none() {
        decoded
            .notes
            .push("No event id: the docs say to use it as the idempotency key.".to_owned());
    }
    decoded.summary = Some(summary(&e));
    decoded.view = Some(DecodedView::FlowellaEvent(e));
    decoded
}

fn event(body: &Value, notes: &mut Vec<String>, depth: Depth) -> FlowellaEvent {
    let data = get_any(body, &["data", "payload"]).unwrap_or(body);
    let places: Vec<&Value> = [
        Some(data),
        get(data, "message"),
        get(data, "object"),
        get(data, "conversation"),
        get(data, "template"),
        Some(body),
    ]
    .into_iter()
    .flatten()
    .collect();
    let find = |names: &[&str]| places.iter().find_map(|&p| text_any(p, names));

    let mut e = FlowellaEvent {
        id: text_any(body, &["event_id", "id", "webhook_id"]),
        event_type: text_any(body, &["type", "event", "event_type", "topic"]),
        created_at: text_any(body, &["created_at", "created", "timestamp", "occurred_at"]),
        ..FlowellaEvent::default()
    };
    let kind = e.event_type.clone().unwrap_or_default();
    e.type_known = EVENT_TYPES.contains(&kind.as_str());
    if e.event_type.is_none() {
        notes.push("No event type in the body.".to_owned());
    } else if !e.type_known {
        notes.push(format!("Unknown event type '{kind}': shown raw."));
    }
    let family = kind.split('.').next().unwrap_or_default();

    e.message_id = find(&["message_id", "wamid"]).or_else(|| {
        (family == "message")
            .then(|| {
                get(data, "message")
                    .map_or_else(|| text_any(data, &["id"]), |m| text_any(m, &["id"]))
            })
            .flatten()
    });
    e.conversation_id = find(&["conversation_id", "conversation.id"])
        .or_else(|| (family == "conversation").then(|| text_any(data, &["id"])).flatten());
    e.direction = find(&["direction"]).or_else(|| match kind.as_str() {
        "message.received" => Some("inbound".to_owned()),
        "message.sent" | "message.delivered" | "message.read" | "message.failed" => {
            Some("outbound".to_owned())
        }
        _ => None,
    });
    let counterpart: &[&str] = if e.direction.as_deref() == Some("inbound") {
        &["contact.phone", "contact.wa_id", "from", "phone", "wa_id", "contact_phone"]
    } else {
        &["contact.phone", "contact.wa_id", "to", "recipient", "phone", "wa_id", "contact_phone"]
    };
    e.contact = find(counterpart);
    e.contact_name = find(&["contact.name", "contact_name", "profile.name"]);
    e.text = find(&["text.body", "text", "body", "content", "caption"]);
    e.template_name = find(&["template.name", "template_name"])
        .or_else(|| (family == "template").then(|| text_any(data, &["name"])).flatten());
    e.status = find(&["status", "new_status"]);
    e.previous_status = find(&["previous_status", "old_status", "from_status"]);
    e.error = find(&["error.message", "error.title", "error", "failure_reason", "reason"]).or_else(
        || {
            let errors = get(data, "errors")?.as_array()?;
            errors.first().and_then(|first| text_any(first, &["message", "title"]))
        },
    );
    e.channel = find(&["channel"]);
    if depth == Depth::Full {
        e.fields = json::flatten(data, 60);
    }
    if kind == "message.failed" && e.error.is_none() {
        notes.push("message.failed without an error description.".to_owned());
    }
    e
}

fn summary(e: &FlowellaEvent) -> String {
    let contact = e.contact.as_deref().or(e.contact_name.as_deref());
    let line = match e.event_type.as_deref().unwrap_or_default() {
        "message.received" => {
            let from = contact.map(|c| format!(" from {c}")).unwrap_or_default();
            match &e.text {
                Some(t) => format!("Message{from}: “{}”", json::truncate(t, 80)),
                None => format!("Message{from}"),
            }
        }
        kind @ ("message.sent" | "message.delivered" | "message.read") => {
            let verb = kind.trim_start_matches("message.");
            let to = contact.map(|c| format!(" to {c}")).unwrap_or_default();
            let what = e.template_name.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
            format!("Message{to} {verb}{what}")
        }
        "message.failed" => {
            let to = contact.map(|c| format!(" to {c}")).unwrap_or_default();
            match &e.error {
                Some(err) => format!("Message{to} failed: {err}"),
                None => format!("Message{to} failed"),
            }
        }
        kind @ ("conversation.opened" | "conversation.closed") => {
            let verb = kind.trim_start_matches("conversation.");
            let with = contact.map(|c| format!(" with {c}")).unwrap_or_default();
            format!("Conversation {verb}{with}")
        }
        "optout.created" => {
            let on = e.channel.as_deref().map(|c| format!(" on {c}")).unwrap_or_default();
            format!("{} opted out{on}", contact.unwrap_or("A contact"))
        }
        "template.status_updated" => format!(
            "Template {} {}→ {}",
            e.template_name.as_deref().unwrap_or("?"),
            e.previous_status.as_deref().map(|p| format!("{p} ")).unwrap_or_default(),
            e.status.as_deref().unwrap_or("?")
        ),
        "" => "Flowella delivery".to_owned(),
        other => other.to_owned(),
    };
    json::truncate(&line, 200)
}

#[cfg(test)]
mod tests;
