//! ngrok through its agent SDK, in-process: connections arrive as streams and are served by
//! the capture service directly, tagged `ngrok`.

use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use ngrok::config::TunnelBuilder;
use ngrok::conn::ConnInfo;
use ngrok::session::ConnectError;
use ngrok::tunnel::EndpointInfo;

use super::{Hidden, OpenTunnel, Tunnel, TunnelError, TunnelKind};
use crate::capture::ListenerHandle;

/// Read when no authtoken is stored.
pub const NGROK_AUTHTOKEN_ENV: &str = "NGROK_AUTHTOKEN";
/// A DNS lookup or TCP connect that hangs (captive portals, dropped packets) is no network too.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Ngrok {
    authtoken: Hidden,
    domain: Option<String>,
}

impl Ngrok {
    pub fn new(authtoken: Hidden, domain: Option<String>) -> Self {
        Self { authtoken, domain }
    }
}

fn connect_error(err: ConnectError) -> TunnelError {
    use ngrok::Error as _;
    match &err {
        ConnectError::Tcp(io) => {
            TunnelError::Network(format!("cannot reach ngrok (connect.ngrok-agent.com): {io}"))
        }
        ConnectError::Tls(io) => {
            TunnelError::Network(format!("TLS handshake with ngrok failed: {io}"))
        }
        ConnectError::Auth(_) => {
            let code = err.error_code().map(|c| format!(" ({c})")).unwrap_or_default();
            TunnelError::Rejected(format!("ngrok rejected the authtoken{code}: {}", err.msg()))
        }
        _ => TunnelError::Down(format!("ngrok session failed: {}", err.msg())),
    }
}

impl Tunnel for Ngrok {
    fn kind(&self) -> TunnelKind {
        TunnelKind::Ngrok
    }

    fn open(&self, listener: ListenerHandle) -> BoxFuture<'_, Result<OpenTunnel, TunnelError>> {
        async move {
            let mut builder = ngrok::Session::builder();
            builder.authtoken(self.authtoken.expose());
            let session = tokio::time::timeout(CONNECT_TIMEOUT, builder.connect())
                .await
                .map_err(|_| {
                    TunnelError::Network(format!(
                        "no answer from ngrok within {}s",
                        CONNECT_TIMEOUT.as_secs()
                    ))
                })?
                .map_err(connect_error)?;
            let mut endpoint = session.http_endpoint();
            if let Some(domain) = &self.domain {
                endpoint.domain(domain.clone());
            }
            let mut tunnel = endpoint.listen().await.map_err(|e| {
                use ngrok::Error as _;
                TunnelError::Rejected(format!("ngrok refused the tunnel: {}", e.msg()))
            })?;
            let url = tunnel.url().to_owned();
            let closed = async move {
                // Dropping the session would end the tunnel.
                let _session = session;
                loop {
                    match tunnel.try_next().await {
                        Ok(Some(conn)) => {
                            let remote = conn.remote_addr();
                            listener.serve_tunnelled(conn, remote, TunnelKind::Ngrok.as_str());
                        }
                        Ok(None) => return TunnelError::Down("ngrok closed the tunnel".into()),
                        Err(err) => {
                            return TunnelError::Down(format!("ngrok tunnel failed: {err}"));
                        }
                    }
                }
            }
            .boxed();
            Ok(OpenTunnel { url, closed })
        }
        .boxed()
    }
}
