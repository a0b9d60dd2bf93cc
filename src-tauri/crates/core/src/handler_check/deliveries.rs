//! The deliveries a check sends: the base delivery (a provider sample, or a captured one) with
//! fresh ids, signed through the provider's own `sign`, and its deliberately changed forms.
//! Changes to the body are made on the bytes, so everything not changed stays as it was.

use std::ops::Range;

use crate::outbound::{OutboundRequest, is_hop_by_hop};
use crate::providers::json::{self, Escapes, Layout, Node, Numbers, Style};
use crate::providers::{self, ProviderId, fleiko, flovi, flowella};
use crate::replay::ids;

/// What every delivery of a run starts from.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub provider: ProviderId,
    pub event: String,
    /// Headers that carry no signature (Content-Type, Fleiko's event and delivery headers...).
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// Flowella: where the signature goes (the endpoint's choice, else `sign`'s header).
    pub signature_header: String,
}

impl Base {
    /// The provider's first documented sample, its body written compactly as most senders
    /// put JSON on the wire (JSON.stringify, json_encode, serde_json).
    pub fn sample(provider: ProviderId, signature_header: Option<&str>) -> Option<Base> {
        let sample = providers::provider(provider).samples().into_iter().next()?;
        let raw = sample.body.as_bytes();
        let compact = json::parse_tree(raw).and_then(|tree| {
            json::emit(
                &tree,
                Style {
                    layout: Layout::Compact,
                    sort_keys: false,
                    escapes: Escapes::Minimal,
                    numbers: Numbers::AsIs,
                },
            )
        });
        Some(Base {
            provider,
            event: sample.event.clone(),
            headers: sample.headers.into_iter().map(|(n, v)| (n, v.into_bytes())).collect(),
            body: compact.unwrap_or_else(|| raw.to_vec()),
            signature_header: signature_header_for(provider, signature_header),
        })
    }

    /// A captured delivery's body and headers, its signature and hop-by-hop headers left out.
    pub fn captured(
        provider: ProviderId,
        event: Option<String>,
        headers: Vec<(String, Vec<u8>)>,
        body: Vec<u8>,
        signature_header: Option<&str>,
    ) -> Base {
        let signature_header = signature_header_for(provider, signature_header);
        let headers = headers
            .into_iter()
            .filter(|(name, _)| {
                !is_hop_by_hop(name)
                    && !signature_names(provider, &signature_header)
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(name))
            })
            .collect();
        Base {
            provider,
            event: event.unwrap_or_else(|| "captured delivery".to_owned()),
            headers,
            body,
            signature_header,
        }
    }

    pub fn is_json(&self) -> bool {
        json::parse_tree(&self.body).is_some()
    }

    /// A copy with fresh ids, so a handler that deduplicates sees a new event: the payload's
    /// id (Flovi: the reservation number) and Fleiko's X-Fleiko-Delivery, attempt 1.
    /// Returns the copy and the event id it now carries.
    pub fn fresh(&self) -> (Base, Option<String>) {
        let mut out = self.clone();
        let mut sent = None;
        if self.provider == ProviderId::Fleiko {
            let delivery = ids::fleiko_delivery_id();
            set_header(&mut out.headers, fleiko::DELIVERY_HEADER, delivery.as_bytes());
            set_header(&mut out.headers, fleiko::ATTEMPT_HEADER, b"1");
            sent = Some(delivery);
        }
        let key = match self.provider {
            ProviderId::Flovi => "reservation",
            ProviderId::Fleiko | ProviderId::Flowella => "id",
        };
        if let Some(span) = top_value(&out.body, key) {
            let old = &out.body[span.clone()];
            let token = if old.first() == Some(&b'"') {
                let old: String = serde_json::from_slice(old).unwrap_or_default();
                serde_json::to_string(&ids::like(&old)).ok()
            } else {
                Some(fresh_number())
            };
            if let Some(token) = token {
                out.body.splice(span, token.bytes());
                sent = Some(token.trim_matches('"').to_owned());
            }
        }
        (out, sent)
    }

    /// The names this provider's signature travels in.
    pub fn signature_names(&self) -> Vec<String> {
        signature_names(self.provider, &self.signature_header)
    }

    /// A request carrying `body`, with the base's headers and `signed` in place.
    pub fn request(&self, url: &str, body: Vec<u8>, signed: Vec<(String, String)>) -> Request {
        let mut headers = self.headers.clone();
        headers.extend(signed.into_iter().map(|(n, v)| (n, v.into_bytes())));
        OutboundRequest { method: "POST".to_owned(), url: url.trim().to_owned(), headers, body }
    }

    /// Signature headers for `body` at `now` through the provider's own `sign`, Flowella's put
    /// in the chosen header.
    pub fn sign(&self, body: &[u8], secrets: &[&[u8]], now: i64) -> Vec<(String, String)> {
        let mut signed = providers::provider(self.provider).sign(body, secrets, now);
        if self.provider == ProviderId::Flowella {
            for (name, _) in &mut signed {
                name.clone_from(&self.signature_header);
            }
        }
        signed
    }
}

type Request = OutboundRequest;

fn signature_header_for(provider: ProviderId, chosen: Option<&str>) -> String {
    match provider {
        ProviderId::Fleiko => fleiko::SIGNATURE_HEADER.to_owned(),
        ProviderId::Flovi => flovi::SIGNATURE_HEADER.to_owned(),
        ProviderId::Flowella => chosen
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .unwrap_or(flowella::SIGN_HEADER)
            .to_owned(),
    }
}

fn signature_names(provider: ProviderId, header: &str) -> Vec<String> {
    match provider {
        ProviderId::Fleiko => {
            vec![fleiko::SIGNATURE_HEADER.to_owned(), fleiko::TIMESTAMP_HEADER.to_owned()]
        }
        ProviderId::Flovi | ProviderId::Flowella => vec![header.to_owned()],
    }
}

/// Sets `name` to `value`, replacing every header of that name (any case), else appending.
pub(crate) fn set_header(headers: &mut Vec<(String, Vec<u8>)>, name: &str, value: &[u8]) {
    match headers.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)) {
        Some(at) => {
            headers[at].1 = value.to_vec();
            let mut seen = false;
            headers.retain(|(n, _)| {
                let same = n.eq_ignore_ascii_case(name);
                let keep = !same || !seen;
                seen |= same;
                keep
            });
        }
        None => headers.push((name.to_owned(), value.to_vec())),
    }
}

pub(crate) fn remove_headers(headers: &mut Vec<(String, Vec<u8>)>, name: &str) {
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
}

fn fresh_number() -> String {
    let id = ids::uuid();
    let n = u64::from_str_radix(&id[..8], 16).unwrap_or(0);
    (100_000 + n % 900_000).to_string()
}

fn offset(body: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - body.as_ptr() as usize
}

/// Where the value of the top-level `key` is written, when it is a string, number or literal.
pub(crate) fn top_value(body: &[u8], key: &str) -> Option<Range<usize>> {
    let Node::Object(entries) = json::parse_tree(body)? else {
        return None;
    };
    let quoted = serde_json::to_string(key).ok()?;
    entries.iter().find(|(k, _)| *k == quoted.as_bytes()).and_then(|(_, value)| match value {
        Node::Atom(token) | Node::Str(token) => {
            let at = offset(body, token);
            Some(at..at + token.len())
        }
        _ => None,
    })
}

/// `body` with the top-level `key`'s value replaced by the JSON `token`.
pub(crate) fn with_top_value(body: &[u8], key: &str, token: &str) -> Option<Vec<u8>> {
    let span = top_value(body, key)?;
    let mut out = body.to_vec();
    out.splice(span, token.bytes());
    Some(out)
}

/// `body` with a field added at the top and one in the first nested object (`data` when
/// there is one): fields a receiver has not seen before.
pub(crate) fn with_extra_fields(body: &[u8]) -> Option<Vec<u8>> {
    let tree = json::parse_tree(body)?;
    let Node::Object(entries) = &tree else {
        return None;
    };
    let mut inserts: Vec<(usize, &str)> = Vec::new();
    let top = entries.first().map(|(k, _)| offset(body, k))?;
    inserts.push((top, r#""hookscope_unknown_field":"a field the docs do not list","#));
    let nested = entries
        .iter()
        .find(|(k, v)| *k == b"\"data\"" && matches!(v, Node::Object(e) if !e.is_empty()))
        .or_else(|| entries.iter().find(|(_, v)| matches!(v, Node::Object(e) if !e.is_empty())));
    if let Some((_, Node::Object(inner))) = nested
        && let Some((first, _)) = inner.first()
    {
        inserts.push((offset(body, first), r#""hookscope_unknown_nested":{"added":true},"#));
    }
    let mut out = body.to_vec();
    inserts.sort_by_key(|insert| std::cmp::Reverse(insert.0));
    for (at, text) in inserts {
        out.splice(at..at, text.bytes());
    }
    Some(out)
}

/// `body` changed after signing: a JSON body gains a field at the top (still valid JSON, so
/// only the signature can tell); anything else gains a byte.
pub(crate) fn tampered(body: &[u8]) -> Vec<u8> {
    if let Some(Node::Object(entries)) = json::parse_tree(body)
        && let Some((first, _)) = entries.first()
    {
        let at = offset(body, first);
        let mut out = body.to_vec();
        out.splice(at..at, br#""amount_due":0,"#.iter().copied());
        return out;
    }
    let mut out = body.to_vec();
    out.push(b' ');
    out
}

fn layout(tree: &Node, body: &[u8]) -> Layout {
    json::layout_of(tree, body).unwrap_or(Layout::Compact)
}

/// The same JSON with other whitespace.
pub(crate) fn respaced(body: &[u8]) -> Option<Vec<u8>> {
    let tree = json::parse_tree(body)?;
    [Layout::Indent("  "), Layout::Spaced, Layout::Compact]
        .into_iter()
        .filter_map(|l| json::emit(&tree, Style::layout(l)))
        .find(|out| out != body)
}

/// The same JSON with strings escaped otherwise: non-ASCII as `\uXXXX` (or, when the body
/// already escapes them, written out); failing both, one letter as `\u00XX`.
pub(crate) fn escaped(body: &[u8]) -> Option<Vec<u8>> {
    let tree = json::parse_tree(body)?;
    let layout = layout(&tree, body);
    for escapes in [Escapes::Ascii, Escapes::Minimal] {
        let style = Style { layout, sort_keys: false, escapes, numbers: Numbers::AsIs };
        if let Some(out) = json::emit(&tree, style)
            && out != body
        {
            return Some(out);
        }
    }
    let mut out = json::emit(&tree, Style::layout(layout))?;
    // In compact or spaced JSON a value string starts right after `:` or `: `.
    let at = out.windows(3).position(|w| {
        (w[0] == b':' && w[1] == b'"' && w[2].is_ascii_alphabetic())
            || (w[0] == b' ' && w[1] == b'"' && w[2].is_ascii_alphabetic())
    })? + 2;
    let letter = out[at];
    out.splice(at..=at, format!("\\u{:04x}", letter).bytes());
    Some(out)
}

/// The same JSON with every object's keys in reverse order.
pub(crate) fn reordered(body: &[u8]) -> Option<Vec<u8>> {
    fn reverse(node: &mut Node) {
        match node {
            Node::Object(entries) => {
                entries.reverse();
                entries.iter_mut().for_each(|(_, v)| reverse(v));
            }
            Node::Array(items) => items.iter_mut().for_each(reverse),
            Node::Atom(_) | Node::Str(_) => {}
        }
    }
    let mut tree = json::parse_tree(body)?;
    let layout = layout(&tree, body);
    reverse(&mut tree);
    json::emit(&tree, Style::layout(layout)).filter(|out| out != body)
}

/// An event type the provider's docs do not list, as `(top-level key, JSON token, label)`.
pub(crate) fn unknown_event(provider: ProviderId) -> (&'static str, &'static str, &'static str) {
    match provider {
        ProviderId::Fleiko => ("type", "\"job.rescheduled\"", "job.rescheduled"),
        ProviderId::Flowella => ("type", "\"contact.merged\"", "contact.merged"),
        ProviderId::Flovi => ("state", "\"inspected\"", "inspected"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        r#"{"id":"evt_01HXA7R5N7","type":"message.sent","data":{"text":"Hämeenkatu","n":1}}"#;
    const BODY: &[u8] = TEXT.as_bytes();

    fn same_json(a: &[u8], b: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(a).unwrap()
            == serde_json::from_slice::<serde_json::Value>(b).unwrap()
    }

    #[test]
    fn raw_variants_hold_the_same_json_in_other_bytes() {
        for variant in [respaced(BODY), escaped(BODY), reordered(BODY)] {
            let variant = variant.unwrap();
            assert_ne!(variant, BODY);
            assert!(same_json(&variant, BODY), "{}", String::from_utf8_lossy(&variant));
        }
        assert!(String::from_utf8(escaped(BODY).unwrap()).unwrap().contains("H\\u00e4meenkatu"));
        let reordered = String::from_utf8(reordered(BODY).unwrap()).unwrap();
        assert!(reordered.starts_with(r#"{"data":{"n":1,"#), "{reordered}");
    }

    #[test]
    fn an_ascii_body_gets_one_letter_escaped() {
        let body = br#"{"id":"abc","n":1}"#;
        let out = escaped(body).unwrap();
        assert_eq!(out, br#"{"id":"\u0061bc","n":1}"#);
        assert!(same_json(&out, body));
    }

    #[test]
    fn extra_fields_go_at_the_top_and_into_data() {
        let out = with_extra_fields(BODY).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(value["hookscope_unknown_field"].is_string());
        assert_eq!(value["data"]["hookscope_unknown_nested"]["added"], true);
        assert_eq!(value["data"]["text"], "Hämeenkatu");
    }

    #[test]
    fn fresh_ids_change_the_payload_id_and_nothing_else() {
        let base = Base::sample(ProviderId::Fleiko, None).unwrap();
        let (fresh, id) = base.fresh();
        let old: serde_json::Value = serde_json::from_slice(&base.body).unwrap();
        let new: serde_json::Value = serde_json::from_slice(&fresh.body).unwrap();
        assert_ne!(old["id"], new["id"]);
        assert_eq!(new["id"].as_str(), id.as_deref(), "the payload id is the dedupe key");
        let delivery = |b: &Base| {
            b.headers.iter().find(|(n, _)| n == fleiko::DELIVERY_HEADER).unwrap().1.clone()
        };
        assert_ne!(delivery(&base), delivery(&fresh));
        assert!(delivery(&fresh).starts_with(b"dlv_"));
        assert_eq!(old["data"], new["data"]);
        let flovi = Base::sample(ProviderId::Flovi, None).unwrap();
        let (fresh, id) = flovi.fresh();
        let new: serde_json::Value = serde_json::from_slice(&fresh.body).unwrap();
        assert_eq!(new["reservation"].to_string(), id.unwrap());
        assert!(new["reservation"].is_u64());
    }

    #[test]
    fn a_tampered_body_is_still_json() {
        let out = tampered(BODY);
        assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
        assert_ne!(out, BODY);
        assert_eq!(tampered(b"plain"), b"plain ");
    }

    #[test]
    fn top_values_are_replaced_in_place() {
        let out = with_top_value(BODY, "type", "\"contact.merged\"").unwrap();
        let expected =
            r#"{"id":"evt_01HXA7R5N7","type":"contact.merged","data":{"text":"Hämeenkatu","n":1}}"#;
        assert_eq!(out, expected.as_bytes());
        assert!(with_top_value(BODY, "missing", "1").is_none());
    }
}
