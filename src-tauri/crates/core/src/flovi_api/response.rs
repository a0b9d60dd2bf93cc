//! Reading Flovi's answers. The docs list snake_case schedule fields but their example answers
//! in camelCase with a trailing comma, and the request example writes office ids as numbers:
//! every reader here accepts both spellings, both id types and the repaired JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::providers::json::parse_lenient;
use crate::time::DateTime;

/// Where the user completes a schedule on Flovi's side.
pub const COMPLETION_URL: &str = "https://customer.flovi.fi/complete";

/// An office of the organisation; ids are normalised to strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FloviOffice {
    pub id: String,
    pub name: String,
}

/// A created schedule: its bounds in RFC 3339 UTC and the link the user completes it at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ScheduleResult {
    pub schedule_id: String,
    pub depart_at_earliest: String,
    pub depart_at_latest: String,
    pub arrive_at_earliest: String,
    pub arrive_at_latest: String,
    pub completion_link: String,
}

/// `https://customer.flovi.fi/complete?scheduleId=…` with the id percent-encoded.
pub fn completion_link(schedule_id: &str) -> String {
    format!("{COMPLETION_URL}?scheduleId={}", percent_encode(schedule_id))
}

/// Encodes everything but RFC 3986's unreserved characters, so any id stays one query value.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn parse(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the answer was empty".into());
    }
    parse_lenient(body).map(|(value, _)| value).map_err(|e| format!("the answer is not JSON ({e})"))
}

/// A string or a number as text (ids); `None` for anything else.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The first of `names` present and not null.
fn field<'a>(object: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| object.get(*n)).filter(|v| !v.is_null())
}

/// The office list: an array as documented, or one wrapped in `data`/`offices` as API
/// frameworks often do.
pub(crate) fn parse_offices(body: &[u8]) -> Result<Vec<FloviOffice>, String> {
    let value = parse(body)?;
    let list = match &value {
        Value::Array(list) => list,
        Value::Object(_) => match field(&value, &["data", "offices"]) {
            Some(Value::Array(list)) => list,
            _ => return Err("expected a JSON array of offices".into()),
        },
        _ => return Err("expected a JSON array of offices".into()),
    };
    list.iter()
        .enumerate()
        .map(|(i, office)| {
            let id = field(office, &["id"]).and_then(id_text);
            let id = id.ok_or_else(|| format!("office {} has no id", i + 1))?;
            let name = field(office, &["name"]).and_then(Value::as_str).unwrap_or_default();
            Ok(FloviOffice { id, name: name.to_owned() })
        })
        .collect()
}

/// The schedule answer, in either spelling; bounds normalised to RFC 3339 UTC.
pub(crate) fn parse_schedule(body: &[u8]) -> Result<ScheduleResult, String> {
    let value = parse(body)?;
    if !value.is_object() {
        return Err("expected a JSON object with a scheduleId".into());
    }
    let schedule_id = field(&value, &["scheduleId", "schedule_id"])
        .and_then(id_text)
        .ok_or("the answer has no scheduleId")?;
    let bound = |camel: &str, snake: &str| -> Result<String, String> {
        let raw = field(&value, &[camel, snake])
            .ok_or_else(|| format!("the answer has no {camel} (or {snake})"))?;
        let text = raw.as_str().ok_or_else(|| format!("{camel} is not a date-time: {raw}"))?;
        DateTime::parse(text)
            .map(|t| t.to_rfc3339_utc())
            .map_err(|why| format!("{camel} {text:?} is not a date-time: {why}"))
    };
    Ok(ScheduleResult {
        depart_at_earliest: bound("departAtEarliest", "depart_at_earliest")?,
        depart_at_latest: bound("departAtLatest", "depart_at_latest")?,
        arrive_at_earliest: bound("arriveAtEarliest", "arrive_at_earliest")?,
        arrive_at_latest: bound("arriveAtLatest", "arrive_at_latest")?,
        completion_link: completion_link(&schedule_id),
        schedule_id,
    })
}

/// What an error answer says: its `message` (plus per-field `errors`, which validation
/// frameworks add to a 400), else what the docs say the status means.
pub(crate) fn error_message(status: u16, body: &[u8]) -> String {
    let value = parse(body).ok();
    let message = value
        .as_ref()
        .and_then(|v| field(v, &["message", "error"]))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let details = value.as_ref().and_then(|v| field(v, &["errors"])).map(field_details);
    let message = message.map_or_else(|| documented_meaning(status).to_owned(), str::to_owned);
    match details.filter(|d| !d.is_empty()) {
        Some(details) => format!("{message} ({details})"),
        None => message,
    }
}

/// `{"field": ["problem", …]}` as `field: problem; …`.
fn field_details(errors: &Value) -> String {
    let Some(errors) = errors.as_object() else {
        return String::new();
    };
    errors
        .iter()
        .map(|(name, problems)| {
            let problems: Vec<String> = match problems {
                Value::Array(list) => list
                    .iter()
                    .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                    .collect(),
                Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            format!("{name}: {}", problems.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The docs' wording for each status, used when an answer carries no message.
fn documented_meaning(status: u16) -> &'static str {
    match status {
        400 => "Missing or invalid parameters",
        401 => "Authentication failed or API key is missing",
        403 => "You do not have access to this resource",
        404 => "The specified route could not be found",
        500 => "An error occurred on the server",
        _ => "Flovi answered with an unexpected status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The docs' example answer, trailing comma included.
    const DOCS_ANSWER: &str = r#"{
    "scheduleId": "20e84ce3-9c39-4bbe-a28a-aee87180157f",
    "departAtEarliest": "2025-04-23T12:00:00.000000Z",
    "departAtLatest": "2025-04-24T18:00:00.000000Z",
    "arriveAtEarliest": "2025-04-23T12:00:00.000000Z",
    "arriveAtLatest": "2025-04-24T18:00:00.000000Z",
}"#;

    #[test]
    fn reads_the_docs_example_answer_with_its_trailing_comma() {
        let result = parse_schedule(DOCS_ANSWER.as_bytes()).unwrap();
        assert_eq!(
            result,
            ScheduleResult {
                schedule_id: "20e84ce3-9c39-4bbe-a28a-aee87180157f".into(),
                depart_at_earliest: "2025-04-23T12:00:00Z".into(),
                depart_at_latest: "2025-04-24T18:00:00Z".into(),
                arrive_at_earliest: "2025-04-23T12:00:00Z".into(),
                arrive_at_latest: "2025-04-24T18:00:00Z".into(),
                completion_link: "https://customer.flovi.fi/complete?scheduleId=\
                                  20e84ce3-9c39-4bbe-a28a-aee87180157f"
                    .into(),
            }
        );
    }

    #[test]
    fn reads_the_field_lists_snake_case_and_numeric_ids() {
        let body = br#"{"schedule_id": 123456, "depart_at_earliest": "2025-04-23T12:00:00Z",
            "depart_at_latest": "2025-04-24T18:00:00+00:00", "arrive_at_earliest":
            "2025-04-23T16:00:00", "arrive_at_latest": "2025-04-24T21:00:00+01:00"}"#;
        let result = parse_schedule(body).unwrap();
        assert_eq!(result.schedule_id, "123456");
        assert_eq!(result.depart_at_latest, "2025-04-24T18:00:00Z");
        assert_eq!(result.arrive_at_earliest, "2025-04-23T16:00:00Z");
        assert_eq!(result.arrive_at_latest, "2025-04-24T20:00:00Z");
        assert_eq!(result.completion_link, "https://customer.flovi.fi/complete?scheduleId=123456");
    }

    #[test]
    fn incomplete_answers_say_what_is_missing() {
        let missing = parse_schedule(br#"{"departAtEarliest": "2025-04-23T12:00:00Z"}"#);
        assert!(missing.unwrap_err().contains("scheduleId"));
        let bound = parse_schedule(br#"{"scheduleId": "a", "departAtEarliest": "soon"}"#);
        assert!(bound.unwrap_err().contains("departAtEarliest \"soon\""));
        let no_latest =
            parse_schedule(br#"{"scheduleId": "a", "departAtEarliest": "2025-04-23T12:00:00Z"}"#);
        assert!(no_latest.unwrap_err().contains("departAtLatest (or depart_at_latest)"));
        assert!(parse_schedule(b"<html>oops</html>").unwrap_err().contains("not JSON"));
        assert!(parse_schedule(b"").unwrap_err().contains("empty"));
        assert!(parse_schedule(b"[]").is_err());
    }

    #[test]
    fn completion_links_encode_the_id() {
        assert_eq!(
            completion_link("a b&c=d/é"),
            "https://customer.flovi.fi/complete?scheduleId=a%20b%26c%3Dd%2F%C3%A9"
        );
    }

    #[test]
    fn office_ids_may_be_numbers_or_strings() {
        let offices =
            parse_offices(br#"[{"id": 1, "name": "Office 1"}, {"id": "2", "name": "Office 2"},]"#)
                .unwrap();
        assert_eq!(
            offices,
            [
                FloviOffice { id: "1".into(), name: "Office 1".into() },
                FloviOffice { id: "2".into(), name: "Office 2".into() },
            ]
        );
        let wrapped = parse_offices(br#"{"data": [{"id": 7, "name": "Seven"}]}"#).unwrap();
        assert_eq!(wrapped[0].id, "7");
        assert!(parse_offices(br#"[{"name": "No id"}]"#).unwrap_err().contains("no id"));
        assert!(parse_offices(br#"{"message": "hi"}"#).is_err());
    }

    #[test]
    fn error_answers_carry_the_api_message_or_the_documented_meaning() {
        assert_eq!(error_message(401, br#"{"message": "Invalid API key"}"#), "Invalid API key");
        assert_eq!(
            error_message(
                400,
                br#"{"message": "The given data was invalid.", "errors":
                    {"originOfficeId": ["The selected origin office id is invalid."]}}"#
            ),
            "The given data was invalid. (originOfficeId: The selected origin office id is \
             invalid.)"
        );
        assert_eq!(error_message(403, b""), "You do not have access to this resource");
        assert_eq!(error_message(500, b"<h1>Server Error</h1>"), "An error occurred on the server");
        assert_eq!(
            error_message(404, br#"{"message": "  "}"#),
            "The specified route could not be found"
        );
    }
}
