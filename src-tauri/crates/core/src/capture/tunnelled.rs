//! Connections that arrive through a tunnel: served by the same capture service as the main
//! listener, tagged so that their deliveries record which tunnel carried them.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{ListenerHandle, app, protocols, serve_connection};

impl ListenerHandle {
    /// Serves one connection handed over in-process by the tunnel `via` (ngrok).
    pub fn serve_tunnelled<S>(&self, stream: S, remote: SocketAddr, via: &'static str)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let state = self.state.clone();
        // Waits for room under the connection cap like any other connection.
        tokio::spawn(async move {
            let admission = state.conns.admit().await;
            let router = app(state);
            serve_connection(&protocols(), &router, admission, stream, remote, Some(via), None);
        });
    }

    /// Opens a loopback port whose connections count as arriving through the tunnel `via`,
    /// for tunnel clients that forward to a TCP port (bore). Closed when the entry is dropped.
    pub async fn open_tunnel_entry(&self, via: &'static str) -> std::io::Result<TunnelEntry> {
        let tcp = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = tcp.local_addr()?;
        let router = app(self.state.clone());
        let conns = self.state.conns.clone();
        let task = tokio::spawn(async move {
            let protocols = protocols();
            let mut admitted = None;
            loop {
                let admission = match admitted.take() {
                    Some(admission) => admission,
                    None => conns.admit().await,
                };
                match tcp.accept().await {
                    Ok((stream, remote)) => {
                        let _ = stream.set_nodelay(true);
                        let via = Some(via);
                        serve_connection(&protocols, &router, admission, stream, remote, via, None);
                    }
                    Err(err) => {
                        tracing::warn!("tunnel entry accept failed: {err}");
                        admitted = Some(admission);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
            }
        });
        Ok(TunnelEntry { addr, task })
    }
}

/// A loopback port served as a tunnel's way in; see [`ListenerHandle::open_tunnel_entry`].
pub struct TunnelEntry {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl TunnelEntry {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for TunnelEntry {
    fn drop(&mut self) {
        self.task.abort();
    }
}
