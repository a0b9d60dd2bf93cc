//! What the listener answers a stored delivery: the endpoint's response rule (status, headers,
//! body, delay) or the step of its sequence that this delivery's idempotency key has reached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::store::DeliveryAnalysis;
use crate::store::responses::ResponseSource;
use crate::store::rules::ResponseRule;

/// How many deliveries each (endpoint, idempotency key) has had since its sequence was set.
#[derive(Default)]
pub(super) struct SequenceHits {
    hits: Mutex<HashMap<(i64, String), usize>>,
}

impl SequenceHits {
    /// Counts one more delivery with `key`; returns its 1-based number.
    fn next(&self, endpoint_id: i64, key: String) -> usize {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let n = hits.entry((endpoint_id, key)).or_insert(0);
        *n += 1;
        *n
    }

    /// Starts every sequence over, as when its rule changed.
    pub(super) fn reset(&self) {
        self.hits.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The delivery's idempotency key: Fleiko's delivery id, else the provider's event id, else
/// the body's hash (a provider's retry resends the same bytes).
pub(super) fn idempotency_key(analysis: &DeliveryAnalysis, body: Option<&[u8]>) -> String {
    match (&analysis.delivery_key, &analysis.event_id) {
        (Some(delivery), _) => format!("delivery:{delivery}"),
        (None, Some(event)) => format!("event:{event}"),
        (None, None) => format!("sha256:{}", hex::encode(Sha256::digest(body.unwrap_or_default()))),
    }
}

/// The answer decided before the delivery is stored, so that the stored status is the one
/// given.
pub(super) struct Plan {
    pub status: StatusCode,
    pub rule: Option<ResponseRule>,
    pub delay: Duration,
}

impl Plan {
    /// The default answer, or one forced by a refused body (413, 400).
    pub fn plain(status: StatusCode) -> Self {
        Self { status, rule: None, delay: Duration::ZERO }
    }

    pub fn from_rule(
        rule: &ResponseRule,
        hits: &SequenceHits,
        endpoint_id: i64,
        analysis: &DeliveryAnalysis,
        body: Option<&[u8]>,
    ) -> Self {
        let status = if rule.sequence.is_empty() {
            rule.status
        } else {
            rule.status_for(hits.next(endpoint_id, idempotency_key(analysis, body)))
        };
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            delay: Duration::from_millis(rule.delay_ms),
            rule: Some(rule.clone()),
        }
    }

    /// Who decided this answer.
    pub fn source(&self) -> ResponseSource {
        match &self.rule {
            None => ResponseSource::Default,
            Some(rule) if rule.sequence.is_empty() => ResponseSource::Rule,
            Some(_) => ResponseSource::Sequence,
        }
    }

    /// The response for the stored delivery `id`.
    pub fn respond(&self, id: i64) -> Response {
        let body = match self.rule.as_ref().and_then(|r| r.body.clone()) {
            Some(body) => body,
            // The same bytes `json!` would write, without building a map for each answer.
            None => format!(r#"{{"captured":true,"id":{id}}}"#),
        };
        let default_body = self.rule.as_ref().is_none_or(|r| r.body.is_none());
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        if default_body {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        } else {
            headers.remove(header::CONTENT_TYPE);
        }
        for (name, value) in self.rule.iter().flat_map(|r| &r.headers) {
            // Rules are validated when saved; a header that still does not parse is skipped
            // rather than failing the answer.
            if let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
            {
                headers.append(name, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_count_per_key() {
        let hits = SequenceHits::default();
        let rule = ResponseRule { sequence: vec![500, 500, 200], ..ResponseRule::default() };
        let a = DeliveryAnalysis { delivery_key: Some("d-1".into()), ..Default::default() };
        let b = DeliveryAnalysis { event_id: Some("e-1".into()), ..Default::default() };
        let status = |analysis| Plan::from_rule(&rule, &hits, 1, analysis, None).status.as_u16();
        assert_eq!(
            [status(&a), status(&a), status(&b), status(&a), status(&a)],
            [500, 500, 500, 200, 200]
        );
        hits.reset();
        assert_eq!(status(&a), 500);
    }

    #[test]
    fn keys_fall_back_to_the_body_hash() {
        let none = DeliveryAnalysis::default();
        assert_eq!(idempotency_key(&none, Some(b"x")), idempotency_key(&none, Some(b"x")));
        assert_ne!(idempotency_key(&none, Some(b"x")), idempotency_key(&none, Some(b"y")));
    }

    #[test]
    fn rule_bodies_and_headers_are_used() {
        let rule = ResponseRule {
            status: 202,
            headers: vec![("X-A".into(), "1".into()), ("X-A".into(), "2".into())],
            body: Some("ok".into()),
            ..ResponseRule::default()
        };
        let hits = SequenceHits::default();
        let response =
            Plan::from_rule(&rule, &hits, 1, &DeliveryAnalysis::default(), None).respond(7);
        assert_eq!(response.status(), 202);
        let values: Vec<_> = response.headers().get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"]);
        assert!(response.headers().get(header::CONTENT_TYPE).is_none());
    }
}
