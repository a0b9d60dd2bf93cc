//! Flovi: car-transfer reservations. One webhook, `reservation_status_change`, signed with
//! HMAC-SHA256 of the raw body in `x-hub-signature`.
//!
//! The docs contradict themselves twice here. The signature is described as a bare lowercase
//! hex digest but the example headers show `sha256=<hex>`: both are accepted (and noted). The
//! webhook is named `reservation_status_change` but the example bodies say
//! `"event": "reservation_state_changed"`: both spellings are accepted. A third, smaller one:
//! `cancellation_reason` is described as a field holding one of the listed reasons, but the
//! example makes it an object `{reason, comment}`; both shapes decode.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::json::{self, get, get_any, text, text_any};
use super::signature::{self, Candidate, Token};
use super::{
    Decoded, DecodedView, Provider, ProviderId, RequestView, Sample, SignatureStatus, Verification,
    VerifyOptions,
};

pub const SIGNATURE_HEADER: &str = "x-hub-signature";
/// The webhook's name in the docs.
pub const WEBHOOK_NAME: &str = "reservation_status_change";
/// The event name the docs' example bodies carry instead.
pub const BODY_EVENT_NAME: &str = "reservation_state_changed";
pub const STATES: [&str; 6] = ["created", "taken", "driving", "sealed", "final_costs", "cancelled"];
pub const CANCELLATION_REASONS: [&str; 7] = [
    "DOUBLE_BOOKING",
    "NO_DRIVER_WAS_FOUND",
    "DRIVER_CANCELED_OR_NOT_ARRIVED",
    "SCHEDULE_ISSUE",
    "DRIVER_WAS_FOUND_THROUGH_ANOTHER_WAY",
    "UNTRANSPORTABLE_VEHICLE",
    "OTHER_REASON",
];

pub struct Flovi;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviReservation {
    pub reservation_id: Option<String>,
    /// The body's `event` as sent.
    pub event: Option<String>,
    /// One of [`STATES`] when recognised (spelling normalised), else as sent.
    pub state: Option<String>,
    pub state_known: bool,
    pub external_id: Option<String>,
    pub driver: Option<FloviDriver>,
    pub origin: Option<FloviPlace>,
    pub destination: Option<FloviPlace>,
    pub costs: Option<FloviCosts>,
    pub vehicles: Vec<FloviVehicle>,
    pub cancellation: Option<FloviCancellation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviDriver {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub freelancer: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviPlace {
    pub address: Option<String>,
    pub zip: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviCosts {
    pub breakdown: Vec<FloviCostLine>,
    pub total: Option<f64>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviCostLine {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub summary: Option<String>,
    pub price: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviVehicle {
    pub license_plate: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<String>,
    pub vin: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviCancellation {
    pub reason: Option<String>,
    /// Whether `reason` is one of the documented [`CANCELLATION_REASONS`].
    pub reason_known: bool,
    pub comment: Option<String>,
}

impl Provider for Flovi {
    fn id(&self) -> ProviderId {
        ProviderId::Flovi
    }

    fn detect(&self, req: &RequestView) -> u8 {
        let mut score: u32 = 0;
        if req.header(SIGNATURE_HEADER).is_some() {
            score += 55;
        }
        if req
            .header_text("user-agent")
            .is_some_and(|ua| ua.to_ascii_lowercase().starts_with("guzzlehttp"))
        {
            score += 10;
        }
        if let Some(body) = json::parse_for_detect(req.body) {
            let event = text_any(&body, &["event"]);
            if event.as_deref().is_some_and(|e| e == BODY_EVENT_NAME || e == WEBHOOK_NAME) {
                score += 45;
            } else if get(&body, "reservation").is_some() && get(&body, "state").is_some() {
                score += 35;
            }
        }
        // GitHub signs with the same header name; its event header gives it away.
        if req.header("x-github-event").is_some() {
            score = score.min(20);
        }
        score.min(100) as u8
    }

    fn verify(&self, req: &RequestView, opts: &VerifyOptions) -> Verification {
        let headers: Vec<(String, String)> = req
            .headers_named(SIGNATURE_HEADER)
            .map(|(n, v)| (signature::lossy(n), signature::lossy(v)))
            .collect();
        let Some((first_name, _)) = headers.first() else {
            return Verification::new(
                SignatureStatus::Unsigned,
                "No x-hub-signature header: this delivery is not signed. Flovi signs every \
                 webhook, so it may not come from Flovi.",
            );
        };
        let mut candidates = Vec::new();
        let mut unsupported = None;
        let mut malformed = None;
        let mut notes = Vec::new();
        if headers.len() > 1 {
            notes
                .push(format!("{} x-hub-signature headers; every value was tried.", headers.len()));
        }
        for (name, value) in &headers {
            for token in value.split(',').filter(|t| !t.trim().is_empty()) {
                match signature::parse_prefixed_token(token, "the signature") {
                    Token::Digest { digest, prefixed } => {
                        let form = if prefixed {
                            "The signature has the sha256= prefix, as in Flovi's example \
                             headers (the docs' text describes a bare hex digest); both are \
                             accepted."
                        } else {
                            "The signature is a bare hex digest, as the docs' text describes \
                             (their example headers show sha256=<hex>); both are accepted."
                        };
                        candidates.push(Candidate {
                            header: name.clone(),
                            digest,
                            notes: vec![form.to_owned()],
                        });
                    }
                    Token::Unsupported(scheme) => {
                        unsupported.get_or_insert((name.clone(), scheme));
                    }
                    Token::Malformed(detail) => {
                        malformed.get_or_insert((name.clone(), detail));
                    }
                }
            }
        }
        if candidates.is_empty() {
            let mut v = match (unsupported, malformed) {
                (Some((name, scheme)), _) => signature::unsupported(self.id(), &name, scheme),
                (None, Some((name, detail))) => signature::malformed(&name, detail),
                (None, None) => signature::malformed(first_name, "empty".to_owned()),
            };
            v.notes.extend(notes);
            return v;
        }
        if let Some((_, scheme)) = &unsupported {
            notes.push(format!("Ignored a {scheme}= value beside the sha256 signature."));
        }
        if opts.secrets.is_empty() {
            let mut v = signature::unchecked(self.id(), &candidates[0].header);
            v.notes.extend(notes);
            return v;
        }
        let mac = |key: &[u8], body: &[u8]| signature::hmac_sha256(key, &[body]);
        let mut v = match signature::find_match(opts.secrets, &candidates, req.body, &mac) {
            Some(found) => signature::valid(self.id(), opts.secrets, &candidates, found),
            None => {
                let diagnosis = signature::diagnose(opts.secrets, &candidates, req.body, &mac);
                signature::invalid(self.id(), opts.secrets, &candidates, diagnosis)
            }
        };
        v.notes.extend(notes);
        v
    }

    fn decode(&self, req: &RequestView) -> Decoded {
        decode_body(req.body)
    }

    fn sign(&self, body: &[u8], secrets: &[&[u8]], _now: i64) -> Vec<(String, String)> {
        // The prefixed form is what Flovi's example headers show on the wire.
        secrets
            .iter()
            .map(|secret| {
                let digest = signature::hmac_sha256(secret, &[body]);
                (SIGNATURE_HEADER.to_owned(), format!("sha256={}", hex::encode(digest)))
            })
            .collect()
    }

    fn samples(&self) -> Vec<Sample> {
        let sample = |state: &str, description: &str, body: &str| Sample {
            provider: ProviderId::Flovi,
            event: format!("{WEBHOOK_NAME}.{state}"),
            description: description.to_owned(),
            body: body.to_owned(),
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("user-agent".to_owned(), "GuzzleHttp/7".to_owned()),
            ],
        };
        vec![
            sample(
                "created",
                "A reservation has been created (the docs' example body).",
                include_str!("fixtures/flovi_created.json"),
            ),
            sample(
                "taken",
                "All the drives in the reservation have been assigned (the docs' example with \
                 state taken).",
                include_str!("samples/flovi_taken.json"),
            ),
            sample(
                "driving",
                "The driver has started driving (the docs' example with state driving).",
                include_str!("samples/flovi_driving.json"),
            ),
            sample(
                "sealed",
                "The reservation is completed and sealed, with its costs (the docs' example).",
                include_str!("fixtures/flovi_sealed.json"),
            ),
            sample(
                "final_costs",
                "Two weeks after sealing: total costs and vehicles (the docs' example).",
                include_str!("fixtures/flovi_final_costs.json"),
            ),
            sample(
                "cancelled",
                "The reservation is cancelled, with a reason and comment (the docs' example \
                 with its {..} placeholders filled in from the created example).",
                include_str!("samples/flovi_cancelled.json"),
            ),
        ]
    }
}

fn decode_body(body: &[u8]) -> Decoded {
    let mut decoded = Decoded::default();
    let value = match json::parse_lenient(body) {
        Ok((value, lenient)) => {
            if lenient {
                decoded.notes.push(
                    "The body is not strict JSON (placeholders, comments or trailing commas); \
                     decoded leniently."
                        .to_owned(),
                );
            }
            value
        }
        Err(error) => {
            decoded.event_type = Some(WEBHOOK_NAME.to_owned());
            decoded.notes.push(format!("The body is not JSON ({error}); shown raw."));
            return decoded;
        }
    };
    if !value.is_object() {
        decoded.notes.push("The body is JSON but not an object; shown raw.".to_owned());
        return decoded;
    }

    let mut r = FloviReservation {
        reservation_id: get_any(&value, &["reservation", "reservation_id"]).and_then(|v| {
            text(v).or_else(|| text_any(v, &["id"])) // a reservation object carries its id
        }),
        event: text_any(&value, &["event"]),
        external_id: text_any(&value, &["external_id"]),
        ..FloviReservation::default()
    };
    match r.event.as_deref() {
        Some(BODY_EVENT_NAME) => decoded.notes.push(format!(
            "The body says event '{BODY_EVENT_NAME}' while the docs name the webhook \
             '{WEBHOOK_NAME}'; both spellings are accepted."
        )),
        Some(WEBHOOK_NAME) | None => {}
        Some(other) => decoded.notes.push(format!(
            "Unexpected event '{other}' (the docs name only '{WEBHOOK_NAME}'); decoded as a \
             reservation anyway."
        )),
    }

    let raw_state = text_any(&value, &["state", "status"]);
    if let Some(raw) = &raw_state {
        let normalised = normalise_state(raw);
        if STATES.contains(&normalised.as_str()) {
            if &normalised != raw {
                decoded.notes.push(format!("State '{raw}' read as '{normalised}'."));
            }
            r.state = Some(normalised);
            r.state_known = true;
        } else {
            decoded.notes.push(format!("Unknown state '{raw}': shown raw."));
            r.state = Some(raw.clone());
        }
    } else {
        decoded.notes.push("No state in the body.".to_owned());
    }

    r.driver = get(&value, "driver").and_then(driver);
    r.origin = get(&value, "origin").and_then(place);
    r.destination = get(&value, "destination").and_then(place);
    r.costs = get_any(&value, &["costs", "cost"]).and_then(|c| costs(c, &mut decoded.notes));
    r.vehicles = match get_any(&value, &["vehicles", "vehicle"]) {
        Some(Value::Array(items)) => items.iter().filter_map(vehicle).collect(),
        Some(single) => vehicle(single).into_iter().collect(),
        None => Vec::new(),
    };
    r.cancellation = cancellation(&value, &mut decoded.notes);

    match r.state.as_deref() {
        Some("final_costs") if r.vehicles.is_empty() => decoded
            .notes
            .push("final_costs without vehicles (the docs say it includes them).".to_owned()),
        Some("sealed" | "final_costs") if r.costs.is_none() => {
            decoded.notes.push("No costs in a sealed reservation.".to_owned());
        }
        Some("cancelled") if r.cancellation.is_none() => decoded
            .notes
            .push("Cancelled without a cancellation_reason (the docs say it is added).".to_owned()),
        _ => {}
    }

    decoded.event_type = Some(match &r.state {
        Some(state) => format!("{WEBHOOK_NAME}.{state}"),
        None => WEBHOOK_NAME.to_owned(),
    });
    // The docs give Flovi events no id: a reservation enters each state once, so
    // reservation + state (+ a timestamp when the body has one) identifies the event.
    decoded.event_id = text_any(&value, &["event_id", "id", "uuid"]).or_else(|| {
        let reservation = r.reservation_id.as_deref()?;
        let mut key = format!("{reservation}:{}", r.state.as_deref().unwrap_or("?"));
        if let Some(at) = text_any(&value, &["timestamp", "updated_at", "changed_at", "created_at"])
        {
            key.push(':');
            key.push_str(&at);
        }
        Some(key)
    });
    decoded.summary = Some(summary(&r));
    decoded.view = Some(DecodedView::FloviReservation(r));
    decoded
}

/// `finalCosts`, `Final-Costs` and `FINAL_COSTS` all mean `final_costs`.
fn normalise_state(raw: &str) -> String {
    let raw = raw.trim();
    let camel = raw.chars().any(|c| c.is_ascii_lowercase());
    let mut out = String::with_capacity(raw.len() + 2);
    for c in raw.chars() {
        let boundary = matches!(c, '-' | ' ' | '_') || (camel && c.is_ascii_uppercase());
        if boundary && !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        if !matches!(c, '-' | ' ' | '_') {
            out.push(c.to_ascii_lowercase());
        }
    }
    // The docs spell it "cancelled"; the American spelling is a likely variant.
    if out == "canceled" { "cancelled".to_owned() } else { out }
}

fn driver(v: &Value) -> Option<FloviDriver> {
    let d = match v {
        Value::String(name) => FloviDriver { name: Some(name.clone()), ..Default::default() },
        _ => FloviDriver {
            name: text_any(v, &["name", "full_name"]),
            phone: text_any(v, &["phone", "phone_number"]),
            freelancer: get(v, "freelancer").and_then(json::boolean),
        },
    };
    (d != FloviDriver::default()).then_some(d)
}

fn place(v: &Value) -> Option<FloviPlace> {
    let p = match v {
        Value::String(address) => {
            FloviPlace { address: Some(address.clone()), ..Default::default() }
        }
        _ => FloviPlace {
            address: text_any(v, &["address", "street"]),
            zip: text_any(v, &["zip", "postal_code", "postcode", "zip_code"]),
            city: text_any(v, &["city"]),
            country: text_any(v, &["country", "country_code"]),
            latitude: get_any(v, &["latitude", "lat"]).and_then(json::number),
            longitude: get_any(v, &["longitude", "lng", "lon"]).and_then(json::number),
        },
    };
    (p != FloviPlace::default()).then_some(p)
}

fn costs(v: &Value, notes: &mut Vec<String>) -> Option<FloviCosts> {
    let breakdown: Vec<FloviCostLine> = match get_any(v, &["breakdown", "items", "lines"]) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| FloviCostLine {
                kind: text_any(item, &["type"]),
                summary: text_any(item, &["summary", "description"]),
                price: get_any(item, &["price", "amount"]).and_then(json::number),
            })
            .collect(),
        _ => Vec::new(),
    };
    let c = FloviCosts {
        total: get_any(v, &["total", "total_price", "amount"]).and_then(json::number),
        currency: text_any(v, &["currency"]),
        breakdown,
    };
    if let Some(total) = c.total {
        let prices: Vec<f64> = c.breakdown.iter().filter_map(|l| l.price).collect();
        let sum: f64 = prices.iter().sum();
        if !prices.is_empty() && (sum - total).abs() > 0.005 {
            notes.push(format!(
                "The cost breakdown adds up to {} but the total says {}.",
                money(sum, c.currency.as_deref()),
                money(total, c.currency.as_deref())
            ));
        }
    }
    (c != FloviCosts::default()).then_some(c)
}

fn vehicle(v: &Value) -> Option<FloviVehicle> {
    let out = FloviVehicle {
        license_plate: text_any(v, &["license_plate", "licence_plate", "plate", "registration"]),
        make: text_any(v, &["make", "brand"]),
        model: text_any(v, &["model"]),
        year: text_any(v, &["year", "model_year"]),
        vin: text_any(v, &["vin"]),
    };
    (out != FloviVehicle::default()).then_some(out)
}

/// The prose makes `cancellation_reason` a reason code; the example makes it an object.
fn cancellation(body: &Value, notes: &mut Vec<String>) -> Option<FloviCancellation> {
    let (reason, mut comment) = match get(body, "cancellation_reason") {
        Some(obj @ Value::Object(_)) => {
            (text_any(obj, &["reason", "code"]), text_any(obj, &["comment", "message"]))
        }
        Some(other) => (text(other), None),
        None => (None, None),
    };
    if comment.is_none() {
        comment = text_any(body, &["cancellation_comment", "comment"]);
    }
    if reason.is_none() && comment.is_none() {
        return None;
    }
    let reason_known = reason.as_deref().is_some_and(|r| CANCELLATION_REASONS.contains(&r));
    if let Some(r) = reason.as_deref().filter(|_| !reason_known) {
        notes.push(format!("Unknown cancellation reason '{r}': shown raw."));
    }
    Some(FloviCancellation { reason, reason_known, comment })
}

fn money(amount: f64, currency: Option<&str>) -> String {
    match currency.map(str::to_ascii_uppercase).as_deref() {
        Some("EUR") | None => format!("€{amount:.2}"),
        Some("USD") => format!("${amount:.2}"),
        Some("GBP") => format!("£{amount:.2}"),
        Some(other) => format!("{amount:.2} {other}"),
    }
}

fn place_label(p: &FloviPlace) -> Option<&str> {
    p.city.as_deref().or(p.address.as_deref())
}

fn summary(r: &FloviReservation) -> String {
    let mut parts = vec![format!(
        "Reservation {} {}",
        r.reservation_id.as_deref().unwrap_or("?"),
        r.state.as_deref().unwrap_or("changed").replace('_', " ")
    )];
    let from = r.origin.as_ref().and_then(place_label);
    let to = r.destination.as_ref().and_then(place_label);
    if from.is_some() || to.is_some() {
        parts.push(format!("{} → {}", from.unwrap_or("?"), to.unwrap_or("?")));
    }
    if let Some(total) = r.costs.as_ref().and_then(|c| c.total.map(|t| (t, c.currency.as_deref())))
    {
        parts.push(money(total.0, total.1));
    }
    if let Some(reason) = r.cancellation.as_ref().and_then(|c| c.reason.as_deref()) {
        parts.push(reason.to_owned());
    }
    if let Some(name) = r.driver.as_ref().and_then(|d| d.name.as_deref())
        && matches!(r.state.as_deref(), Some("taken" | "driving"))
    {
        parts.push(format!("driver {name}"));
    }
    json::truncate(&parts.join(" · "), 200)
}

#[cfg(test)]
mod tests;
