//! Helpers for black-box tests: find the built binaries, run `hookscope-cli serve` on a free
//! port, and talk to it over plain sockets with exactly the bytes a test chooses.

#![allow(clippy::unwrap_used)]

pub mod bore;
pub mod browser;
pub mod fake_flovi;
pub mod gui;
pub mod handlers;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::Duration;

/// A binary built by this workspace, found next to the test executable's `deps` dir.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap();
    let dir = if dir.ends_with("deps") { dir.parent().unwrap() } else { dir };
    let path = dir.join(name);
    assert!(path.exists(), "{} is not built; run `cargo build --workspace` first", path.display());
    path
}

/// Runs `hookscope-cli` with `args` and waits for it.
pub fn cli(args: &[&str]) -> Output {
    cli_with_env(args, &[])
}

/// Runs `hookscope-cli` with `args` and extra environment variables, and waits for it.
pub fn cli_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin("hookscope-cli"))
        .args(args)
        .env_remove("HOOKSCOPE_DATA_DIR")
        .env("HOOKSCOPE_NO_KEYRING", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Sets an endpoint's one secret through `endpoint set-secrets`, as a user would.
pub fn set_secret(data: &Path, endpoint: &str, secret: &str) {
    let data = data.to_str().unwrap();
    let args = ["endpoint", "set-secrets", endpoint, "--data-dir", data, "--secret-env", "S"];
    let out = cli_with_env(&args, &[("S", secret)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `hookscope-cli show ID --data-dir D` with extra args, stdout when it succeeded.
pub fn show(data_dir: &Path, id: u64, extra: &[&str]) -> Vec<u8> {
    let id = id.to_string();
    let mut args = vec!["show", &id, "--data-dir", data_dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = cli(&args);
    assert!(out.status.success(), "show failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `hookscope-cli list --json` as parsed JSON.
pub fn list_json(data_dir: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["list", "--json", "--data-dir", data_dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = cli(&args);
    assert!(out.status.success(), "list failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A running `hookscope-cli serve`, killed when dropped.
pub struct Serve {
    pub child: Child,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// The `ui: http://…/#token=…` address, when started with [`Serve::start_ui`].
    pub ui_url: Option<String>,
    _stdout: ChildStdout,
}

impl Serve {
    pub fn start(data_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn(data_dir, extra, false)
    }

    /// `serve` with the browser UI on a free loopback port (`--ui --ui-listen 127.0.0.1:0`),
    /// its address and token read from the `ui:` line it prints after `local:`.
    pub fn start_ui(data_dir: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--ui", "--ui-listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        Self::spawn(data_dir, &args, true)
    }

    fn spawn(data_dir: &Path, extra: &[&str], ui: bool) -> Self {
        let mut child = Command::new(bin("hookscope-cli"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .env("HOOKSCOPE_NO_KEYRING", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("local: http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .unwrap();
        // Read through the same buffer: the `ui:` line may already be in it.
        let ui_url = ui.then(|| {
            line.clear();
            stdout.read_line(&mut line).unwrap();
            let url = line.trim().strip_prefix("ui: ");
            url.unwrap_or_else(|| panic!("no `ui:` line after `local:`: {line:?}")).to_owned()
        });
        Self { child, addr, data_dir: data_dir.to_path_buf(), ui_url, _stdout: stdout.into_inner() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response read off a raw connection.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Builds a request with headers exactly as given (no normalisation) and a Content-Length.
pub fn request(method: &str, target: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: test\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// Writes `raw` and reads one response (Content-Length framed, as the listener answers).
pub fn exchange(stream: &mut TcpStream, raw: &[u8]) -> std::io::Result<RawResponse> {
    stream.write_all(raw)?;
    read_response(stream)
}

/// `read` that retries when a signal (a child process exiting, say) interrupts it.
fn read_some(stream: &mut TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match stream.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

pub fn read_response(stream: &mut TcpStream) -> std::io::Result<RawResponse> {
    // Never reads past this response: a pipelined one behind it stays for the next call.
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if read_some(stream, &mut byte)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed"));
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().split(' ').nth(1).unwrap_or("0").parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
    let body = if header("transfer-encoding").is_some_and(|(_, v)| v.contains("chunked")) {
        let mut body = Vec::new();
        loop {
            let line = read_line(stream)?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).unwrap_or(0);
            if size == 0 {
                // Trailers, up to the empty line.
                while !read_line(stream)?.is_empty() {}
                break body;
            }
            body.extend(read_exactly(stream, size)?);
            read_line(stream)?;
        }
    } else {
        let len = header("content-length").map_or(0, |(_, v)| v.parse().unwrap());
        read_exactly(stream, len)?
    };
    Ok(RawResponse { status, headers, body })
}

/// Up to `len` bytes, fewer only when the peer closes first.
fn read_exactly(stream: &mut TcpStream, len: usize) -> std::io::Result<Vec<u8>> {
    let mut body = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let n = read_some(stream, &mut body[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    body.truncate(filled);
    Ok(body)
}

/// One CRLF-terminated line, without its end.
fn read_line(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if read_some(stream, &mut byte)? == 0 {
            break;
        }
        line.push(byte[0]);
    }
    line.truncate(line.len().saturating_sub(2));
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// POSTs `body` with headers on a fresh connection.
pub fn post(serve: &Serve, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> RawResponse {
    let mut stream = serve.connect();
    exchange(&mut stream, &request("POST", path, headers, body)).unwrap()
}

/// A port that was free a moment ago, for a process that must bind it itself and cannot report
/// the one it chose. Another process can take it before that: start such a process with
/// [`retry_on_port_taken`]. A test that needs a listener binds `127.0.0.1:0` and keeps it; one
/// that needs nothing listening uses [`RefusedPort`].
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs `start` with a fresh [`free_port`] until it succeeds: `start` returns `None` when the
/// port turned out to be taken. Panics with `what` after `attempts` tries.
pub fn retry_on_port_taken<T>(
    attempts: u32,
    what: &str,
    mut start: impl FnMut(u16) -> Option<T>,
) -> T {
    for _ in 0..attempts {
        if let Some(started) = start(free_port()) {
            return started;
        }
    }
    panic!("{what}: every one of {attempts} free ports was taken before it could be used");
}

/// A loopback port held for as long as this lives with nothing listening on it: connections to
/// it are refused, and no other process can bind it meanwhile (a socket bound but never put in
/// the listening state).
pub struct RefusedPort {
    socket: tokio::net::TcpSocket,
}

impl RefusedPort {
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        Self { socket }
    }

    pub fn port(&self) -> u16 {
        self.socket.local_addr().unwrap().port()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port())
    }
}

impl Default for RefusedPort {
    fn default() -> Self {
        Self::new()
    }
}

/// Polls `f` until it returns `Some`, or panics with `what` after `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Where tests leave files worth looking at (screenshots): `artifacts/` at the workspace root.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// HMAC-SHA256 hex, computed independently of the code under test.
pub fn hmac_hex(secret: &str, message: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Headers of a Fleiko delivery signed the documented way: `t=<unix>,v1=<hmac(t.body)>`.
pub fn fleiko_headers(
    secret: &str,
    t: i64,
    body: &str,
    delivery: &str,
    attempt: u32,
) -> Vec<(String, String)> {
    let v1 = hmac_hex(secret, format!("{t}.{body}").as_bytes());
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("X-Fleiko-Signature".into(), format!("t={t},v1={v1}")),
        ("X-Fleiko-Timestamp".into(), t.to_string()),
        ("X-Fleiko-Delivery".into(), delivery.into()),
        ("X-Fleiko-Delivery-Attempt".into(), attempt.to_string()),
    ]
}
