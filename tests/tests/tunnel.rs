//! Public tunnels end to end: `hookscope-cli serve --tunnel …` against bore's own server on
//! loopback (started, stopped and restarted by the test), and ngrok without a network.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookscope_e2e::bore::BoreServer;
use hookscope_e2e::{bin, exchange, list_json, request, wait_for};

/// `serve` with its stdout and stderr collected line by line.
struct Served {
    child: Child,
    local: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

fn collect(reader: impl Read + Send + 'static, lines: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            eprintln!("[serve] {line}");
            lines.lock().unwrap().push(line);
        }
    });
}

impl Served {
    fn start(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(bin("hookscope-cli"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .env("HOOKSCOPE_NO_KEYRING", "1")
            .env_remove("NGROK_AUTHTOKEN")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), stdout.clone());
        collect(child.stderr.take().unwrap(), stderr.clone());
        let first = wait_for(Duration::from_secs(20), "the first stdout line", || {
            stdout.lock().unwrap().first().cloned()
        });
        let local = first
            .strip_prefix("local: http://")
            .unwrap_or_else(|| panic!("the first line must be the local URL: {first:?}"))
            .to_owned();
        Self { child, local, stdout, stderr }
    }

    /// The `n`th `public:` line (1-based), waiting for it.
    fn public(&self, n: usize, timeout: Duration) -> String {
        wait_for(timeout, &format!("public line #{n}"), || {
            let lines = self.stdout.lock().unwrap();
            lines.iter().filter_map(|l| l.strip_prefix("public: ")).nth(n - 1).map(str::to_owned)
        })
    }

    fn public_count(&self) -> usize {
        self.stdout.lock().unwrap().iter().filter(|l| l.starts_with("public: ")).count()
    }

    /// Waits for a stderr line containing all of `parts`; returns it.
    fn stderr_line(&self, parts: &[&str], timeout: Duration) -> String {
        wait_for(timeout, &format!("a stderr line with {parts:?}"), || {
            let lines = self.stderr.lock().unwrap();
            lines.iter().find(|l| parts.iter().all(|p| l.contains(p))).cloned()
        })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POSTs a small JSON body to `base` (`http://host:port`) + `path`; returns the status and body.
fn post_to(base: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let raw = request("POST", path, &[("Content-Type", b"application/json")], body.as_bytes());
    let response = exchange(&mut stream, &raw).unwrap();
    (response.status, response.json())
}

fn delivery(data_dir: &Path, id: u64) -> serde_json::Value {
    list_json(data_dir, &[]).into_iter().find(|d| d["id"] == id).unwrap()
}

#[test]
fn bore_tunnel_captures_marks_and_reconnects() {
    let _port = hookscope_e2e::bore::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let server = BoreServer::start();
    let serve = Served::start(dir.path(), &["--tunnel", "bore", "--bore-server", "127.0.0.1"], &[]);

    let public = serve.public(1, Duration::from_secs(20));
    assert!(public.starts_with("http://127.0.0.1:"), "bore URL: {public}");
    assert_ne!(public, format!("http://{}", serve.local));

    let (status, answer) = post_to(&public, "/fleiko/hooks", r#"{"through":"bore"}"#);
    assert_eq!(status, 200, "{answer}");
    let tunnelled = answer["id"].as_u64().unwrap();
    let (status, answer) = post_to(&serve.local, "/fleiko/hooks", r#"{"direct":true}"#);
    assert_eq!(status, 200);
    let direct = answer["id"].as_u64().unwrap();

    assert_eq!(delivery(dir.path(), tunnelled)["viaTunnel"], "bore");
    assert_eq!(delivery(dir.path(), direct)["viaTunnel"], serde_json::Value::Null);
    let shown = hookscope_e2e::show(dir.path(), tunnelled, &["--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown).unwrap();
    assert_eq!(shown["viaTunnel"], "bore");
    assert_eq!(shown["bodyText"], r#"{"through":"bore"}"#);

    // The server goes away: the status turns to an error, local capture goes on.
    server.stop();
    let error = serve.stderr_line(&["tunnel error: bore"], Duration::from_secs(10));
    assert!(error.contains("retrying"), "{error}");
    // The next attempts find no server, and say so.
    serve.stderr_line(&["tunnel error: bore", "unreachable"], Duration::from_secs(10));
    let (status, _) = post_to(&serve.local, "/fleiko/hooks", r#"{"while":"down"}"#);
    assert_eq!(status, 200);
    assert_eq!(serve.public_count(), 1);

    // It comes back: the tunnel reconnects on its own, with a new public port.
    let _server = BoreServer::start();
    let again = serve.public(2, Duration::from_secs(15));
    let (status, answer) = post_to(&again, "/flovi", r#"{"after":"reconnect"}"#);
    assert_eq!(status, 200, "{answer}");
    let after = answer["id"].as_u64().unwrap();
    let after = delivery(dir.path(), after);
    assert_eq!(after["viaTunnel"], "bore");
    assert_eq!(after["endpoint"], "flovi");
}

#[test]
fn bore_secret_comes_from_the_environment_and_is_required_by_the_server() {
    let _port = hookscope_e2e::bore::exclusive();
    let dir = tempfile::tempdir().unwrap();
    let _server = BoreServer::start_with_secret(Some("team-secret"));
    let args = ["--tunnel", "bore", "--bore-server", "127.0.0.1:7835"];

    let without = Served::start(dir.path(), &args, &[]);
    let error = without.stderr_line(&["tunnel error: bore"], Duration::from_secs(10));
    assert!(error.contains("authentication"), "{error}");
    assert!(error.contains("capturing locally only"), "not retried: {error}");
    drop(without);

    let mut with_secret = args.to_vec();
    with_secret.extend(["--bore-secret-env", "HOOKSCOPE_TEST_BORE_SECRET"]);
    let serve =
        Served::start(dir.path(), &with_secret, &[("HOOKSCOPE_TEST_BORE_SECRET", "team-secret")]);
    let public = serve.public(1, Duration::from_secs(20));
    let (status, answer) = post_to(&public, "/flowella", r#"{"secret":"kept"}"#);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(delivery(dir.path(), answer["id"].as_u64().unwrap())["viaTunnel"], "bore");
    assert!(!serve.stderr.lock().unwrap().join("\n").contains("team-secret"));
}

#[test]
fn ngrok_without_a_network_says_why_and_keeps_capturing() {
    let dir = tempfile::tempdir().unwrap();
    let token = "2bad0000000000000000000000_0000000000000000bad";
    let serve = Served::start(dir.path(), &["--tunnel", "ngrok"], &[("NGROK_AUTHTOKEN", token)]);
    let error = serve.stderr_line(&["tunnel error: ngrok"], Duration::from_secs(40));
    assert!(
        error.contains("no network") || error.contains("rejected the authtoken"),
        "a clear reason: {error}"
    );
    let (status, answer) = post_to(&serve.local, "/fleiko", r#"{"local":"still works"}"#);
    assert_eq!(status, 200);
    let id = answer["id"].as_u64().unwrap();
    assert_eq!(delivery(dir.path(), id)["viaTunnel"], serde_json::Value::Null);
    assert_eq!(serve.public_count(), 0);
    let everything = serve.stderr.lock().unwrap().join("\n");
    assert!(!everything.contains(token), "the authtoken is never printed");
}

#[test]
fn ngrok_without_an_authtoken_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Served::start(dir.path(), &["--tunnel", "ngrok"], &[]);
    let error = serve.stderr_line(&["tunnel error: ngrok"], Duration::from_secs(10));
    assert!(error.contains("no ngrok authtoken") && error.contains("NGROK_AUTHTOKEN"), "{error}");
    let (status, _) = post_to(&serve.local, "/flowella", "{}");
    assert_eq!(status, 200);
}

#[test]
fn external_tunnel_prints_the_given_url_and_bad_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Served::start(
        dir.path(),
        &["--tunnel", "external", "--public-url", "https://hooks.example.com/"],
        &[],
    );
    assert_eq!(serve.public(1, Duration::from_secs(10)), "https://hooks.example.com");
    drop(serve);

    let data = dir.path().to_str().unwrap();
    let out = hookscope_e2e::cli(&["serve", "--data-dir", data, "--bore-server", "x"]);
    assert_eq!(out.status.code(), Some(2), "--bore-server needs --tunnel");
    let out = hookscope_e2e::cli(&["serve", "--data-dir", data, "--tunnel", "carrier-pigeon"]);
    assert_eq!(out.status.code(), Some(2));
    let out = hookscope_e2e::cli(&[
        "serve",
        "--data-dir",
        data,
        "--tunnel",
        "bore",
        "--bore-secret-env",
        "HOOKSCOPE_TEST_UNSET_VARIABLE",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn tunnel_settings_are_stored_without_showing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let env = [("HOOKSCOPE_TEST_NGROK", "tok-SECRET-123"), ("HOOKSCOPE_TEST_BORE", "bore-SECRET")];
    let out = hookscope_e2e::cli_with_env(
        &["tunnel", "set-ngrok-token", "--data-dir", data, "--token-env", "HOOKSCOPE_TEST_NGROK"],
        &env,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = hookscope_e2e::cli_with_env(
        &[
            "tunnel",
            "set",
            "--data-dir",
            data,
            "--bore-server",
            "bore.example.com",
            "--bore-secret-env",
            "HOOKSCOPE_TEST_BORE",
            "--external-url",
            "https://x.example.com",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = hookscope_e2e::cli(&["tunnel", "show", "--json", "--data-dir", data]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["hasNgrokToken"], true);
    assert_eq!(shown["hasBoreSecret"], true);
    assert_eq!(shown["boreServer"], "bore.example.com");
    assert_eq!(shown["externalUrl"], "https://x.example.com");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains("SECRET"), "{text}");
    let db = std::fs::read(dir.path().join("hookscope.db")).unwrap();
    assert!(!db.windows(6).any(|w| w == b"SECRET"), "sealed at rest");

    let out = hookscope_e2e::cli(&[
        "tunnel",
        "set",
        "--data-dir",
        data,
        "--bore-server",
        "bore.example.com:9999",
    ]);
    assert_eq!(out.status.code(), Some(2), "bore clients only speak to the control port");
}
