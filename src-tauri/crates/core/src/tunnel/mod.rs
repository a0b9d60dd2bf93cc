//! Public URLs for the capture listener: a [`Tunnel`] trait with ngrok (in-process agent),
//! bore (TCP tunnel to a bore server) and external (a URL the user's own tunnel serves)
//! implementations, and a [`TunnelManager`] that keeps one running: live status, reconnect
//! with capped backoff.

mod bore;
mod external;
mod manager;
mod ngrok;
mod service;
pub mod settings;

use std::fmt;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::capture::ListenerHandle;
use crate::secrets::SecretsError;
use crate::store::StoreError;

pub use bore::Bore;
pub use external::External;
pub use manager::{Backoff, TunnelManager};
pub use ngrok::{NGROK_AUTHTOKEN_ENV, Ngrok};
pub use service::TunnelService;
pub use settings::{TunnelOverrides, TunnelSettings, TunnelSettingsInput};

/// Which kind of tunnel gives the public URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum TunnelKind {
    Ngrok,
    Bore,
    External,
}

impl TunnelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ngrok => "ngrok",
            Self::Bore => "bore",
            Self::External => "external",
        }
    }
}

impl fmt::Display for TunnelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TunnelKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ngrok" => Ok(Self::Ngrok),
            "bore" => Ok(Self::Bore),
            "external" => Ok(Self::External),
            other => Err(format!("unknown tunnel {other:?} (expected ngrok, bore or external)")),
        }
    }
}

/// Where the tunnel stands, published on every change (the shell emits `tunnel:status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
#[ts(export)]
pub enum TunnelStatus {
    Stopped,
    Connecting {
        kind: TunnelKind,
    },
    Online {
        kind: TunnelKind,
        /// The public base URL; an endpoint's URL is this plus its path prefix.
        url: String,
    },
    Error {
        kind: TunnelKind,
        reason: String,
        /// When the next attempt starts (ms from now); none when retrying cannot help
        /// (missing authtoken, invalid URL).
        #[serde(rename = "retryInMs")]
        #[ts(type = "number | null")]
        retry_in_ms: Option<u64>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    /// Settings that cannot work; retrying would not help.
    #[error("{0}")]
    Config(String),
    #[error("no network: {0}")]
    Network(String),
    #[error("{0}")]
    Rejected(String),
    #[error("bore server {server} unreachable: {reason}")]
    Unreachable { server: String, reason: String },
    /// A tunnel that was online went down.
    #[error("{0}")]
    Down(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
}

impl TunnelError {
    /// Whether another attempt may succeed without the user changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Unreachable { .. } | Self::Down(_))
    }
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone)]
pub struct Hidden(String);

impl Hidden {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

/// An open tunnel: its public URL, and a future that resolves (with why) once it goes down.
pub struct OpenTunnel {
    pub url: String,
    pub closed: BoxFuture<'static, TunnelError>,
}

/// A way to get a public URL that reaches the capture listener.
pub trait Tunnel: Send + Sync + 'static {
    fn kind(&self) -> TunnelKind;

    /// Connects; resolves once the tunnel is online. Connections arriving through it are
    /// served by `listener`, tagged with the tunnel's kind.
    fn open(&self, listener: ListenerHandle) -> BoxFuture<'_, Result<OpenTunnel, TunnelError>>;
}

/// What to start: one of the three tunnels, with everything it needs.
#[derive(Debug, Clone)]
pub enum TunnelConfig {
    Ngrok { authtoken: Hidden, domain: Option<String> },
    Bore { server: String, secret: Option<Hidden> },
    External { url: String },
}

impl TunnelConfig {
    pub fn kind(&self) -> TunnelKind {
        match self {
            Self::Ngrok { .. } => TunnelKind::Ngrok,
            Self::Bore { .. } => TunnelKind::Bore,
            Self::External { .. } => TunnelKind::External,
        }
    }

    pub fn into_tunnel(self) -> Box<dyn Tunnel> {
        match self {
            Self::Ngrok { authtoken, domain } => Box::new(Ngrok::new(authtoken, domain)),
            Self::Bore { server, secret } => Box::new(Bore::new(server, secret)),
            Self::External { url } => Box::new(External::new(url)),
        }
    }
}

/// The public URL of an endpoint behind the tunnel's base URL.
pub fn endpoint_url(base: &str, path_prefix: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path_prefix.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_join_with_one_slash() {
        assert_eq!(endpoint_url("https://a.ngrok.app/", "/fleiko"), "https://a.ngrok.app/fleiko");
        assert_eq!(endpoint_url("http://bore.pub:4000", "/flovi"), "http://bore.pub:4000/flovi");
    }

    #[test]
    fn hidden_values_stay_out_of_debug_output() {
        let config = TunnelConfig::Ngrok { authtoken: Hidden::new("2abcSECRET"), domain: None };
        assert!(!format!("{config:?}").contains("SECRET"));
    }

    #[test]
    fn status_serialises_with_a_state_tag() {
        let status = TunnelStatus::Error {
            kind: TunnelKind::Bore,
            reason: "down".into(),
            retry_in_ms: Some(1000),
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["state"], "error");
        assert_eq!(json["kind"], "bore");
        assert_eq!(json["retryInMs"], 1000);
    }
}
