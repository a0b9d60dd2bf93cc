//! A tunnel the user runs (cloudflared, a reverse proxy, ...): Hookscope only shows its URL.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{OpenTunnel, Tunnel, TunnelError, TunnelKind};
use crate::capture::ListenerHandle;

pub struct External {
    url: String,
}

impl External {
    pub fn new(url: String) -> Self {
        Self { url }
    }
}

/// An `http` or `https` URL with a host; returned without a trailing slash.
pub fn check_public_url(url: &str) -> Result<String, TunnelError> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| TunnelError::Config(format!("invalid public URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(TunnelError::Config(format!(
            "invalid public URL {url:?}: expected http(s)://host[:port]"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

impl Tunnel for External {
    fn kind(&self) -> TunnelKind {
        TunnelKind::External
    }

    fn open(&self, _listener: ListenerHandle) -> BoxFuture<'_, Result<OpenTunnel, TunnelError>> {
        async move {
            let url = check_public_url(&self.url)?;
            // Nothing to watch: the user's tunnel lives outside this process.
            Ok(OpenTunnel { url, closed: futures::future::pending().boxed() })
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_must_be_http_with_a_host() {
        assert_eq!(
            check_public_url("https://hooks.example.com/").unwrap(),
            "https://hooks.example.com"
        );
        assert!(check_public_url("ftp://example.com").is_err());
        assert!(check_public_url("example.com").is_err());
    }
}
