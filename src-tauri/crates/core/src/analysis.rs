//! What the providers make of a captured request: which provider sent it, whether its
//! signature holds (and why not), what event it carries and which others it repeats.

use crate::providers::{self, ProviderId, RequestView, Secret, VerifyOptions, fleiko, flowella};
use crate::store::{
    AttemptInfo, DeliveryAnalysis, DeliveryGroup, DeliverySummary, EndpointSettings, Store,
    StoreError,
};

/// An endpoint ready for verification: its settings and its secrets in the clear.
#[derive(Debug, Clone)]
pub struct EndpointRuntime {
    pub settings: EndpointSettings,
    pub secrets: Vec<Secret>,
}

/// A captured request as the analysis sees it.
pub struct Captured<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(Vec<u8>, Vec<u8>)],
    /// `None` when the body was refused (over the size limit).
    pub body: Option<&'a [u8]>,
    pub received_at_ms: i64,
}

/// The endpoint's provider, else the one the request looks like; then everything the
/// provider can tell about the request.
pub fn analyse(
    endpoint: Option<&EndpointRuntime>,
    req: &Captured<'_>,
) -> (Option<ProviderId>, DeliveryAnalysis) {
    let view = RequestView {
        method: req.method,
        path: req.path,
        headers: req.headers,
        body: req.body.unwrap_or_default(),
    };
    let provider = endpoint.and_then(|e| e.settings.provider).or_else(|| providers::detect(&view));
    let (Some(provider), Some(_)) = (provider, req.body) else {
        return (provider, DeliveryAnalysis::default());
    };
    let implementation = providers::provider(provider);
    let decoded = implementation.identify(&view);
    let verification = implementation.verify(&view, &verify_options(endpoint, req.received_at_ms));
    let group_key = match (&decoded.event_id, &decoded.delivery_id) {
        (Some(event), _) => Some(format!("{provider}:event:{event}")),
        (None, Some(delivery)) => Some(format!("{provider}:delivery:{delivery}")),
        (None, None) => None,
    };
    let analysis = DeliveryAnalysis {
        event_type: decoded.event_type,
        event_id: decoded.event_id,
        delivery_key: decoded.delivery_id,
        attempt: decoded.attempt,
        verification: Some(verification),
        summary: decoded.summary,
        group_key,
    };
    (Some(provider), analysis)
}

fn verify_options(endpoint: Option<&EndpointRuntime>, received_at_ms: i64) -> VerifyOptions<'_> {
    let now = received_at_ms.div_euclid(1000);
    match endpoint {
        Some(e) => VerifyOptions {
            secrets: &e.secrets,
            signature_header: e.settings.signature_header.as_deref(),
            tolerance_secs: e.settings.tolerance_secs,
            now,
        },
        None => VerifyOptions::new(&[], now),
    }
}

/// The deliveries of `id`'s event, oldest first, with when each attempt was due by the
/// provider's schedule and what Hookscope's answer told the provider.
pub fn delivery_group(store: &Store, id: i64) -> Result<DeliveryGroup, StoreError> {
    let (key, deliveries) = store.group(id)?;
    let mut attempts = Vec::with_capacity(deliveries.len());
    let mut previous: Option<&DeliverySummary> = None;
    for (index, d) in deliveries.iter().enumerate() {
        let attempt = d.attempt.or(Some(index as u32 + 1));
        let provider = d.provider.as_deref().and_then(|p| p.parse::<ProviderId>().ok());
        // Fleiko documents each delay as counted from the attempt before.
        let expected_at = match (provider, previous, attempt) {
            (Some(ProviderId::Fleiko), Some(prev), Some(n)) if n > 1 => {
                fleiko::retry_delay_secs(n).map(|delay| prev.received_at + delay as i64 * 1000)
            }
            _ => None,
        };
        attempts.push(AttemptInfo {
            delivery_id: d.id,
            attempt: d.attempt,
            received_at: d.received_at,
            expected_at,
            response_status: d.response_status,
            meaning: response_meaning(provider, d.response_status, attempt.unwrap_or(1)),
        });
        previous = Some(d);
    }
    Ok(DeliveryGroup { key, deliveries, attempts })
}

/// What an answer with `status` means to the provider on `attempt`.
pub fn response_meaning(provider: Option<ProviderId>, status: Option<u16>, attempt: u32) -> String {
    let Some(status) = status else {
        return "no answer recorded".into();
    };
    match provider {
        Some(ProviderId::Fleiko) => fleiko::response_meaning(status, attempt),
        _ if (200..300).contains(&status) => "2xx: done".into(),
        Some(ProviderId::Flowella) => format!(
            "not a 2xx: Flowella retries up to {} times with backoff and disables the endpoint \
             after {} failures in a row",
            flowella::MAX_RETRIES,
            flowella::AUTO_DISABLE_AFTER_FAILURES
        ),
        Some(ProviderId::Flovi) => "not a 2xx: Flovi's docs do not say whether it retries".into(),
        None => format!("answered {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::SignatureStatus;

    fn endpoint(provider: ProviderId, secrets: &[&str]) -> EndpointRuntime {
        EndpointRuntime {
            settings: EndpointSettings {
                id: 1,
                name: provider.as_str().into(),
                path_prefix: format!("/{provider}"),
                provider: Some(provider),
                signature_header: None,
                tolerance_secs: 300,
                secret_labels: Vec::new(),
            },
            secrets: Secret::ranked(secrets.iter().map(|s| s.as_bytes().to_vec())),
        }
    }

    fn headers(pairs: Vec<(String, String)>) -> Vec<(Vec<u8>, Vec<u8>)> {
        pairs.into_iter().map(|(n, v)| (n.into_bytes(), v.into_bytes())).collect()
    }

    #[test]
    fn a_signed_fleiko_retry_is_valid_and_grouped_by_event() {
        let sample = providers::provider(ProviderId::Fleiko)
            .samples()
            .into_iter()
            .find(|s| s.event == "job.completed")
            .unwrap();
        let now = 1_700_000_000;
        let signed = headers(sample.signed_headers(&[b"whsec_live"], now));
        let req = Captured {
            method: "POST",
            path: "/fleiko",
            headers: &signed,
            body: Some(sample.body.as_bytes()),
            received_at_ms: now * 1000 + 250,
        };
        let (provider, analysis) =
            analyse(Some(&endpoint(ProviderId::Fleiko, &["whsec_live"])), &req);
        assert_eq!(provider, Some(ProviderId::Fleiko));
        assert_eq!(analysis.verification.unwrap().status, SignatureStatus::Valid);
        assert_eq!(analysis.event_type.as_deref(), Some("job.completed"));
        let key = analysis.group_key.unwrap();
        assert!(key.starts_with("fleiko:event:"), "{key}");

        let (_, unchecked) = analyse(None, &req);
        assert_eq!(unchecked.verification.unwrap().status, SignatureStatus::Unchecked);
    }

    #[test]
    fn refused_bodies_and_unknown_senders_get_no_verdict() {
        let plain = headers(vec![("Content-Type".into(), "text/plain".into())]);
        let req = Captured {
            method: "POST",
            path: "/elsewhere",
            headers: &plain,
            body: Some(b"hello"),
            received_at_ms: 0,
        };
        let (provider, analysis) = analyse(None, &req);
        assert_eq!(provider, None);
        assert!(analysis.verification.is_none());
        let refused = Captured { body: None, ..req };
        let (provider, analysis) = analyse(Some(&endpoint(ProviderId::Flovi, &["s"])), &refused);
        assert_eq!(provider, Some(ProviderId::Flovi));
        assert!(analysis.verification.is_none() && analysis.event_type.is_none());
    }
}
