//! A run as the window asks for it. The secrets never cross to the page: the window names an
//! endpoint and its stored secrets sign the deliveries.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{CheckId, CheckSpec, HandlerCheckError, Result, RetrySpec, default_timeout};
use crate::providers::ProviderId;
use crate::registry::Registry;

/// The longest timeout a run may wait per request, whatever the provider.
pub const MAX_TIMEOUT_SECS: f64 = 3600.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HandlerCheckInput {
    /// The endpoint's provider when absent, else the `from` delivery's.
    pub provider: Option<ProviderId>,
    /// The user's handler.
    pub target: String,
    /// Whose stored secrets sign the deliveries.
    #[ts(type = "number")]
    pub endpoint_id: i64,
    /// Only these checks; every check that applies when absent or empty.
    pub only: Option<Vec<CheckId>>,
    /// Per request; the provider's own timeout when absent.
    pub timeout_secs: Option<f64>,
    /// Also play the provider's retry schedule against the valid delivery.
    #[serde(default)]
    pub retries: bool,
    /// Provider seconds per real second for the retry simulation.
    pub time_scale: Option<f64>,
    /// Build the deliveries from this captured delivery instead of the provider's sample.
    #[ts(type = "number | null")]
    pub from_delivery_id: Option<i64>,
}

/// The run `input` asks for, with the endpoint's secrets unsealed.
pub fn spec(registry: &Registry, input: &HandlerCheckInput) -> Result<CheckSpec> {
    let endpoint = super::endpoint_secrets(registry, &input.endpoint_id.to_string())?;
    if endpoint.secrets.is_empty() {
        return Err(HandlerCheckError::Invalid(format!(
            "the endpoint {:?} has no signing secret; set one in its settings first",
            endpoint.name
        )));
    }
    let mut provider = input.provider.or(endpoint.provider);
    if let (None, Some(id)) = (provider, input.from_delivery_id) {
        let detail = registry.store().detail(id)?;
        provider = detail.summary.provider.as_deref().and_then(|p| p.parse().ok());
    }
    let Some(provider) = provider else {
        return Err(HandlerCheckError::Invalid(
            "choose a provider: the endpoint has none".to_owned(),
        ));
    };
    let timeout = match input.timeout_secs {
        None => default_timeout(provider),
        Some(secs) if secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT_SECS => {
            Duration::from_secs_f64(secs)
        }
        Some(_) => {
            return Err(HandlerCheckError::Invalid(format!(
                "the timeout must be above 0 and at most {MAX_TIMEOUT_SECS} seconds"
            )));
        }
    };
    let time_scale = input.time_scale.unwrap_or(RetrySpec::DEFAULT_TIME_SCALE);
    if input.retries && !(time_scale.is_finite() && time_scale > 0.0) {
        return Err(HandlerCheckError::Invalid(
            "the time scale must be a number above 0".to_owned(),
        ));
    }
    Ok(CheckSpec {
        provider,
        url: input.target.trim().to_owned(),
        secrets: endpoint.secrets,
        signature_header: endpoint.signature_header,
        from: input.from_delivery_id,
        only: input.only.clone().filter(|only| !only.is_empty()),
        timeout,
        retries: input.retries.then_some(RetrySpec { time_scale, prior_failures: 0 }),
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;
    use crate::store::{Store, StoreOptions};

    fn registry(dir: &std::path::Path) -> Registry {
        // A key file first, so tests never reach for the developer's keyring.
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        std::fs::write(dir.join(crate::secrets::KEY_FILE), key).unwrap();
        Registry::open(Store::open(dir, StoreOptions::default()).unwrap(), dir).unwrap()
    }

    fn endpoint(registry: &Registry, name: &str) -> i64 {
        registry.settings().unwrap().into_iter().find(|e| e.name == name).unwrap().id
    }

    fn input(endpoint_id: i64) -> HandlerCheckInput {
        HandlerCheckInput {
            provider: None,
            target: " http://127.0.0.1:3000/hook ".to_owned(),
            endpoint_id,
            only: Some(Vec::new()),
            timeout_secs: None,
            retries: false,
            time_scale: None,
            from_delivery_id: None,
        }
    }

    #[test]
    fn the_window_names_an_endpoint_and_its_stored_secrets_sign() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let fleiko = endpoint(&registry, "fleiko");
        registry.set_secrets(fleiko, &["whsec_new".into(), "whsec_old".into()]).unwrap();
        let got = spec(&registry, &input(fleiko)).unwrap();
        assert_eq!(got.provider, ProviderId::Fleiko, "the endpoint's provider");
        assert_eq!(got.url, "http://127.0.0.1:3000/hook");
        assert_eq!(got.secrets.len(), 2, "current and previous");
        assert_eq!(got.only, None, "no checks named means every check");
        assert_eq!(got.timeout, default_timeout(ProviderId::Fleiko));
        assert!(got.retries.is_none());

        let asked = HandlerCheckInput {
            provider: Some(ProviderId::Flowella),
            only: Some(vec![CheckId::Valid]),
            timeout_secs: Some(2.5),
            retries: true,
            ..input(fleiko)
        };
        let got = spec(&registry, &asked).unwrap();
        assert_eq!(got.provider, ProviderId::Flowella, "a chosen provider wins");
        assert_eq!(got.only, Some(vec![CheckId::Valid]));
        assert_eq!(got.timeout, Duration::from_millis(2500));
        assert_eq!(got.retries.map(|r| r.time_scale), Some(RetrySpec::DEFAULT_TIME_SCALE));
    }

    #[test]
    fn a_run_without_a_secret_or_with_a_bad_timeout_is_refused_before_sending() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry(dir.path());
        let fleiko = endpoint(&registry, "fleiko");
        let err = spec(&registry, &input(fleiko)).unwrap_err();
        assert!(err.to_string().contains("no signing secret"), "{err}");
        registry.set_secrets(fleiko, &["whsec_new".into()]).unwrap();
        for bad in [0.0, -1.0, f64::NAN, MAX_TIMEOUT_SECS + 1.0] {
            let asked = HandlerCheckInput { timeout_secs: Some(bad), ..input(fleiko) };
            assert!(matches!(spec(&registry, &asked), Err(HandlerCheckError::Invalid(_))), "{bad}");
        }
        let scale = HandlerCheckInput { retries: true, time_scale: Some(0.0), ..input(fleiko) };
        assert!(matches!(spec(&registry, &scale), Err(HandlerCheckError::Invalid(_))));
        assert!(spec(&registry, &input(9999)).is_err(), "no such endpoint");
    }
}
