//! bore's own server (from the bore-cli crate) for tunnel tests, on loopback.

use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::time::Duration;

use crate::wait_for;

/// bore servers all listen on the fixed control port: tests that run one hold this throughout.
static CONTROL_PORT_IN_USE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The right to run a bore server, held until dropped.
pub struct Exclusive {
    _thread: std::sync::MutexGuard<'static, ()>,
    _process: std::fs::File,
}

/// Waits until no other test runs a bore server — of this binary, or of another test run on the
/// same machine (a second checkout's suite), which would otherwise answer on the same port —
/// and keeps it so until dropped.
pub fn exclusive() -> Exclusive {
    let thread = CONTROL_PORT_IN_USE.lock().unwrap_or_else(|e| e.into_inner());
    let path = std::env::temp_dir().join("hookscope-tests-bore-control-port.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    // Released by the OS however the process ends.
    file.lock().unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    Exclusive { _thread: thread, _process: file }
}

/// bore's own server, run on its own runtime so that stopping it drops every connection it
/// holds, as a crashed or restarted server would.
pub struct BoreServer {
    runtime: Option<tokio::runtime::Runtime>,
}

impl BoreServer {
    pub fn start() -> Self {
        Self::start_with_secret(None)
    }

    /// A server that only lets clients knowing `secret` in.
    pub fn start_with_secret(secret: Option<&str>) -> Self {
        let secret = secret.map(str::to_owned);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let mut server = bore_cli::server::Server::new(1024..=65535, secret.as_deref());
            server.set_bind_addr(IpAddr::V4(Ipv4Addr::LOCALHOST));
            server.set_bind_tunnels(IpAddr::V4(Ipv4Addr::LOCALHOST));
            let _ = ready_tx.send(());
            if let Err(err) = server.listen().await {
                eprintln!("bore server stopped: {err}");
            }
        });
        ready_rx.recv().unwrap();
        wait_for(Duration::from_secs(10), "the bore server's control port", || {
            TcpStream::connect(("127.0.0.1", bore_cli::shared::CONTROL_PORT)).ok()
        });
        Self { runtime: Some(runtime) }
    }

    /// Stops the server and every connection it holds; returns once its port refuses.
    /// Usable from async tests: the runtime shuts down in the background.
    pub fn stop(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        wait_for(Duration::from_secs(10), "the bore server to stop", || {
            TcpStream::connect(("127.0.0.1", bore_cli::shared::CONTROL_PORT)).is_err().then_some(())
        });
    }
}

impl Drop for BoreServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
