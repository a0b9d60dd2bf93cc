//! `serve --ui`: the browser UI's server, driven over real sockets like a browser (or an
//! attacker's page) would: the checks, the commands, the event stream and the embedded page.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use hookscope_e2e::{
    RawResponse, Serve, bin, cli_with_env, list_json, post, read_response, set_secret,
};
use serde_json::{Value, json};

/// The UI server's address and token, from the `ui:` line.
struct Ui {
    addr: SocketAddr,
    token: String,
}

fn ui_of(serve: &Serve) -> Ui {
    let url = serve.ui_url.as_deref().unwrap();
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, token) = rest.split_once("/#token=").unwrap();
    Ui { addr: addr.parse().unwrap(), token: token.to_owned() }
}

impl Ui {
    fn host(&self) -> String {
        self.addr.to_string()
    }

    /// One request with exactly these headers (no Host unless given) on a fresh connection.
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> RawResponse {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut raw = format!("{method} {path} HTTP/1.1\r\n");
        for (name, value) in headers {
            raw.push_str(&format!("{name}: {value}\r\n"));
        }
        raw.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).unwrap();
        read_response(&mut stream).unwrap()
    }

    /// A command call as the page makes it.
    fn call(&self, command: &str, args: Value) -> RawResponse {
        let headers = [
            ("Host", self.host()),
            ("Authorization", format!("Bearer {}", self.token)),
            ("Content-Type", "application/json".to_owned()),
            ("Origin", format!("http://{}", self.host())),
            ("Sec-Fetch-Site", "same-origin".to_owned()),
        ];
        self.send("POST", &format!("/api/{command}"), &headers, args.to_string().as_bytes())
    }

    fn ok(&self, command: &str, args: Value) -> Value {
        let response = self.call(command, args);
        assert_eq!(response.status, 200, "{command}: {}", String::from_utf8_lossy(&response.body));
        response.json()
    }
}

fn header<'a>(response: &'a RawResponse, name: &str) -> Option<&'a str> {
    response.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn error_code(response: &RawResponse) -> String {
    response.json()["code"].as_str().unwrap().to_owned()
}

/// The window's CSP from tauri.conf.json, as its directives.
fn tauri_csp() -> Vec<String> {
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/tauri.conf.json");
    let conf: Value = serde_json::from_str(&std::fs::read_to_string(conf).unwrap()).unwrap();
    let csp = conf["app"]["security"]["csp"].as_object().unwrap();
    let mut directives: Vec<String> =
        csp.iter().map(|(k, v)| format!("{k} {}", v.as_str().unwrap())).collect();
    directives.sort();
    directives
}

fn capture(serve: &Serve, path: &str, body: &[u8]) -> i64 {
    let response = post(serve, path, &[("Content-Type", b"application/json")], body);
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    response.json()["id"].as_i64().unwrap()
}

#[test]
fn missing_and_wrong_tokens_are_401() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let wrong = format!("Bearer {}x", ui.token);
    for auth in [None, Some(wrong.as_str()), Some("Bearer "), Some(ui.token.as_str())] {
        let mut headers = vec![("Host", ui.host())];
        if let Some(auth) = auth {
            headers.push(("Authorization", auth.to_owned()));
        }
        let response = ui.send("POST", "/api/list_deliveries", &headers, b"{\"query\":{}}");
        assert_eq!(response.status, 401, "{auth:?}");
        assert_eq!(error_code(&response), "unauthorized");
        assert!(response.json()["message"].as_str().unwrap().contains("serve --ui"));
    }
}

#[test]
fn foreign_origins_and_rebinding_hosts_are_403() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let bearer = format!("Bearer {}", ui.token);
    let port = ui.addr.port();
    let cases = [
        vec![("Host", ui.host()), ("Origin", "http://evil.example".to_owned())],
        vec![("Host", ui.host()), ("Origin", format!("http://127.0.0.1:{}", port + 1))],
        vec![("Host", ui.host()), ("Sec-Fetch-Site", "cross-site".to_owned())],
        vec![("Host", format!("evil.example:{port}"))],
        vec![
            ("Host", format!("evil.example:{port}")),
            ("Origin", format!("http://evil.example:{port}")),
        ],
    ];
    for mut headers in cases {
        headers.push(("Authorization", bearer.clone()));
        let response = ui.send("POST", "/api/list_deliveries", &headers, b"{\"query\":{}}");
        assert_eq!(response.status, 403, "{headers:?}");
        assert_eq!(error_code(&response), "forbidden");
        assert!(!String::from_utf8_lossy(&response.body).contains("deliveries"));
    }
    // The page itself is refused to a rebinding name too.
    let page = ui.send("GET", "/", &[("Host", format!("evil.example:{port}"))], b"");
    assert_eq!(page.status, 403);
    // A name the user allowed is served.
    drop(serve);
    let serve = Serve::start_ui(dir.path(), &["--ui-allow-host", "hookscope.lan"]);
    let ui = ui_of(&serve);
    let headers = [
        ("Host", format!("hookscope.lan:{}", ui.addr.port())),
        ("Authorization", format!("Bearer {}", ui.token)),
    ];
    let response = ui.send("POST", "/api/list_deliveries", &headers, b"{\"query\":{}}");
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
}

#[test]
fn list_deliveries_is_what_the_cli_lists() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let first = capture(&serve, "/fleiko/orders", br#"{"type":"order.created"}"#);
    let second = capture(&serve, "/hooks/other?x=1", b"plain");
    let listed = ui.ok("list_deliveries", json!({ "query": {} }));
    let listed = listed.as_array().unwrap();
    let cli = list_json(dir.path(), &[]);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed.len(), cli.len());
    assert_eq!(listed[0]["id"].as_i64(), Some(second));
    assert_eq!(listed[1]["id"].as_i64(), Some(first));
    for (api, cli) in listed.iter().zip(&cli) {
        for (key, value) in api.as_object().unwrap() {
            assert_eq!(&cli[key], value, "{key} differs for #{}", api["id"]);
        }
    }
    // Arguments arrive as the page passes them: camelCase filters of the query.
    let filtered = ui.ok("list_deliveries", json!({ "query": { "beforeId": second } }));
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["id"].as_i64(), Some(first));
    let detail = ui.ok("get_delivery", json!({ "id": first }));
    assert_eq!(detail["path"], "/fleiko/orders");
    let missing = ui.call("get_delivery", json!({ "id": 999 }));
    assert_eq!((missing.status, error_code(&missing).as_str()), (404, "not_found"));
    let bad = ui.call("get_delivery", json!({ "id": "three" }));
    assert_eq!((bad.status, error_code(&bad).as_str()), (400, "invalid"));
}

#[test]
fn delivery_bodies_come_back_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let body = [0xff, 0xfe, 0x00, b'{', 0xc3, 0x28, b'\r', b'\n', 0x80];
    let id = capture(&serve, "/bin", &body);
    let response = ui.call("get_delivery_body", json!({ "id": id }));
    assert_eq!(response.status, 200);
    assert_eq!(header(&response, "content-type"), Some("application/octet-stream"));
    assert_eq!(response.body, body);
}

#[test]
fn the_capture_port_serves_no_api_and_no_page() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    capture(&serve, "/first", b"{}");
    let bearer = format!("Bearer {}", ui.token);
    let response = post(
        &serve,
        "/api/list_deliveries",
        &[("Authorization", bearer.as_bytes()), ("Content-Type", b"application/json")],
        br#"{"query":{}}"#,
    );
    // Answered as a capture: the delivery's own id, not a list of deliveries.
    let answer = response.json();
    assert!(!answer.is_array(), "{answer}");
    let id = answer["id"].as_i64().unwrap();
    let text = String::from_utf8_lossy(&response.body);
    assert!(!text.contains(&ui.token) && !text.contains("/first"), "{text}");
    let listed = list_json(dir.path(), &[]);
    assert_eq!(listed[0]["id"].as_i64(), Some(id));
    assert_eq!(listed[0]["path"], "/api/list_deliveries");
    // Nor is the page there.
    let mut stream = serve.connect();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n").unwrap();
    let page = read_response(&mut stream).unwrap();
    assert!(!header(&page, "content-type").unwrap_or("").starts_with("text/html"));
    assert!(!String::from_utf8_lossy(&page.body).contains("<script"));
}

/// Opens the event stream; returns the connection after the response head.
fn open_events(ui: &Ui, token: Option<&str>) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(ui.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!("GET /api/events HTTP/1.1\r\nHost: {}\r\n{auth}\r\n", ui.host());
    stream.write_all(request.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "closed in the head");
        head.push(byte[0]);
    }
    (stream, String::from_utf8(head).unwrap())
}

/// Reads the stream until `needle` appears (chunk framing included in what is read).
fn read_until(stream: &mut TcpStream, seen: &mut String, needle: &str) {
    let mut buf = [0u8; 4096];
    while !seen.contains(needle) {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended before {needle:?}: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

#[test]
fn the_event_stream_sends_a_batch_after_a_capture() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let (mut stream, head) = open_events(&ui, None);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let (stream2, head) = open_events(&ui, Some(&format!("{}x", ui.token)));
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    drop((stream, stream2));
    (stream, _) = open_events(&ui, Some(&ui.token));
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, ": ready");
    let id = capture(&serve, "/fleiko/live", br#"{"live":true}"#);
    read_until(&mut stream, &mut seen, "event: deliveries:batch");
    read_until(&mut stream, &mut seen, "\n\n");
    let data = seen[seen.find("event: deliveries:batch").unwrap()..]
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap();
    let batch: Value = serde_json::from_str(data).unwrap();
    assert_eq!(batch[0]["id"].as_i64(), Some(id));
    assert_eq!(batch[0]["path"], "/fleiko/live");
    // SIGTERM stops the UI server with the listener, open event stream and all.
    let status = serve.terminate();
    assert!(status.success(), "{status:?}");
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(TcpStream::connect(ui.addr).is_err(), "the UI port still answers");
}

#[test]
fn secrets_never_reach_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "whsec_NeverShowThisSecret0123456789";
    let ngrok = "ngrok_TokenNeverShown_987654321";
    let flovi = "flovi_KeyNeverShown_555";
    set_secret(dir.path(), "fleiko", secret);
    let data = dir.path().to_str().unwrap();
    let out = cli_with_env(
        &["tunnel", "set-ngrok-token", "--data-dir", data, "--token-env", "T"],
        &[("T", ngrok)],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out =
        cli_with_env(&["flovi", "set-key", "--data-dir", data, "--key-env", "K"], &[("K", flovi)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    capture(&serve, "/fleiko/x", b"{}");
    let settings = ui.ok("list_endpoint_settings", json!({}));
    assert!(settings.as_array().unwrap().iter().any(|e| e["name"] == "fleiko"));
    for command in [
        "list_endpoint_settings",
        "list_endpoints",
        "list_endpoint_counts",
        "get_secret_storage",
        "get_server_info",
        "get_tunnel_settings",
        "get_tunnel_status",
        "get_flovi_settings",
        "list_samples",
    ] {
        let response = ui.call(command, json!({}));
        assert_eq!(response.status, 200, "{command}");
        let text = String::from_utf8_lossy(&response.body);
        for hidden in [secret, ngrok, flovi] {
            assert!(!text.contains(hidden), "{command} shows a secret: {text}");
        }
    }
    let export = ui.call("export_deliveries", json!({ "ids": [], "format": "har" }));
    assert_eq!(export.status, 200, "{}", String::from_utf8_lossy(&export.body));
    assert!(!String::from_utf8_lossy(&export.body).contains(secret));
}

#[test]
fn pages_and_answers_carry_the_windows_csp_and_no_cors() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let page = ui.send("GET", "/", &[("Host", ui.host())], b"");
    assert_eq!(page.status, 200);
    assert!(header(&page, "content-type").unwrap().starts_with("text/html"));
    assert!(String::from_utf8_lossy(&page.body).contains("<div id=\"root\""));
    let index = ui.send("GET", "/index.html", &[("Host", ui.host())], b"");
    assert_eq!(index.body, page.body);
    let favicon = ui.send("GET", "/favicon.svg", &[("Host", ui.host())], b"");
    assert_eq!(header(&favicon, "content-type"), Some("image/svg+xml"));
    let missing = ui.send("GET", "/nothing-here", &[("Host", ui.host())], b"");
    assert_eq!(missing.status, 404);
    let api = ui.call("list_deliveries", json!({ "query": {} }));
    let refused = ui.send(
        "POST",
        "/api/list_deliveries",
        &[("Host", ui.host()), ("Origin", "http://evil.example".into())],
        b"{}",
    );
    for response in [&page, &missing, &api, &refused] {
        let csp = header(response, "content-security-policy").unwrap();
        let mut directives: Vec<String> = csp.split("; ").map(str::to_owned).collect();
        directives.sort();
        assert_eq!(directives, tauri_csp());
        assert_eq!(header(response, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(response, "referrer-policy"), Some("no-referrer"));
        assert_eq!(header(response, "x-frame-options"), Some("DENY"));
        assert!(
            response
                .headers
                .iter()
                .all(|(n, _)| !n.to_ascii_lowercase().starts_with("access-control-")),
            "{:?}",
            response.headers
        );
    }
    assert_eq!(header(&api, "cache-control"), Some("no-store"));
    assert_eq!(header(&refused, "cache-control"), Some("no-store"));
    // A CORS preflight gets no CORS answer.
    let preflight = ui.send(
        "OPTIONS",
        "/api/list_deliveries",
        &[
            ("Host", ui.host()),
            ("Origin", "http://evil.example".into()),
            ("Access-Control-Request-Method", "POST".into()),
        ],
        b"",
    );
    assert_ne!(preflight.status, 200);
    assert!(
        preflight
            .headers
            .iter()
            .all(|(n, _)| !n.to_ascii_lowercase().starts_with("access-control-"))
    );
}

#[test]
fn the_token_can_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let token = "my-chosen_token.123";
    let mut child = Command::new(bin("hookscope-cli"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data])
        .args(["--ui", "--ui-listen", "127.0.0.1:0", "--ui-token-env", "HS_UI_TOKEN"])
        .env("HS_UI_TOKEN", token)
        .env("HOOKSCOPE_NO_KEYRING", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).unwrap();
        lines.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(lines[0].starts_with("local: http://127.0.0.1:"), "{lines:?}");
    let url = lines[1].trim().strip_prefix("ui: http://127.0.0.1:").unwrap();
    assert!(url.ends_with(&format!("/#token={token}")), "{url}");

    for (env, what) in
        [(None, "is not set"), (Some(""), "is empty"), (Some("two words"), "printable")]
    {
        let mut command = Command::new(bin("hookscope-cli"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data])
            .args(["--ui", "--ui-listen", "127.0.0.1:0", "--ui-token-env", "HS_UI_TOKEN"])
            .env_remove("HS_UI_TOKEN")
            .env("HOOKSCOPE_NO_KEYRING", "1");
        if let Some(value) = env {
            command.env("HS_UI_TOKEN", value);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{env:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(what), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing listened: {:?}", output.stdout);
    }
}

#[test]
fn a_har_upload_imports() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let har = json!({ "log": { "version": "1.2", "creator": { "name": "test", "version": "1" },
        "entries": [{
            "startedDateTime": "2024-05-01T10:00:00.000Z", "time": 1,
            "request": { "method": "POST", "url": "https://shop.example/fleiko/uploaded", "httpVersion": "HTTP/1.1",
                "headers": [{ "name": "Content-Type", "value": "application/json" }],
                "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 11,
                "postData": { "mimeType": "application/json", "text": "{\"a\":\"up\"}" } },
            "response": { "status": 200, "statusText": "OK", "content": { "size": 0 } } }] } });
    let headers = [
        ("Host", ui.host()),
        ("Authorization", format!("Bearer {}", ui.token)),
        ("Content-Type", "application/octet-stream".to_owned()),
    ];
    let body = har.to_string();
    let response =
        ui.send("POST", "/api/import_har?name=my%20hooks.har", &headers, body.as_bytes());
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    let report = response.json();
    assert_eq!(report["imported"], 1);
    let id = report["ids"][0].as_i64().unwrap();
    let listed = list_json(dir.path(), &[]);
    assert_eq!(listed[0]["id"].as_i64(), Some(id));
    assert_eq!(listed[0]["path"], "/fleiko/uploaded");
    assert_eq!(listed[0]["importSource"], "my hooks.har");
    let body = ui.call("get_delivery_body", json!({ "id": id }));
    assert_eq!(body.body, b"{\"a\":\"up\"}");
    // Paths on the server's disk are not the page's to name.
    for (command, args) in [
        ("import_har_file", json!({ "path": "/etc/passwd" })),
        ("export_deliveries_to_file", json!({ "ids": [], "format": "har", "path": "/tmp/x.har" })),
    ] {
        let refused = ui.call(command, args);
        assert_eq!(
            (refused.status, error_code(&refused).as_str()),
            (400, "unavailable"),
            "{command}"
        );
    }
}

#[test]
fn unknown_commands_are_404_and_oversized_bodies_413() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let unknown = ui.call("drop_everything", json!({}));
    assert_eq!((unknown.status, error_code(&unknown).as_str()), (404, "not_found"));
    // Declared over the limit: refused before a byte of the body is read.
    let mut stream = TcpStream::connect(ui.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /api/list_deliveries HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        ui.host(),
        ui.token,
        4 * 1024 * 1024 + 1
    );
    stream.write_all(head.as_bytes()).unwrap();
    let response = read_response(&mut stream).unwrap();
    assert_eq!((response.status, error_code(&response).as_str()), (413, "too_large"));
    // Under the limit a large body is read whole (and then judged as arguments).
    let mut big = br#"{"query":{},"pad":""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
    big.extend_from_slice(b"\"}");
    let headers = [("Host", ui.host()), ("Authorization", format!("Bearer {}", ui.token))];
    let response = ui.send("POST", "/api/list_deliveries", &headers, &big);
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
}

#[test]
fn every_desktop_command_is_routed() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start_ui(dir.path(), &[]);
    let ui = ui_of(&serve);
    let shell = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/src/lib.rs");
    let shell = std::fs::read_to_string(shell).unwrap();
    let start = shell.find("generate_handler![").unwrap();
    let end = start + shell[start..].find(']').unwrap();
    let commands: Vec<&str> = shell[start + "generate_handler![".len()..end]
        .split(',')
        .filter_map(|item| item.trim().rsplit("::").next())
        .filter(|name| !name.is_empty())
        .collect();
    assert!(commands.len() > 40, "{commands:?}");
    for command in commands {
        // Calls out to Flovi's servers: routed, but not worth a network call here.
        if command == "list_flovi_offices" {
            continue;
        }
        let response = ui.call(command, json!({}));
        let text = String::from_utf8_lossy(&response.body);
        assert!(!text.contains("no such command"), "{command} is not routed: {text}");
        assert_ne!(response.status, 401, "{command}");
    }
}

#[test]
fn the_page_sees_the_tunnel_serve_started() {
    let dir = tempfile::tempdir().unwrap();
    let tunnel = ["--tunnel", "external", "--public-url", "https://hooks.example.com/"];
    let serve = Serve::start_ui(dir.path(), &tunnel);
    let ui = ui_of(&serve);
    let status = hookscope_e2e::wait_for(Duration::from_secs(10), "the tunnel online", || {
        let status = ui.ok("get_tunnel_status", json!({}));
        (status["state"] == "online").then_some(status)
    });
    assert_eq!(status["url"], "https://hooks.example.com", "{status}");
    let stopped = ui.ok("stop_tunnel", json!({}));
    assert_eq!(stopped["state"], "stopped", "{stopped}");

    let data = dir.path().to_str().unwrap();
    let out = hookscope_e2e::cli(&["serve", "--data-dir", data, "--ui-listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2), "--ui-listen needs --ui");
}
