//! A HAR entry's `response`: the answer as it went out (status, headers in order, body with
//! its full size), and in forward mode what the target answered, in `_forwarded`. Reading
//! it back gives an imported delivery the answer the original server gave.
//!
//! A body kept only in part (past the recorded cap) says so three ways: `content.size` is
//! the whole size while `text` holds the kept start, `comment` says it in words, and
//! `_hookscope.truncated` says it to programs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use super::ExportedDelivery;
use super::har::entry_headers;
use crate::store::responses::{
    ForwardedResponse, MAX_RESPONSE_BODY, ResponseSource, StoredResponse, reason,
};

/// The entry's `response` object.
pub(super) fn to_har(d: &ExportedDelivery) -> Value {
    let Some(r) = &d.response else {
        return json!({
            "status": d.response_status.unwrap_or(0),
            "statusText": d.response_status.map(reason).unwrap_or_default(),
            "httpVersion": d.http_version,
            "cookies": [],
            "headers": [],
            "content": { "size": -1, "mimeType": "" },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "comment": "the answer's headers and body were not recorded (stored before \
                        Hookscope recorded answers)",
            "_hookscope": { "recorded": false },
        });
    };
    let (headers, raw) = headers_json(&r.headers);
    let mime = r.content_type().unwrap_or_default();
    let (text, base64, kept) = content_text(&r.body, r.truncated);
    let mut content = json!({ "size": r.body_size, "mimeType": mime, "text": text });
    if base64 {
        content["encoding"] = "base64".into();
    }
    let mut extra = json!({ "source": r.source, "truncated": r.truncated, "keptSize": kept });
    if let Some(raw) = raw {
        extra["rawHeaders"] = raw;
    }
    let mut response = json!({
        "status": r.status,
        "statusText": reason(r.status),
        "httpVersion": d.http_version,
        "cookies": [],
        "headers": headers,
        "content": content,
        "redirectURL": location(&r.headers),
        "headersSize": -1,
        "bodySize": r.body_size,
        "_hookscope": extra,
    });
    if r.truncated {
        response["comment"] =
            format!("body truncated: the first {kept} of {} bytes were recorded", r.body_size)
                .into();
    }
    if let Some(f) = &d.forward_response {
        response["_forwarded"] = forwarded(f);
    }
    response
}

/// What the target of a forward answered, in HAR's own shapes.
fn forwarded(f: &ForwardedResponse) -> Value {
    let headers: Vec<Value> =
        f.headers.iter().map(|(n, v)| json!({ "name": n, "value": v })).collect();
    let mime = f
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let (text, base64, _) = content_text(&f.body, f.truncated);
    let mut content = json!({ "size": f.body.len(), "mimeType": mime, "text": text });
    if base64 {
        content["encoding"] = "base64".into();
    }
    json!({
        "method": f.method,
        "url": f.url,
        "status": f.status.unwrap_or(0),
        "statusText": f.status.map(reason).unwrap_or_default(),
        "headers": headers,
        "content": content,
        "truncated": f.truncated,
        "error": f.error,
        "time": f.duration_ms,
    })
}

/// HAR headers, and the exact bytes as base64 pairs when some are not UTF-8.
fn headers_json(headers: &[(Vec<u8>, Vec<u8>)]) -> (Vec<Value>, Option<Value>) {
    let text: Option<Vec<Value>> = headers
        .iter()
        .map(|(n, v)| {
            let (name, value) = (std::str::from_utf8(n).ok()?, std::str::from_utf8(v).ok()?);
            Some(json!({ "name": name, "value": value }))
        })
        .collect();
    match text {
        Some(text) => (text, None),
        None => {
            let lossy = headers
                .iter()
                .map(|(n, v)| {
                    json!({
                        "name": String::from_utf8_lossy(n),
                        "value": String::from_utf8_lossy(v),
                    })
                })
                .collect();
            let raw = headers
                .iter()
                .map(|(n, v)| json!([STANDARD.encode(n), STANDARD.encode(v)]))
                .collect();
            (lossy, Some(Value::Array(raw)))
        }
    }
}

fn location(headers: &[(Vec<u8>, Vec<u8>)]) -> String {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(b"location"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default()
}

/// The body as `content.text`: UTF-8 text, else base64. A text body cut through a character
/// stays text, without the partial character. Returns the text, whether it is base64, and
/// how many body bytes it holds.
fn content_text(body: &[u8], truncated: bool) -> (String, bool, usize) {
    match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false, body.len()),
        Err(e) if truncated && e.error_len().is_none() => {
            let text = String::from_utf8_lossy(&body[..e.valid_up_to()]).into_owned();
            (text, false, e.valid_up_to())
        }
        Err(_) => (STANDARD.encode(body), true, body.len()),
    }
}

/// Characters of `content.text` copied out of a file: enough for the recorded cap even as
/// base64. A browser's HAR may hold megabytes per response; the rest is only measured.
const MAX_TEXT: usize = MAX_RESPONSE_BODY / 3 * 4 + 8;

/// The parts of a `response` the importer reads.
#[derive(Default)]
pub(super) struct RawResponse {
    status: Option<Value>,
    headers: Option<Value>,
    content: Option<RawContent>,
    extra: Option<Value>,
}

#[derive(Default)]
struct RawContent {
    size: Option<Value>,
    text: Option<TextStart>,
    encoding: Option<Value>,
}

/// The start of `content.text`, and how long it was.
struct TextStart {
    kept: String,
    len: u64,
}

impl RawResponse {
    /// The status, when it is one HTTP allows.
    pub(super) fn status(&self) -> Option<u16> {
        self.status
            .as_ref()
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..=599).contains(s))
    }

    /// The answer the original server gave, as an imported delivery keeps it. None when the
    /// entry has no valid status (a browser's failed request) or says the answer was not
    /// recorded.
    pub(super) fn into_stored(self) -> Result<Option<StoredResponse>, String> {
        let Some(status) = self.status() else {
            return Ok(None);
        };
        let extra = self.extra.as_ref();
        if extra.and_then(|x| x.get("recorded")).and_then(Value::as_bool) == Some(false) {
            return Ok(None);
        }
        let headers =
            entry_headers(extra, self.headers.as_ref(), "response._hookscope.rawHeaders")?;
        let content = self.content.unwrap_or_default();
        let base64 = content.encoding.as_ref().and_then(Value::as_str) == Some("base64");
        let (body, measured) = match content.text {
            None => (Vec::new(), 0),
            Some(TextStart { kept, len }) if base64 => {
                // Only whole groups of four decode; a cut start loses at most the last one.
                let whole = kept.len() / 4 * 4;
                let cut = len > kept.len() as u64;
                let text = if cut { kept.get(..whole).unwrap_or_default() } else { kept.as_str() };
                let body = STANDARD
                    .decode(text.as_bytes())
                    .map_err(|_| "response.content.text is not valid base64")?;
                (body, if cut { len / 4 * 3 } else { 0 })
            }
            Some(TextStart { kept, len }) => (kept.into_bytes(), len),
        };
        let declared =
            content.size.as_ref().and_then(Value::as_i64).filter(|s| *s >= 0).map(|s| s as u64);
        let size = declared.unwrap_or(measured).max(measured);
        let body = Bytes::from(body);
        Ok(Some(StoredResponse::with_size(ResponseSource::Imported, status, headers, body, size)))
    }
}

/// Reads a `response` object, copying no more of its body than can be kept.
pub(super) struct ResponseSeed;

impl<'de> serde::de::DeserializeSeed<'de> for ResponseSeed {
    type Value = RawResponse;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawResponse, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ResponseSeed {
    type Value = RawResponse;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a response object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawResponse, A::Error> {
        let mut response = RawResponse::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            match &*key {
                "status" => response.status = map.next_value()?,
                "headers" => response.headers = map.next_value()?,
                "_hookscope" => response.extra = map.next_value()?,
                "content" => {
                    response.content = map.next_value_seed(super::har::Nullable(ContentSeed))?
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(response)
    }
}

struct ContentSeed;

impl<'de> serde::de::DeserializeSeed<'de> for ContentSeed {
    type Value = RawContent;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawContent, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ContentSeed {
    type Value = RawContent;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a content object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawContent, A::Error> {
        let mut content = RawContent::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            match &*key {
                "size" => content.size = map.next_value()?,
                "text" => {
                    content.text = map.next_value_seed(super::har::Nullable(TextStartSeed))?
                }
                "encoding" | "_encoding" => {
                    let value: Option<Value> = map.next_value()?;
                    content.encoding = content.encoding.or(value);
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(content)
    }
}

struct TextStartSeed;

impl TextStartSeed {
    fn start(text: &str) -> TextStart {
        let mut end = text.len().min(MAX_TEXT);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        TextStart { kept: text[..end].to_owned(), len: text.len() as u64 }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for TextStartSeed {
    type Value = TextStart;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<TextStart, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TextStartSeed {
    type Value = TextStart;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("content.text as a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<TextStart, E> {
        Ok(Self::start(text))
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<TextStart, E> {
        Ok(Self::start(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(response: &str) -> Option<StoredResponse> {
        let mut de = serde_json::Deserializer::from_str(response);
        let raw = serde::de::DeserializeSeed::deserialize(ResponseSeed, &mut de).unwrap();
        raw.into_stored().unwrap()
    }

    #[test]
    fn a_browsers_response_is_read_with_its_headers_and_body() {
        let r = read(
            r#"{"status":201,"statusText":"Created","headers":[{"name":"Content-Type",
            "value":"text/plain"},{"name":"X-A","value":"1"}],"content":{"size":5,
            "mimeType":"text/plain","text":"hello"},"bodySize":5}"#,
        )
        .unwrap();
        assert_eq!(
            (r.status, r.source, &r.body[..], r.body_size),
            (201, ResponseSource::Imported, &b"hello"[..], 5)
        );
        assert_eq!(r.headers[1], (b"X-A".to_vec(), b"1".to_vec()));
        assert!(!r.truncated);
    }

    #[test]
    fn exact_bytes_survive_the_round_trip() {
        let sent = StoredResponse::new(
            ResponseSource::Rule,
            202,
            vec![
                (b"X-Latin1".to_vec(), vec![b'c', 0xe9]),
                (b"Content-Type".to_vec(), b"application/octet-stream".to_vec()),
            ],
            Bytes::from_static(&[0, 0xff, 0xfe, b'a']),
        );
        let delivery = ExportedDelivery {
            id: 1,
            received_at: 0,
            method: "POST".into(),
            path: "/".into(),
            query: None,
            target: None,
            http_version: "HTTP/1.1".into(),
            headers: Vec::new(),
            body: Some(Vec::new()),
            body_size: 0,
            endpoint: None,
            provider: None,
            response_status: Some(202),
            response_latency_us: None,
            response: Some(sent.clone()),
            forward_response: None,
        };
        let har = to_har(&delivery);
        assert_eq!(har["content"]["encoding"], "base64");
        assert_eq!(har["content"]["mimeType"], "application/octet-stream");
        assert_eq!(har["statusText"], "Accepted");
        let back = read(&har.to_string()).unwrap();
        assert_eq!(back, StoredResponse { source: ResponseSource::Imported, ..sent });
    }

    #[test]
    fn failed_requests_and_unrecorded_answers_import_without_one() {
        assert_eq!(read(r#"{"status":0,"content":{"size":0}}"#), None);
        assert_eq!(read(r#"{"status":200,"_hookscope":{"recorded":false}}"#), None);
    }

    #[test]
    fn a_large_body_is_kept_in_part_with_its_size() {
        let big = "x".repeat(MAX_RESPONSE_BODY * 3);
        let r = read(&format!(r#"{{"status":200,"content":{{"text":"{big}"}}}}"#)).unwrap();
        assert_eq!(
            (r.body.len(), r.body_size, r.truncated),
            (MAX_RESPONSE_BODY, big.len() as u64, true)
        );
        let encoded = STANDARD.encode(big.as_bytes());
        let r = read(&format!(
            r#"{{"status":200,"content":{{"size":{},"text":"{encoded}","encoding":"base64"}}}}"#,
            big.len()
        ))
        .unwrap();
        assert_eq!(
            (r.body.len(), r.body_size, r.truncated),
            (MAX_RESPONSE_BODY, big.len() as u64, true)
        );
        assert!(r.body.iter().all(|b| *b == b'x'));
    }

    #[test]
    fn text_cut_through_a_character_stays_text() {
        let body = "ååå".as_bytes();
        assert_eq!(content_text(&body[..5], true), ("åå".to_owned(), false, 4));
        assert_eq!(content_text(&[0xff, 0], false), ("/wA=".to_owned(), true, 2));
    }
}
