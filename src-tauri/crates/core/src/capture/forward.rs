//! Forward on arrival: a stored delivery is sent on to the endpoint's local target and the
//! exchange recorded (kind `forward`, linked to the delivery). In proxy mode the target's
//! answer becomes the provider's; when the target is down or too slow the provider gets the
//! fallback status, and the delivery is on disk either way.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::budget::Charge;
use crate::outbound::{self, OutboundKind, OutboundRequest, OutboundResponse, RecordContext};
use crate::store::Store;
use crate::store::responses::ResponseSource;
use crate::store::rules::{self, ForwardConfig};

/// The target for a delivery on `path`: the configured URL, plus the part of the path below
/// the endpoint's prefix, plus the query.
pub(super) fn target_url(base: &str, prefix: &str, path: &str, query: Option<&str>) -> String {
    let prefix = prefix.trim_end_matches('/');
    let rest = path.strip_prefix(prefix).unwrap_or_default();
    let mut url = base.to_owned();
    if !rest.is_empty() && rest != "/" {
        url = format!("{}{rest}", url.trim_end_matches('/'));
    }
    if let Some(query) = query {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(query);
    }
    url
}

/// What to send: the delivery as captured, headers in arrival order.
pub(super) fn request(
    method: &str,
    url: String,
    headers: &[(Vec<u8>, Vec<u8>)],
    body: &[u8],
) -> OutboundRequest {
    OutboundRequest {
        method: method.to_owned(),
        url,
        headers: headers
            .iter()
            .map(|(n, v)| (String::from_utf8_lossy(n).into_owned(), v.clone()))
            .collect(),
        body: body.to_vec(),
    }
}

/// Sends the delivery to the target and records the exchange; returns the answer.
pub(super) async fn forward(
    store: Store,
    config: &ForwardConfig,
    delivery_id: i64,
    request: OutboundRequest,
) -> OutboundResponse {
    let options = outbound::SendOptions {
        timeout: Duration::from_millis(config.timeout_ms),
        ..outbound::SendOptions::default()
    };
    let response = outbound::send(&request, options).await;
    let context = RecordContext {
        delivery_id: Some(delivery_id),
        options: Some(serde_json::json!({ "mode": config.mode.as_str() })),
        sent_event_id: None,
    };
    let recorded = response.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        outbound::record(&store, OutboundKind::Forward, &context, &request, &recorded)
    })
    .await;
    match outcome {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => tracing::warn!("forward of delivery {delivery_id} not recorded: {err}"),
        Err(err) => tracing::warn!("forward of delivery {delivery_id} not recorded: {err}"),
    }
    response
}

/// Proxy mode: forwards, answers with the target's response (or the fallback), and records
/// that answer's status on the delivery, announcing it again so live views show it. Returns
/// the answer and whose it is.
pub(super) async fn proxy(
    store: Store,
    config: &ForwardConfig,
    id: i64,
    request: OutboundRequest,
    started: Instant,
) -> (Response, ResponseSource) {
    let answer = forward(store.clone(), config, id, request).await;
    let response = proxy_response(config, id, &answer);
    let source = match target_status(&answer) {
        Some(_) => ResponseSource::Proxy,
        None => ResponseSource::Fallback,
    };
    let status = response.status().as_u16();
    let latency = started.elapsed().as_micros() as i64;
    let recorded = tokio::task::spawn_blocking(move || {
        store.write(|c| rules::set_response(c, id, status, latency))?;
        store.announce(id)
    })
    .await;
    if !matches!(recorded, Ok(Ok(()))) {
        tracing::warn!("the answer to delivery {id} was not recorded");
    }
    (response, source)
}

/// Rule mode: the provider is answered by the rule while the forward runs on its own,
/// holding the body's charge against the in-flight budget until it is done.
pub(super) fn spawn(
    store: Store,
    config: ForwardConfig,
    id: i64,
    request: OutboundRequest,
    charge: Option<Charge>,
) {
    tokio::spawn(async move {
        forward(store, &config, id, request).await;
        drop(charge);
    });
}

/// The provider's answer in proxy mode: the target's, or the fallback when none came.
pub(super) fn proxy_response(
    config: &ForwardConfig,
    delivery_id: i64,
    answer: &OutboundResponse,
) -> Response {
    let Some(status) = target_status(answer) else {
        let error = answer.error.as_ref().map(ToString::to_string);
        let body = serde_json::json!({
            "id": delivery_id,
            "captured": true,
            "forwardError": error.unwrap_or_else(|| "the target gave no valid answer".into()),
        });
        let status =
            StatusCode::from_u16(config.fallback_status).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut response = Response::new(Body::from(body.to_string()));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return response;
    };
    let mut response = Response::new(Body::from(answer.body.clone()));
    *response.status_mut() = status;
    for (name, value) in &answer.headers {
        // The body is re-framed here, so the target's framing headers do not apply.
        if outbound::is_hop_by_hop(name) {
            continue;
        }
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value))
        {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// The target's status, when it gave a valid answer.
fn target_status(answer: &OutboundResponse) -> Option<StatusCode> {
    match (answer.status, &answer.error) {
        (Some(status), None) => StatusCode::from_u16(status).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::TransportError;
    use crate::store::rules::ForwardMode;

    #[test]
    fn target_urls_keep_the_sub_path_and_query() {
        let base = "http://localhost:3000/webhooks/fleiko";
        assert_eq!(target_url(base, "/fleiko", "/fleiko", None), base);
        assert_eq!(
            target_url(base, "/fleiko", "/fleiko/jobs", Some("a=1")),
            "http://localhost:3000/webhooks/fleiko/jobs?a=1"
        );
        assert_eq!(target_url("http://h/x?k=v", "/", "/", Some("a=1")), "http://h/x?k=v&a=1");
    }

    #[test]
    fn a_missing_answer_gets_the_fallback() {
        let config = ForwardConfig {
            url: "http://127.0.0.1:9".into(),
            mode: ForwardMode::Proxy,
            fallback_status: 504,
            timeout_ms: 100,
        };
        let down = OutboundResponse {
            error: Some(TransportError::Refused { host: "127.0.0.1:9".into() }),
            ..OutboundResponse::default()
        };
        assert_eq!(proxy_response(&config, 1, &down).status(), 504);
        let answered = OutboundResponse {
            status: Some(418),
            headers: vec![
                ("X-Teapot".into(), b"yes".to_vec()),
                ("Connection".into(), b"x".to_vec()),
            ],
            ..OutboundResponse::default()
        };
        let response = proxy_response(&config, 1, &answered);
        assert_eq!(response.status(), 418);
        assert_eq!(response.headers()["x-teapot"], "yes");
        assert!(response.headers().get("connection").is_none());
    }
}
