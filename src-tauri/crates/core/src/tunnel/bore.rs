//! bore: a plain TCP tunnel through a bore server (`bore.pub`, or a team's own). The public
//! URL is `http://host:port`; providers that insist on HTTPS need ngrok, an external tunnel or
//! a TLS proxy in front of the bore server.

use bore_cli::client::Client;
use bore_cli::shared::CONTROL_PORT;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{Hidden, OpenTunnel, Tunnel, TunnelError, TunnelKind};
use crate::capture::ListenerHandle;

/// The public bore server, used when none is configured.
pub const DEFAULT_BORE_SERVER: &str = "bore.pub";

pub struct Bore {
    server: String,
    secret: Option<Hidden>,
}

impl Bore {
    pub fn new(server: String, secret: Option<Hidden>) -> Self {
        Self { server, secret }
    }
}

/// The host of `host` or `host:port`. bore's client always uses the server's control port
/// (7835), so another port cannot be honoured and is refused rather than ignored.
pub fn bore_host(server: &str) -> Result<String, TunnelError> {
    let server = server.trim();
    let (host, port) = match server.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            let port: u16 = port.parse().map_err(|_| {
                TunnelError::Config(format!("invalid bore server {server:?}: bad port"))
            })?;
            (host, Some(port))
        }
        _ => (server, None),
    };
    if host.is_empty() || host.contains('/') {
        return Err(TunnelError::Config(format!(
            "invalid bore server {server:?}: expected host or host:port"
        )));
    }
    if let Some(port) = port.filter(|&p| p != CONTROL_PORT) {
        return Err(TunnelError::Config(format!(
            "bore server port {port} is not supported: bore clients connect to control port \
             {CONTROL_PORT}"
        )));
    }
    Ok(host.to_owned())
}

fn connect_error(server: &str, reason: String) -> TunnelError {
    if reason.contains("authentication") || reason.contains("secret") {
        TunnelError::Rejected(format!("bore server {server} refused the secret: {reason}"))
    } else {
        TunnelError::Unreachable { server: server.to_owned(), reason }
    }
}

impl Tunnel for Bore {
    fn kind(&self) -> TunnelKind {
        TunnelKind::Bore
    }

    fn open(&self, listener: ListenerHandle) -> BoxFuture<'_, Result<OpenTunnel, TunnelError>> {
        async move {
            let host = bore_host(&self.server)?;
            let entry =
                listener.open_tunnel_entry(TunnelKind::Bore.as_str()).await.map_err(|e| {
                    TunnelError::Config(format!("cannot open the local tunnel entry: {e}"))
                })?;
            let secret = self.secret.as_ref().map(Hidden::expose);
            let client = Client::new("127.0.0.1", entry.local_addr().port(), &host, 0, secret)
                .await
                .map_err(|e| connect_error(&host, format!("{e:#}")))?;
            let url = format!("http://{host}:{}", client.remote_port());
            let closed = async move {
                // The entry lives as long as the tunnel does.
                let _entry = entry;
                match client.listen().await {
                    Ok(()) => TunnelError::Down(format!("bore server {host} closed the tunnel")),
                    Err(err) => TunnelError::Down(format!("lost bore server {host}: {err:#}")),
                }
            }
            .boxed();
            Ok(OpenTunnel { url, closed })
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_host_or_host_with_the_control_port() {
        assert_eq!(bore_host("bore.pub").unwrap(), "bore.pub");
        assert_eq!(bore_host("127.0.0.1:7835").unwrap(), "127.0.0.1");
        assert!(matches!(bore_host("127.0.0.1:9000"), Err(TunnelError::Config(_))));
        assert!(bore_host("").is_err());
        assert!(bore_host("http://x").is_err());
    }
}
