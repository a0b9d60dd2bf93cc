//! A fake Flovi customer API, written from the docs (shared/providers/flovi.md) rather than
//! from Hookscope's client, so the two can disagree. It checks what the docs require of a
//! request, answers in either of the docs' spellings, can be told to fail or to stall, and
//! records every request it sees.
//!
//! It serves on 127.0.0.1 from a thread with its own runtime, so plain `#[test]` fns and async
//! GUI tests can both use it; it stops when dropped.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Where the API lives under the server, as on Flovi's real host.
pub const BASE_PATH: &str = "/customers/api";
/// The key the fake accepts unless started with another.
pub const API_KEY: &str = "fake-flovi-key-4f7a9c2e81d3";
/// The docs' example schedule id.
pub const SCHEDULE_ID: &str = "20e84ce3-9c39-4bbe-a28a-aee87180157f";

const RESERVATION_TYPES: [&str; 5] =
    ["officeToOffice", "homeDelivery", "serviceDrive", "purchaseCar", "replacementCar"];
const PLACE_TYPES: [&str; 3] = ["ownOffices", "otherPlace", "homeAddress"];

/// Which of the docs' two spellings schedule answers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// As the docs' example answer: camelCase, with its trailing comma.
    CamelCase,
    /// As the docs' field list: snake_case (and valid JSON).
    SnakeCase,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} {} body is not JSON: {e}", self.method, self.path))
    }
}

struct Config {
    api_key: String,
    spelling: Spelling,
    forced: Option<(u16, String)>,
    delay: Duration,
    schedule_id: String,
    offices: Value,
}

struct Shared {
    config: Mutex<Config>,
    seen: Mutex<Vec<Seen>>,
}

pub struct FakeFlovi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeFlovi {
    /// Starts a fake accepting [`API_KEY`].
    pub fn start() -> Self {
        Self::with_key(API_KEY)
    }

    pub fn with_key(api_key: &str) -> Self {
        let shared = Arc::new(Shared {
            config: Mutex::new(Config {
                api_key: api_key.to_owned(),
                spelling: Spelling::CamelCase,
                forced: None,
                delay: Duration::ZERO,
                schedule_id: SCHEDULE_ID.to_owned(),
                // The docs say string ids; their request example uses numbers. Serve both.
                offices: json!([
                    {"id": 1, "name": "Office 1"},
                    {"id": "2", "name": "Office 2"},
                    {"id": "hq-3", "name": "Head Office"},
                ]),
            }),
            seen: Mutex::new(Vec::new()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the fake Flovi");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("the fake's address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new().fallback(handle).with_state(Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name("fake-flovi".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the fake's runtime");
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    // Not graceful: a stalled answer must not hold the test up.
                    tokio::select! {
                        _ = axum::serve(listener, app).into_future() => {}
                        _ = stopped => {}
                    }
                });
            })
            .expect("the fake's thread");
        Self { addr, shared, stop: Some(stop), thread: Some(thread) }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/customers/api`.
    pub fn base_url(&self) -> String {
        format!("http://{}{BASE_PATH}", self.addr)
    }

    fn config(&self) -> MutexGuard<'_, Config> {
        self.shared.config.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Schedule answers from now on use this spelling.
    pub fn answer_in(&self, spelling: Spelling) {
        self.config().spelling = spelling;
    }

    /// Authenticated requests are answered with `status` and the docs' message for it.
    pub fn force_status(&self, status: u16) {
        let body = json!({ "message": documented_message(status) }).to_string();
        self.force_answer(status, &body);
    }

    /// Authenticated requests are answered with exactly this.
    pub fn force_answer(&self, status: u16, body: &str) {
        self.config().forced = Some((status, body.to_owned()));
    }

    /// Back to answering normally.
    pub fn answer_normally(&self) {
        let mut config = self.config();
        config.forced = None;
        config.delay = Duration::ZERO;
    }

    /// Every answer waits this long first (to make clients time out).
    pub fn delay(&self, delay: Duration) {
        self.config().delay = delay;
    }

    pub fn set_schedule_id(&self, id: &str) {
        self.config().schedule_id = id.to_owned();
    }

    /// The office list `/offices` answers with.
    pub fn set_offices(&self, offices: Value) {
        self.config().offices = offices;
    }

    /// Every request seen so far, oldest first.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every request seen so far, forgetting them.
    pub fn take_requests(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.shared.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Drop for FakeFlovi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn documented_message(status: u16) -> &'static str {
    match status {
        400 => "Missing or invalid parameters",
        401 => "Invalid API key",
        403 => "You do not have access to this resource.",
        404 => "The specified route could not be found.",
        500 => "An error occurred on the server.",
        _ => "Something happened.",
    }
}

fn answer(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn message(status: u16, text: &str) -> Response {
    answer(status, json!({ "message": text }).to_string())
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.to_string());
    shared.seen.lock().unwrap_or_else(|e| e.into_inner()).push(Seen {
        method: method.to_string(),
        path: path.clone(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect(),
        body: body.to_vec(),
    });
    let (api_key, spelling, forced, delay, schedule_id, offices) = {
        let c = shared.config.lock().unwrap_or_else(|e| e.into_inner());
        (
            c.api_key.clone(),
            c.spelling,
            c.forced.clone(),
            c.delay,
            c.schedule_id.clone(),
            c.offices.clone(),
        )
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("x-api-key") != Some(api_key.as_str()) {
        return message(401, "Invalid API key");
    }
    if let Some((status, body)) = forced {
        return answer(status, body);
    }
    let json_content = header("content-type")
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json_content {
        return message(400, "Content-Type must be application/json");
    }
    let route = uri.path().strip_prefix(BASE_PATH).unwrap_or("");
    match (&method, route) {
        (&Method::GET, "/offices") => answer(200, offices.to_string()),
        (&Method::POST, "/schedule") => match check_schedule(&body, &offices) {
            Ok(request) => answer(200, schedule_answer(&request, &schedule_id, spelling)),
            Err(problem) => message(400, &problem),
        },
        _ => message(404, documented_message(404)),
    }
}

/// The docs' rules for a schedule request, checked the way a server would.
fn check_schedule(body: &[u8], offices: &Value) -> Result<Value, String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|_| "The request body must be JSON.".to_owned())?;
    if !request.is_object() {
        return Err("The request body must be a JSON object.".into());
    }
    let text = |field: &str| request.get(field).and_then(Value::as_str);
    match text("reservationType") {
        None => return Err("The reservation type field is required.".into()),
        Some(t) if !RESERVATION_TYPES.contains(&t) => {
            return Err("The selected reservation type is invalid.".into());
        }
        _ => {}
    }
    for end in ["origin", "destination"] {
        let kind = text(&format!("{end}Type"));
        match kind {
            None => return Err(format!("The {end} type field is required.")),
            Some(k) if !PLACE_TYPES.contains(&k) => {
                return Err(format!("The selected {end} type is invalid."));
            }
            Some("ownOffices") => {
                let id = match request.get(format!("{end}OfficeId")) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => {
                        return Err(format!(
                            "The {end} office id field is required when {end} type is ownOffices."
                        ));
                    }
                };
                let known = offices.as_array().into_iter().flatten().any(|o| match &o["id"] {
                    Value::String(s) => *s == id,
                    Value::Number(n) => n.to_string() == id,
                    _ => false,
                });
                if !known {
                    return Err(format!("The selected {end} office id is invalid."));
                }
            }
            Some(_) => {
                let address = text(&format!("{end}Address")).unwrap_or("");
                let parts: Vec<&str> = address.split(',').map(str::trim).collect();
                let country_ok = parts.len() == 3 && ["FI", "SE"].contains(&parts[2]);
                if !country_ok {
                    return Err(format!(
                        "The {end} address must be \"street number, zip city, country\"."
                    ));
                }
            }
        }
    }
    if request.get("testPlates").is_some_and(|v| !v.is_boolean()) {
        return Err("The test plates field must be true or false.".into());
    }
    let depart = text("depart").ok_or("The depart field is required.")?;
    if depart_time(depart).is_none() {
        return Err("The depart is not a valid date.".into());
    }
    Ok(request)
}

/// The wall-clock date and time of a `depart` such as `2025-04-23T12:00:00Z`, as Flovi reads
/// it (the offset, UTC by the docs, is not looked at).
fn depart_time(depart: &str) -> Option<jiff::civil::DateTime> {
    depart.get(..19).filter(|d| d.as_bytes()[10] == b'T')?.parse().ok()
}

/// The docs' example answer, departing when asked and latest at 18:00 the next day (the docs
/// depart on 2025-04-23 and answer 2025-04-24T18:00). Test plates add the docs' 2 hours to the
/// earliest arrival.
fn schedule_answer(request: &Value, schedule_id: &str, spelling: Spelling) -> String {
    let depart_at = depart_time(request["depart"].as_str().unwrap_or_default()).unwrap_or_default();
    let arrive_at = if request["testPlates"] == Value::Bool(true) {
        depart_at.checked_add(jiff::SignedDuration::from_hours(2)).unwrap_or(depart_at)
    } else {
        depart_at
    };
    let format = |t: jiff::civil::DateTime| t.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let (depart, arrive) = (format(depart_at), format(arrive_at));
    let next_day = depart_at.date().tomorrow().unwrap_or(depart_at.date());
    let latest = format!("{}T18:00:00.000000Z", next_day.strftime("%Y-%m-%d"));
    let id = serde_json::to_string(schedule_id).unwrap_or_default();
    match spelling {
        Spelling::CamelCase => format!(
            "{{\n    \"scheduleId\": {id},\n    \"departAtEarliest\": \"{depart}.000000Z\",\n    \
             \"departAtLatest\": \"{latest}\",\n    \"arriveAtEarliest\": \"{arrive}.000000Z\",\n    \
             \"arriveAtLatest\": \"{latest}\",\n}}"
        ),
        Spelling::SnakeCase => json!({
            "schedule_id": schedule_id,
            "depart_at_earliest": format!("{depart}Z"),
            "depart_at_latest": latest,
            "arrive_at_earliest": format!("{arrive}Z"),
            "arrive_at_latest": latest,
        })
        .to_string(),
    }
}
