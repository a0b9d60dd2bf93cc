//! The wire: which base URLs the API key may be sent to, and one request with its timing,
//! a capped body and transport failures put in plain words.

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{Method, Url};

use super::{ApiKey, FloviError};
use crate::outbound::{self, TransportError, is_loopback, root_cause};

/// Flovi's documented base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.go.flovi.io/customers/api";
/// How long a call may take, connecting included, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Answer bytes kept in the history (and parsed); the rest is dropped and flagged.
pub const MAX_RESPONSE_BODY: usize = 1024 * 1024;
const API_KEY_HEADER: &str = "X-API-Key";

/// Checks a base URL and returns it without a trailing slash. The key travels in a header, so
/// it may only go over HTTPS, or plain HTTP to this machine (a local test server).
pub fn check_base_url(text: &str) -> Result<String, FloviError> {
    let text = text.trim();
    let invalid = |why: String| Err(FloviError::BaseUrl(why));
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(e) => return invalid(format!("the base URL {text:?} is not a URL: {e}")),
    };
    check_url(&url)?;
    if url.query().is_some() || url.fragment().is_some() {
        return invalid(format!(
            "the base URL {text:?} must not have a query or fragment: paths are added to it"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The rules every URL the key is sent to must meet.
pub(crate) fn check_url(url: &Url) -> Result<(), FloviError> {
    let invalid = |why: String| Err(FloviError::BaseUrl(why));
    if !url.username().is_empty() || url.password().is_some() {
        // They would end up in the call history.
        return invalid("the base URL must not contain a user name or password".into());
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => invalid(format!(
            "refusing plain http to {}: the API key must travel over https (http is allowed only \
             to this machine: localhost, 127.0.0.0/8 or ::1, for testing)",
            url.host_str().unwrap_or("?")
        )),
        other => invalid(format!("the base URL must start with https:// (found {other}://)")),
    }
}

/// What came back from one request. `error` is set when no complete answer arrived.
pub(crate) struct Exchange {
    pub status: Option<u16>,
    pub location: Option<String>,
    pub body: Vec<u8>,
    pub truncated: bool,
    pub duration: Duration,
    pub error: Option<FloviError>,
}

/// Sends one request with the key and JSON content type; never follows redirects, so the key
/// cannot be carried to another host.
pub(crate) async fn send(
    timeout: Duration,
    key: &ApiKey,
    method: Method,
    url: &str,
    body: Option<&str>,
) -> Exchange {
    let started = Instant::now();
    let mut exchange = Exchange {
        status: None,
        location: None,
        body: Vec::new(),
        truncated: false,
        duration: Duration::ZERO,
        error: None,
    };
    if let Err(error) = attempt(&mut exchange, timeout, key, method, url, body).await {
        exchange.error = Some(error);
    }
    exchange.duration = started.elapsed();
    exchange
}

async fn attempt(
    out: &mut Exchange,
    timeout: Duration,
    key: &ApiKey,
    method: Method,
    url: &str,
    body: Option<&str>,
) -> Result<(), FloviError> {
    let parsed = Url::parse(url).map_err(|e| FloviError::BaseUrl(format!("bad URL {url}: {e}")))?;
    check_url(&parsed)?;
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hookscope/", env!("CARGO_PKG_VERSION")));
    if is_loopback(&parsed) {
        // A proxy from the environment cannot reach this machine's test server.
        builder = builder.no_proxy();
    }
    let client = builder
        .build()
        .map_err(|e| FloviError::Network(format!("cannot set up HTTPS: {}", root_cause(&e))))?;
    let mut key_value = HeaderValue::from_str(key.expose()).map_err(|_| FloviError::BadKey)?;
    key_value.set_sensitive(true);
    let mut request = client
        .request(method, parsed.clone())
        .header(API_KEY_HEADER, key_value)
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json");
    if let Some(body) = body {
        request = request.body(body.to_owned());
    }
    let transport = |e: reqwest::Error| transport_error(&e, &parsed, timeout);
    let mut response = request.send().await.map_err(transport)?;
    out.status = Some(response.status().as_u16());
    out.location =
        response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        let room = MAX_RESPONSE_BODY - out.body.len();
        if chunk.len() > room {
            out.body.extend_from_slice(&chunk[..room]);
            out.truncated = true;
            break;
        }
        out.body.extend_from_slice(&chunk);
    }
    Ok(())
}

/// The shared classification, in Flovi's terms: a timeout warns the call may have been processed.
fn transport_error(error: &reqwest::Error, url: &Url, timeout: Duration) -> FloviError {
    match outbound::classify(error, url, timeout) {
        TransportError::Timeout { host, secs } => FloviError::Timeout { host, secs },
        other => FloviError::Network(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_this_machine() {
        assert_eq!(check_base_url(DEFAULT_BASE_URL).unwrap(), DEFAULT_BASE_URL);
        assert_eq!(
            check_base_url(" https://api.go.flovi.io/customers/api/ ").unwrap(),
            DEFAULT_BASE_URL
        );
        for ok in [
            "http://127.0.0.1:8080/customers/api",
            "http://127.8.9.10/api",
            "http://localhost:3000",
            "http://LOCALHOST/api",
            "http://[::1]:9000/api",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://api.go.flovi.io/customers/api", "refusing plain http"),
            ("http://localhost.example.com/api", "refusing plain http"),
            ("http://10.0.0.1/api", "refusing plain http"),
            ("http://[::2]/api", "refusing plain http"),
            ("ftp://api.go.flovi.io", "https://"),
            ("api.go.flovi.io", "not a URL"),
            ("https://user:pw@api.go.flovi.io", "user name or password"),
            ("https://api.go.flovi.io/api?x=1", "query"),
        ] {
            let err = check_base_url(bad).unwrap_err();
            assert!(matches!(err, FloviError::BaseUrl(_)), "{bad}");
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }
}
