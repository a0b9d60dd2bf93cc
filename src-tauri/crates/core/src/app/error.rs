//! The command layer's one error type; it reaches the UI as `{ code, message }`, through Tauri
//! IPC or the browser API alike.

use crate::export::ExportError;
use crate::flovi_api::FloviError;
use crate::handler_check::HandlerCheckError;
use crate::registry::RegistryError;
use crate::replay::ReplayError;
use crate::store::StoreError;
use crate::tunnel::TunnelError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Flovi(#[from] FloviError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Tunnel(#[from] TunnelError),
    #[error(transparent)]
    HandlerCheck(#[from] HandlerCheckError),
    #[error("the listener is not running, so there is nothing to tunnel to")]
    NoListener,
    #[error("background task failed: {0}")]
    Task(String),
    /// Something only the desktop app can do (a path on this machine named by the page).
    #[error("{0}")]
    Unavailable(&'static str),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(StoreError::NotFound(_) | StoreError::EndpointNotFound(_))
            | Self::Registry(RegistryError::Store(
                StoreError::NotFound(_) | StoreError::EndpointNotFound(_),
            )) => "not_found",
            Self::Store(StoreError::Invalid(_))
            | Self::Registry(RegistryError::Store(StoreError::Invalid(_)))
            | Self::Registry(RegistryError::EmptySecret | RegistryError::NoSuchSecret { .. }) => {
                "invalid"
            }
            Self::Registry(RegistryError::Secrets(_)) => "secrets",
            Self::Store(_) | Self::Registry(_) => "store",
            Self::Flovi(err) => flovi_code(err),
            Self::Replay(ReplayError::Invalid(_) | ReplayError::Target(_)) => "invalid",
            Self::Replay(ReplayError::Store(StoreError::NotFound(_))) => "not_found",
            Self::Replay(_) => "store",
            Self::Export(ExportError::Har(_)) => "invalid",
            Self::Export(ExportError::Io(_)) => "io",
            Self::Export(_) => "store",
            Self::Tunnel(TunnelError::Config(_)) => "invalid",
            Self::Tunnel(TunnelError::Secrets(_)) => "secrets",
            Self::Tunnel(_) => "tunnel",
            Self::HandlerCheck(HandlerCheckError::Invalid(_)) => "invalid",
            Self::HandlerCheck(
                HandlerCheckError::Store(StoreError::NotFound(_) | StoreError::EndpointNotFound(_))
                | HandlerCheckError::Registry(RegistryError::Store(
                    StoreError::NotFound(_) | StoreError::EndpointNotFound(_),
                )),
            ) => "not_found",
            Self::HandlerCheck(HandlerCheckError::Registry(RegistryError::Secrets(_))) => "secrets",
            Self::HandlerCheck(_) => "store",
            Self::NoListener => "no_listener",
            Self::Task(_) => "internal",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

/// The codes the Flovi panel tells apart: what to fix in the form, a missing key, Flovi's own
/// answer, and the two ways of getting none.
fn flovi_code(err: &FloviError) -> &'static str {
    match err {
        FloviError::Invalid(_) | FloviError::BaseUrl(_) | FloviError::BadKey => "invalid",
        FloviError::NoKey => "no_key",
        FloviError::Api { .. } | FloviError::BadResponse(_) => "flovi_api",
        FloviError::Network(_) => "network",
        FloviError::Timeout { .. } => "timeout",
        FloviError::CallNotFound(_) => "not_found",
        FloviError::Secrets(_) => "secrets",
        FloviError::Store(_) => "store",
        FloviError::Task(_) => "internal",
    }
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("AppError", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use crate::flovi_api::FieldError;

    use super::*;

    fn json(err: FloviError) -> serde_json::Value {
        serde_json::to_value(AppError::from(err)).unwrap()
    }

    #[test]
    fn flovi_errors_reach_the_window_as_code_and_message() {
        let invalid = FloviError::Invalid(vec![
            FieldError { field: "depart".into(), message: "is required".into() },
            FieldError { field: "originType".into(), message: "is wrong".into() },
        ]);
        assert_eq!(
            json(invalid),
            serde_json::json!({
                "code": "invalid",
                "message": "depart: is required; originType: is wrong",
            })
        );
        let api = FloviError::Api {
            status: 401,
            reason: "Unauthorized".into(),
            message: "Invalid API key".into(),
        };
        assert_eq!(
            json(api),
            serde_json::json!({"code": "flovi_api", "message": "401 Unauthorized: Invalid API key"})
        );
        assert_eq!(json(FloviError::NoKey)["code"], "no_key");
        assert_eq!(json(FloviError::Network("refused".into()))["code"], "network");
        let timeout = FloviError::Timeout { host: "h:443".into(), secs: 10.0 };
        assert_eq!(json(timeout)["code"], "timeout");
        assert_eq!(json(FloviError::BaseUrl("http".into()))["code"], "invalid");
    }

    #[test]
    fn handler_check_errors_say_what_to_fix_or_what_is_missing() {
        let code = |err: HandlerCheckError| serde_json::to_value(AppError::from(err)).unwrap();
        let invalid = code(HandlerCheckError::Invalid("the timeout must be above zero".into()));
        assert_eq!(
            invalid,
            serde_json::json!({"code": "invalid", "message": "the timeout must be above zero"})
        );
        let gone = HandlerCheckError::Store(StoreError::EndpointNotFound("9".into()));
        assert_eq!(code(gone)["code"], "not_found");
    }
}
