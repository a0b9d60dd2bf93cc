//! Flovi's customer API: list the organisation's offices and create schedules, which the user
//! then completes on Flovi's side through a link.
//!
//! Every call is recorded (method, URL, body, answer, timing, error) and can be sent again.
//! The API key is sealed at rest like endpoint secrets and travels only in the `X-API-Key`
//! header, which is never stored; it is never part of an error, a log line or `Debug` output,
//! and is blanked out of anything Flovi might echo back.

mod http;
mod response;
mod schedule;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use http::{DEFAULT_BASE_URL, DEFAULT_TIMEOUT, MAX_RESPONSE_BODY, check_base_url};
pub use response::{COMPLETION_URL, FloviOffice, ScheduleResult, completion_link};
pub use schedule::{
    COUNTRIES, FieldError, PLACE_TYPES, RESERVATION_TYPES, ScheduleRequest, check_address, depart,
    field_errors, validate,
};

use crate::secrets::{KeySource, SecretBox, SecretsError};
use crate::store::{Store, StoreError, flovi as db};

/// Calls the history lists at most.
pub const CALLS_LISTED: u32 = 200;
/// Environment variable the CLI reads the key from before the stored one.
pub const API_KEY_ENV: &str = "FLOVI_API_KEY";

#[derive(Debug, thiserror::Error)]
pub enum FloviError {
    /// Problems with a schedule request, found before anything was sent.
    #[error("{}", describe_fields(.0))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    BaseUrl(String),
    #[error("the API key must be printable ASCII without spaces (it travels in an HTTP header)")]
    BadKey,
    #[error("no Flovi API key is set")]
    NoKey,
    /// Flovi answered with an error status; `message` is the answer's own when it has one.
    #[error("{status} {reason}: {message}")]
    Api { status: u16, reason: String, message: String },
    #[error("Flovi's answer cannot be used: {0}")]
    BadResponse(String),
    #[error("{0}")]
    Network(String),
    #[error(
        "no answer from {host} within {secs} s (timed out); Flovi may still have processed the \
         request"
    )]
    Timeout { host: String, secs: f64 },
    #[error("Flovi call {0} not found")]
    CallNotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("background task failed: {0}")]
    Task(String),
}

pub type Result<T, E = FloviError> = std::result::Result<T, E>;

/// `field: message; field: message`.
fn describe_fields(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

/// An API key. Shows nothing of itself in `Debug` and has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Trims the key; refuses an empty one ([`FloviError::NoKey`]) and one that cannot be a
    /// header value ([`FloviError::BadKey`]).
    pub fn new(text: &str) -> Result<Self> {
        let key = text.trim();
        if key.is_empty() {
            return Err(FloviError::NoKey);
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(FloviError::BadKey);
        }
        Ok(Self(key.to_owned()))
    }

    fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with the key blanked out, for anything kept or shown that came from outside.
    fn redact(&self, text: String) -> String {
        // A very short key would blank out ordinary words; it also cannot be worth guarding.
        if self.0.len() >= 4 && text.contains(&self.0) {
            text.replace(&self.0, "[API key]")
        } else {
            text
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

/// What the client uses besides the stored settings.
#[derive(Debug, Clone)]
pub struct FloviOptions {
    pub timeout: Duration,
    /// Used instead of the stored key (the CLI's `FLOVI_API_KEY`).
    pub api_key: Option<ApiKey>,
    /// Used instead of the stored base URL (the CLI's `--base-url`); checked before use.
    pub base_url: Option<String>,
}

impl Default for FloviOptions {
    fn default() -> Self {
        Self { timeout: DEFAULT_TIMEOUT, api_key: None, base_url: None }
    }
}

/// The client's settings as the user sees them; never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviSettings {
    pub base_url: String,
    pub has_api_key: bool,
    /// Where the key that seals the API key is kept.
    pub key_source: KeySource,
}

/// One recorded call. Request headers are not recorded: the key is one of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviCall {
    #[ts(type = "number")]
    pub id: i64,
    /// Unix milliseconds when the call started.
    #[ts(type = "number")]
    pub at: i64,
    pub method: String,
    pub url: String,
    pub request_body: Option<String>,
    pub status: Option<u16>,
    pub response_body: Option<String>,
    /// The response body was cut at [`MAX_RESPONSE_BODY`]. Kept out of the window's type, which
    /// shows the body as it is; the CLI reports it.
    #[serde(skip)]
    pub response_truncated: bool,
    #[ts(type = "number")]
    pub duration_ms: u64,
    pub error: Option<String>,
    pub schedule_id: Option<String>,
    /// Where the user completes the reservation, for calls that created a schedule.
    pub completion_link: Option<String>,
}

/// The client: settings and history in the store, the key sealed by the [`SecretBox`].
/// Cheap to clone.
#[derive(Clone)]
pub struct FloviClient {
    store: Store,
    secrets: Arc<SecretBox>,
    options: FloviOptions,
}

impl fmt::Debug for FloviClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FloviClient").field("options", &self.options).finish_non_exhaustive()
    }
}

/// What a successful call produced, by endpoint.
enum Answer {
    Offices(Vec<FloviOffice>),
    Schedule(ScheduleResult),
    Other,
}

impl FloviClient {
    pub fn new(store: Store, secrets: Arc<SecretBox>, options: FloviOptions) -> Self {
        Self { store, secrets, options }
    }

    /// A client whose key is sealed with `data_dir`'s data key.
    pub fn open(store: Store, data_dir: &Path, options: FloviOptions) -> Result<Self> {
        Ok(Self::new(store, Arc::new(SecretBox::open(data_dir)?), options))
    }

    pub fn options(&self) -> &FloviOptions {
        &self.options
    }

    pub fn settings(&self) -> Result<FloviSettings> {
        let row = self.store.read(db::row)?;
        Ok(FloviSettings {
            base_url: self.base_url_text(&row),
            has_api_key: self.options.api_key.is_some() || row.api_key_sealed.is_some(),
            key_source: self.secrets.source().clone(),
        })
    }

    fn base_url_text(&self, row: &db::FloviRow) -> String {
        let configured = self.options.base_url.clone().or_else(|| row.base_url.clone());
        configured.unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
    }

    /// The base URL calls go to, checked.
    pub fn base_url(&self) -> Result<String> {
        check_base_url(&self.base_url_text(&self.store.read(db::row)?))
    }

    /// Stores the base URL; an empty one means the default again.
    pub fn set_base_url(&self, text: &str) -> Result<FloviSettings> {
        let checked = match text.trim() {
            "" => None,
            text => Some(check_base_url(text)?),
        };
        self.store.write(|c| db::set_base_url(c, checked.as_deref()))?;
        self.settings()
    }

    /// Seals and stores the key; an empty one removes it.
    pub fn set_api_key(&self, text: &str) -> Result<FloviSettings> {
        let sealed = match ApiKey::new(text) {
            Ok(key) => Some(self.secrets.seal(key.expose().as_bytes())),
            Err(FloviError::NoKey) => None,
            Err(other) => return Err(other),
        };
        self.store.write(|c| db::set_sealed_key(c, sealed.as_deref()))?;
        self.settings()
    }

    /// The key calls are made with: the configured one, else the stored one.
    fn api_key(&self) -> Result<ApiKey> {
        if let Some(key) = &self.options.api_key {
            return Ok(key.clone());
        }
        let sealed = self.store.read(db::row)?.api_key_sealed.ok_or(FloviError::NoKey)?;
        let plain = self.secrets.unseal(&sealed)?;
        ApiKey::new(&String::from_utf8_lossy(&plain))
    }

    /// The office list last fetched from the current base URL, if there is one.
    pub fn known_offices(&self) -> Result<Option<Vec<FloviOffice>>> {
        let base = self.base_url()?;
        Ok(self.store.read(|c| db::cached_offices(c, &base))?)
    }

    /// Every problem with `request`, checking office ids against the known office list.
    pub fn field_errors(&self, request: &ScheduleRequest) -> Result<Vec<FieldError>> {
        let offices = self.known_offices()?;
        Ok(schedule::field_errors(request, offices.as_deref()))
    }

    /// The newest calls first, at most `limit`.
    pub fn calls(&self, limit: u32) -> Result<Vec<FloviCall>> {
        Ok(self.store.read(|c| db::calls(c, limit))?)
    }

    /// `GET /offices`; remembers the list for checking office ids.
    pub async fn offices(&self) -> Result<Vec<FloviOffice>> {
        let (base, key) = self.blocking(|c| Ok((c.base_url()?, c.api_key()?))).await?;
        let url = format!("{base}/offices");
        let (recorded, outcome) = self.call(&key, Method::GET, url, None).await;
        warn_unrecorded(recorded);
        match outcome? {
            Answer::Offices(offices) => {
                self.remember_offices(base, offices.clone()).await;
                Ok(offices)
            }
            _ => Err(FloviError::BadResponse("expected a list of offices".into())),
        }
    }

    /// Checks `request` (nothing is sent when it is invalid), then `POST /schedule`.
    pub async fn schedule(&self, request: &ScheduleRequest) -> Result<ScheduleResult> {
        let request = request.clone();
        let (url, body, key) = self
            .blocking(move |c| {
                let base = c.base_url()?;
                let offices = c.store.read(|conn| db::cached_offices(conn, &base))?;
                let body = validate(&request, offices.as_deref()).map_err(FloviError::Invalid)?;
                Ok((format!("{base}/schedule"), body, c.api_key()?))
            })
            .await?;
        let (recorded, outcome) = self.call(&key, Method::POST, url, Some(body)).await;
        warn_unrecorded(recorded);
        match outcome? {
            Answer::Schedule(result) => Ok(result),
            _ => Err(FloviError::BadResponse("expected a schedule".into())),
        }
    }

    /// Sends a recorded call again, as it was, with the current key; records it as a new call.
    /// Flovi's errors are part of the returned call, not an `Err`.
    pub async fn rerun(&self, id: i64) -> Result<FloviCall> {
        let (old, key) = self
            .blocking(move |c| {
                let old = c.store.read(|conn| db::call(conn, id))?;
                Ok((old.ok_or(FloviError::CallNotFound(id))?, c.api_key()?))
            })
            .await?;
        let method = Method::from_bytes(old.method.as_bytes())
            .map_err(|_| StoreError::Invalid(format!("call {id} has no valid method")))?;
        let url = reqwest::Url::parse(&old.url)
            .map_err(|e| FloviError::BaseUrl(format!("call {id} has a bad URL: {e}")))?;
        // The history is only as trustworthy as the file it lives in.
        http::check_url(&url)?;
        let (recorded, outcome) = self.call(&key, method, old.url.clone(), old.request_body).await;
        if let Ok(Answer::Offices(offices)) = outcome
            && let Some(base) = old.url.strip_suffix("/offices")
        {
            self.remember_offices(base.to_owned(), offices).await;
        }
        recorded
    }

    /// Sends one request and records it. Returns the record (or why it could not be written)
    /// and what the answer means.
    async fn call(
        &self,
        key: &ApiKey,
        method: Method,
        url: String,
        body: Option<String>,
    ) -> (Result<FloviCall>, Result<Answer>) {
        let at = now_ms();
        let mut exchange =
            http::send(self.options.timeout, key, method.clone(), &url, body.as_deref()).await;
        let outcome = interpret(&method, &url, &mut exchange, key);
        tracing::debug!(%method, %url, status = ?exchange.status, "flovi call");
        let schedule_id = match &outcome {
            Ok(Answer::Schedule(result)) => Some(result.schedule_id.clone()),
            _ => None,
        };
        let new = db::NewCall {
            at,
            method: method.to_string(),
            url,
            request_body: body,
            status: exchange.status,
            response_body: exchange
                .status
                .map(|_| key.redact(String::from_utf8_lossy(&exchange.body).into_owned())),
            response_truncated: exchange.truncated,
            duration_ms: exchange.duration.as_millis().min(u128::from(u64::MAX)) as u64,
            // Displayed errors never hold the key: messages from Flovi were redacted above.
            error: outcome.as_ref().err().map(ToString::to_string),
            schedule_id,
        };
        let recorded = self
            .blocking(move |c| {
                let id = c.store.write(|conn| db::insert_call(conn, &new))?;
                Ok(FloviCall {
                    id,
                    at: new.at,
                    method: new.method,
                    url: new.url,
                    request_body: new.request_body,
                    status: new.status,
                    response_body: new.response_body,
                    response_truncated: new.response_truncated,
                    duration_ms: new.duration_ms,
                    error: new.error,
                    completion_link: new.schedule_id.as_deref().map(completion_link),
                    schedule_id: new.schedule_id,
                })
            })
            .await;
        (recorded, outcome)
    }

    async fn remember_offices(&self, base: String, offices: Vec<FloviOffice>) {
        let saved = self
            .blocking(move |c| {
                Ok(c.store.write(|conn| db::cache_offices(conn, &base, &offices, now_ms()))?)
            })
            .await;
        if let Err(err) = saved {
            tracing::warn!("the office list is not remembered: {err}");
        }
    }

    /// Runs store work off the async runtime's workers.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Self) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || f(&this))
            .await
            .map_err(|e| FloviError::Task(e.to_string()))?
    }
}

/// A call that happened but could not be written to the history is not worth failing the
/// caller's result for: the schedule exists either way.
fn warn_unrecorded(recorded: Result<FloviCall>) {
    if let Err(err) = recorded {
        tracing::warn!("a Flovi call was not recorded in the history: {err}");
    }
}

/// What an exchange means for the endpoint it went to.
fn interpret(
    method: &Method,
    url: &str,
    exchange: &mut http::Exchange,
    key: &ApiKey,
) -> Result<Answer> {
    if let Some(error) = exchange.error.take() {
        return Err(error);
    }
    let status = exchange.status.unwrap_or_default();
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown Status")
        .to_owned();
    match status {
        200..=299 if exchange.truncated => Err(FloviError::BadResponse(format!(
            "the answer is larger than {} MiB",
            MAX_RESPONSE_BODY / (1024 * 1024)
        ))),
        200..=299 => {
            let body = &exchange.body;
            let bad = |why: String| FloviError::BadResponse(key.redact(why));
            if *method == Method::GET && url.ends_with("/offices") {
                response::parse_offices(body).map(Answer::Offices).map_err(bad)
            } else if *method == Method::POST && url.ends_with("/schedule") {
                response::parse_schedule(body).map(Answer::Schedule).map_err(bad)
            } else {
                Ok(Answer::Other)
            }
        }
        300..=399 => Err(FloviError::Api {
            status,
            reason,
            message: format!(
                "a redirect to {}, not followed so that the API key is not sent elsewhere; \
                 check the base URL",
                key.redact(exchange.location.clone().unwrap_or_else(|| "nowhere".into()))
            ),
        }),
        _ => Err(FloviError::Api {
            status,
            reason,
            message: key.redact(response::error_message(status, &exchange.body)),
        }),
    }
}

/// Office ids compare as text, and as numbers when both are (`1` and `"1"` are one office).
pub(crate) fn same_office_id(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a == b || matches!((a.parse::<i64>(), b.parse::<i64>()), (Ok(x), Ok(y)) if x == y)
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests;
