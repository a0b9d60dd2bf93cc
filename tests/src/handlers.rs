//! Small webhook handlers written the way the provider docs describe, standing in for the
//! user's own code in handler-check tests: a correct one per provider, or one with a chosen
//! classic flaw. Real sockets on 127.0.0.1.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use crate::hmac_hex;

/// The signing secret every handler here verifies with.
pub const SECRET: &str = "whsec_handler_check_e2e_0f3a9c";

#[derive(Clone, Copy, Default)]
pub struct Flaws {
    pub skip_verification: bool,
    /// Verifies JSON.stringify(JSON.parse(body)) instead of the body.
    pub reserialise: bool,
    pub ignore_window: bool,
    pub first_v1_only: bool,
    pub fail_duplicates: bool,
    pub delay: Option<Duration>,
    /// Answers this to everything that verifies.
    pub always: Option<u16>,
}

/// What the handler saw of one request.
#[derive(Clone, Debug)]
pub struct Seen {
    pub headers: Vec<(String, String)>,
    pub status: u16,
}

pub struct Handler {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    _runtime: tokio::runtime::Runtime,
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// JSON.stringify(JSON.parse(text)): keys in their order, no whitespace, strings written
/// with only the escapes JSON requires.
fn stringify(body: &[u8]) -> Option<Vec<u8>> {
    serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b' ' | b'\n' | b'\r' | b'\t' => i += 1,
            b'"' => {
                let start = i;
                i += 1;
                while body[i] != b'"' {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                let text: String = serde_json::from_slice(&body[start..i]).ok()?;
                out.extend_from_slice(serde_json::to_string(&text).ok()?.as_bytes());
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The verification the provider docs describe, with the chosen flaws.
fn verified(provider: &str, flaws: Flaws, headers: &HeaderMap, body: &[u8]) -> bool {
    if flaws.skip_verification {
        return true;
    }
    let signed = if flaws.reserialise {
        match stringify(body) {
            Some(b) => b,
            None => return false,
        }
    } else {
        body.to_vec()
    };
    match provider {
        "fleiko" => {
            // The docs' parser: t and every v1.
            let mut t = 0i64;
            let mut v1s = Vec::new();
            for pair in header(headers, "x-fleiko-signature").split(',') {
                let Some((k, v)) = pair.split_once('=') else { continue };
                match k.trim() {
                    "t" => t = v.trim().parse().unwrap_or(0),
                    "v1" => v1s.push(v.trim().to_owned()),
                    _ => {}
                }
            }
            if !flaws.ignore_window && (now() - t).abs() > 300 {
                return false;
            }
            let mut message = format!("{t}.").into_bytes();
            message.extend_from_slice(&signed);
            let expected = hmac_hex(SECRET, &message);
            if flaws.first_v1_only {
                v1s.first().is_some_and(|v| *v == expected)
            } else {
                v1s.contains(&expected)
            }
        }
        "flowella" => header(headers, "x-flowella-signature") == hmac_hex(SECRET, &signed),
        _ => {
            let sent = header(headers, "x-hub-signature");
            sent.strip_prefix("sha256=").unwrap_or(sent) == hmac_hex(SECRET, &signed)
        }
    }
}

/// The key the provider's docs say to deduplicate on.
fn dedupe_key(provider: &str, event: &serde_json::Value) -> String {
    match provider {
        "flovi" => format!("{}:{}", event["reservation"], event["state"]),
        _ => event["id"].to_string(),
    }
}

pub fn start(provider: &'static str, flaws: Flaws) -> Handler {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let done: Arc<Mutex<HashSet<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let (log, done) = (Arc::clone(&log), Arc::clone(&done));
            async move {
                if let Some(delay) = flaws.delay {
                    tokio::time::sleep(delay).await;
                }
                let status = if !verified(provider, flaws, &headers, &body) {
                    401
                } else if let Some(status) = flaws.always {
                    status
                } else {
                    match serde_json::from_slice::<serde_json::Value>(&body) {
                        Err(_) => 400,
                        Ok(event) => {
                            let fresh = done.lock().unwrap().insert(dedupe_key(provider, &event));
                            if !fresh && flaws.fail_duplicates { 500 } else { 200 }
                        }
                    }
                };
                let headers = headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                    .collect();
                log.lock().unwrap().push(Seen { headers, status });
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await });
    Handler { url: format!("http://{addr}/hook"), seen, _runtime: runtime }
}
