//! HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/). Bodies stay byte-exact: text
//! when valid UTF-8, else base64 with `"encoding": "base64"` (as HAR's `content` does).
//! Headers keep their order; when one is not UTF-8 the exact bytes ride along in
//! `_hookscope.rawHeaders`, which the importer prefers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::ExportedDelivery;
use super::time::{iso8601, parse_iso8601};

#[derive(Debug, thiserror::Error)]
pub enum HarError {
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no log.entries array")]
    NoEntries,
    #[error("log.entries[{index}]: {message}")]
    Entry { index: usize, message: String },
}

pub fn to_har(deliveries: &[ExportedDelivery]) -> Value {
    let entries: Vec<Value> = deliveries.iter().map(entry).collect();
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "Hookscope", "version": env!("CARGO_PKG_VERSION") },
            "entries": entries,
        }
    })
}

fn entry(d: &ExportedDelivery) -> Value {
    let text_headers: Option<Vec<Value>> = d
        .headers
        .iter()
        .map(|(n, v)| {
            let (name, value) = (std::str::from_utf8(n).ok()?, std::str::from_utf8(v).ok()?);
            Some(json!({ "name": name, "value": value }))
        })
        .collect();
    let headers = text_headers.clone().unwrap_or_else(|| {
        d.headers
            .iter()
            .map(|(n, v)| {
                json!({ "name": String::from_utf8_lossy(n), "value": String::from_utf8_lossy(v) })
            })
            .collect()
    });
    let mut extra = json!({
        "id": d.id,
        "endpoint": d.endpoint,
        "provider": d.provider,
        "bodyStored": d.body.is_some(),
    });
    if text_headers.is_none() {
        let raw: Vec<Value> = d
            .headers
            .iter()
            .map(|(n, v)| json!([STANDARD.encode(n), STANDARD.encode(v)]))
            .collect();
        extra["rawHeaders"] = raw.into();
    }
    let query: Vec<Value> = d
        .query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            json!({ "name": name, "value": value })
        })
        .collect();
    let mut request = json!({
        "method": d.method,
        "url": d.url(),
        "httpVersion": d.http_version,
        "cookies": [],
        "headers": headers,
        "queryString": query,
        "headersSize": -1,
        "bodySize": d.body.as_ref().map_or(-1, |b| b.len() as i64),
    });
    if let Some(body) = &d.body {
        let mime = d.content_type().unwrap_or_default();
        request["postData"] = match std::str::from_utf8(body) {
            Ok(text) => json!({ "mimeType": mime, "text": text }),
            Err(_) => {
                json!({ "mimeType": mime, "text": STANDARD.encode(body), "encoding": "base64" })
            }
        };
    }
    let time_ms = d.response_latency_us.unwrap_or(0) as f64 / 1000.0;
    json!({
        "startedDateTime": iso8601(d.received_at),
        "time": time_ms,
        "request": request,
        "response": {
            "status": d.response_status.unwrap_or(0),
            "statusText": "",
            // Answered on the connection the request came in on.
            "httpVersion": d.http_version,
            "cookies": [],
            "headers": [],
            "content": { "size": 0, "mimeType": "" },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": { "send": 0, "wait": time_ms, "receive": 0 },
        "_hookscope": extra,
    })
}

/// The entries of a HAR file as deliveries (ids 0, endpoints unassigned), bodies over
/// `max_body` left out.
pub fn parse_har(bytes: &[u8]) -> Result<Vec<ExportedDelivery>, HarError> {
    let mut out = Vec::new();
    for_each_entry(bytes, u64::MAX, |_, entry| {
        out.push(entry.delivery);
        Ok::<_, HarError>(())
    })?;
    Ok(out)
}

/// One entry read from a HAR file.
pub struct HarEntry {
    pub delivery: ExportedDelivery,
    /// Set when the entry's body was over the limit and left out: its size in bytes.
    pub oversize: Option<u64>,
}

/// Reads a HAR file's `log.entries` one at a time, handing each to `f` with its index, so
/// no more than one entry's body is in memory however large the file. A body over `max_body`
/// is never copied out of the parser's buffer: the entry comes without it. Stops at the first
/// error: the file's, an entry's, or one `f` returns (`E` carries both kinds). Returns how
/// many entries were read.
pub fn for_each_entry<R, E, F>(reader: R, max_body: u64, mut f: F) -> Result<usize, E>
where
    R: std::io::Read,
    E: From<HarError>,
    F: FnMut(usize, HarEntry) -> Result<(), E>,
{
    let mut walk = Walk { f: &mut f, max_body, count: 0, found: false, inside: false, stop: None };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = serde::de::DeserializeSeed::deserialize(At(&mut walk, Level::Root), &mut de)
        .and_then(|()| de.end());
    if let Some(err) = walk.stop.take() {
        return Err(err);
    }
    match parsed {
        Ok(()) if walk.found => Ok(walk.count),
        Ok(()) => Err(HarError::NoEntries.into()),
        // A type error inside an entry (`"request": 5`) names that entry.
        Err(err) if walk.inside && err.is_data() => {
            Err(HarError::Entry { index: walk.count, message: err.to_string() }.into())
        }
        Err(err) => Err(HarError::Json(err).into()),
    }
}

/// The walk down `{"log": {"entries": [...]}}`; everything else is skipped unread.
struct Walk<'f, F, E> {
    f: &'f mut F,
    max_body: u64,
    count: usize,
    found: bool,
    /// Within `log.entries`.
    inside: bool,
    /// The error that stopped the walk, when it was not the parser's.
    stop: Option<E>,
}

/// Which level of the document a visitor is at.
#[derive(Clone, Copy)]
enum Level {
    Root,
    Log,
}

struct At<'w, 'f, F, E>(&'w mut Walk<'f, F, E>, Level);

impl<'de, F, E> serde::de::DeserializeSeed<'de> for At<'_, '_, F, E>
where
    E: From<HarError>,
    F: FnMut(usize, HarEntry) -> Result<(), E>,
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F, E> serde::de::Visitor<'de> for At<'_, '_, F, E>
where
    E: From<HarError>,
    F: FnMut(usize, HarEntry) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a HAR object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let At(walk, level) = self;
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            match (level, &*key) {
                (Level::Root, "log") => map.next_value_seed(At(&mut *walk, Level::Log))?,
                (Level::Log, "entries") => {
                    walk.found = true;
                    walk.inside = true;
                    map.next_value_seed(Entries(&mut *walk))?;
                    walk.inside = false;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Entries<'w, 'f, F, E>(&'w mut Walk<'f, F, E>);

impl<'de, F, E> serde::de::DeserializeSeed<'de> for Entries<'_, '_, F, E>
where
    E: From<HarError>,
    F: FnMut(usize, HarEntry) -> Result<(), E>,
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F, E> serde::de::Visitor<'de> for Entries<'_, '_, F, E>
where
    E: From<HarError>,
    F: FnMut(usize, HarEntry) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of entries")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let walk = self.0;
        let limit = BodyLimit(walk.max_body);
        while let Some(raw) = seq.next_element_seed(EntrySeed(limit))? {
            let index = walk.count;
            let entry = match raw.into_entry(limit.0) {
                Ok(entry) => entry,
                Err(message) => {
                    walk.stop = Some(HarError::Entry { index, message }.into());
                    return Err(serde::de::Error::custom("stopped"));
                }
            };
            if let Err(err) = (walk.f)(index, entry) {
                walk.stop = Some(err);
                return Err(serde::de::Error::custom("stopped"));
            }
            walk.count += 1;
        }
        Ok(())
    }
}

/// Largest body kept, in bytes.
#[derive(Clone, Copy)]
struct BodyLimit(u64);

impl BodyLimit {
    /// Longest `postData.text` worth copying: base64 of a body at the limit.
    fn max_text(self) -> u64 {
        self.0.saturating_add(2) / 3 * 4 + 4
    }
}

/// The parts of an entry the importer reads; everything else (a browser's response bodies
/// too) is skipped without being copied.
#[derive(Default)]
struct RawEntry {
    started: Option<Value>,
    time: Option<Value>,
    status: Option<Value>,
    extra: Option<Value>,
    request: Option<RawRequest>,
}

#[derive(Default)]
struct RawRequest {
    method: Option<Value>,
    url: Option<Value>,
    http_version: Option<Value>,
    headers: Option<Value>,
    post: Option<RawPost>,
}

#[derive(Default)]
struct RawPost {
    text: Option<Text>,
    encoding: Option<Value>,
}

/// `postData.text`, or only its length when it is too long to keep.
enum Text {
    Kept(String),
    TooLong(u64),
}

struct EntrySeed(BodyLimit);

impl<'de> serde::de::DeserializeSeed<'de> for EntrySeed {
    type Value = RawEntry;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawEntry, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntrySeed {
    type Value = RawEntry;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an entry object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawEntry, A::Error> {
        use serde::de::IgnoredAny;
        let mut entry = RawEntry::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            match &*key {
                "startedDateTime" => entry.started = map.next_value()?,
                "time" => entry.time = map.next_value()?,
                "_hookscope" => entry.extra = map.next_value()?,
                "request" => entry.request = map.next_value_seed(Nullable(RequestSeed(self.0)))?,
                "response" => entry.status = map.next_value_seed(Nullable(StatusSeed))?.flatten(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(entry)
    }
}

/// A seed that also takes `null`.
struct Nullable<S>(S);

impl<'de, S: serde::de::DeserializeSeed<'de>> serde::de::DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: serde::de::DeserializeSeed<'de>> serde::de::Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// `response.status`, the rest of the response skipped.
struct StatusSeed;

impl<'de> serde::de::DeserializeSeed<'de> for StatusSeed {
    type Value = Option<Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StatusSeed {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a response object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut status = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            if key == "status" {
                status = map.next_value()?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(status)
    }
}

struct RequestSeed(BodyLimit);

impl<'de> serde::de::DeserializeSeed<'de> for RequestSeed {
    type Value = RawRequest;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawRequest, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RequestSeed {
    type Value = RawRequest;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a request object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawRequest, A::Error> {
        let mut request = RawRequest::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            match &*key {
                "method" => request.method = map.next_value()?,
                "url" => request.url = map.next_value()?,
                "httpVersion" => request.http_version = map.next_value()?,
                "headers" => request.headers = map.next_value()?,
                "postData" => request.post = map.next_value_seed(Nullable(PostSeed(self.0)))?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(request)
    }
}

struct PostSeed(BodyLimit);

impl<'de> serde::de::DeserializeSeed<'de> for PostSeed {
    type Value = RawPost;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawPost, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for PostSeed {
    type Value = RawPost;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a postData object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawPost, A::Error> {
        let mut post = RawPost::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            match &*key {
                "text" => post.text = map.next_value_seed(Nullable(TextSeed(self.0)))?,
                // `_encoding` is what some tools write.
                "encoding" | "_encoding" => {
                    let value: Option<Value> = map.next_value()?;
                    post.encoding = post.encoding.or(value);
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(post)
    }
}

struct TextSeed(BodyLimit);

impl<'de> serde::de::DeserializeSeed<'de> for TextSeed {
    type Value = Text;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TextSeed {
    type Value = Text;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("postData.text as a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Text, E> {
        // Measured in the parser's buffer; a body too large to keep is never copied.
        if text.len() as u64 > self.0.max_text() {
            Ok(Text::TooLong(text.len() as u64))
        } else {
            Ok(Text::Kept(text.to_owned()))
        }
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Text, E> {
        if text.len() as u64 > self.0.max_text() {
            Ok(Text::TooLong(text.len() as u64))
        } else {
            Ok(Text::Kept(text))
        }
    }
}

impl RawEntry {
    fn into_entry(self, max_body: u64) -> Result<HarEntry, String> {
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let request = self.request.ok_or("no request")?;
        let method = text(request.method).ok_or("no request.method")?;
        let url = text(request.url).ok_or("no request.url")?;
        let (path, query) = split_url(&url);
        let extra = self.extra.as_ref();
        let headers = match extra.and_then(|x| x.get("rawHeaders")).and_then(Value::as_array) {
            Some(raw) => raw
                .iter()
                .map(|pair| {
                    let part = |i: usize| {
                        pair.get(i)
                            .and_then(Value::as_str)
                            .and_then(|s| STANDARD.decode(s).ok())
                            .ok_or("bad _hookscope.rawHeaders")
                    };
                    Ok((part(0)?, part(1)?))
                })
                .collect::<Result<Vec<_>, &str>>()?,
            None => request
                .headers
                .as_ref()
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|h| {
                            let field = |k: &str| h.get(k).and_then(Value::as_str).unwrap_or("");
                            (field("name").as_bytes().to_vec(), field("value").as_bytes().to_vec())
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        let stored =
            extra.and_then(|x| x.get("bodyStored")).and_then(Value::as_bool).unwrap_or(true);
        let post = request.post.unwrap_or_default();
        let base64 = text(post.encoding).as_deref() == Some("base64");
        let (body, oversize) = match post.text {
            Some(Text::TooLong(len)) => (None, Some(if base64 { len / 4 * 3 } else { len })),
            Some(Text::Kept(body)) if base64 => {
                let body = STANDARD.decode(body.as_bytes());
                (Some(body.map_err(|_| "postData is not valid base64")?), None)
            }
            Some(Text::Kept(body)) => (Some(body.into_bytes()), None),
            None => (Some(Vec::new()), None),
        };
        let (body, oversize) = match body {
            Some(body) if body.len() as u64 > max_body => (None, Some(body.len() as u64)),
            body => (body, oversize),
        };
        let body = if stored { body } else { None };
        let status = self
            .status
            .as_ref()
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (100..=599).contains(s));
        let received_at =
            text(self.started).and_then(|t| parse_iso8601(&t)).unwrap_or_else(super::time::now_ms);
        let delivery = ExportedDelivery {
            id: 0,
            received_at,
            method,
            path,
            query,
            http_version: text(request.http_version).unwrap_or_else(|| "HTTP/1.1".into()),
            body_size: body.as_ref().map_or(oversize.unwrap_or(0), |b| b.len() as u64),
            headers,
            body,
            endpoint: None,
            provider: None,
            response_status: status,
            response_latency_us: self
                .time
                .as_ref()
                .and_then(Value::as_f64)
                .map(|ms| (ms * 1000.0) as i64),
        };
        Ok(HarEntry { delivery, oversize })
    }
}

/// Path and query of an absolute (or origin-form) URL.
fn split_url(url: &str) -> (String, Option<String>) {
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (rest, None),
    };
    let path = if path.is_empty() { "/".to_owned() } else { path.to_owned() };
    (path, query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_path_and_query() {
        assert_eq!(split_url("http://h:1/a/b?x=1&y"), ("/a/b".into(), Some("x=1&y".into())));
        assert_eq!(split_url("https://h"), ("/".into(), None));
        assert_eq!(split_url("/p?q"), ("/p".into(), Some("q".into())));
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(matches!(parse_har(b"nope"), Err(HarError::Json(_))));
        assert!(matches!(parse_har(b"{}"), Err(HarError::NoEntries)));
        let bad = br#"{"log":{"entries":[{"request":{"url":"http://h/"}}]}}"#;
        let err = parse_har(bad).unwrap_err().to_string();
        assert!(err.contains("log.entries[0]") && err.contains("method"), "{err}");
    }

    #[test]
    fn entries_stream_with_what_browsers_write_and_large_bodies_left_out() {
        let har = br#"{"log":{"creator":{"name":"browser"},"pages":[{"id":"p"}],"entries":[
            {"request":{"method":"GET","url":"https://h/a?b=1","headers":null,"postData":null},
             "response":{"status":204,"content":{"text":"not read"}},"_hookscope":null},
            {"request":{"method":"POST","url":"/b","postData":
                {"mimeType":"x","encoding":"base64","text":"AAEC/w=="}},"response":null},
            {"request":{"method":"POST","url":"/c","postData":{"text":"0123456789"}}}
        ],"comment":"after"}}"#;
        let mut seen = Vec::new();
        let count = for_each_entry(&har[..], 8, |index, entry| {
            seen.push((index, entry));
            Ok::<_, HarError>(())
        })
        .unwrap();
        assert_eq!(count, 3);
        let (_, a) = &seen[0];
        assert_eq!((a.delivery.path.as_str(), a.delivery.query.as_deref()), ("/a", Some("b=1")));
        assert_eq!(
            (a.delivery.response_status, a.delivery.body.as_deref()),
            (Some(204), Some(&b""[..]))
        );
        assert_eq!(seen[1].1.delivery.body.as_deref(), Some(&[0u8, 1, 2, 255][..]));
        let (index, c) = &seen[2];
        assert_eq!(
            (*index, c.delivery.body.as_ref(), c.oversize, c.delivery.body_size),
            (2, None, Some(10), 10)
        );
    }

    #[test]
    fn the_callers_error_stops_the_walk() {
        let har = br#"{"log":{"entries":[{"request":{"method":"GET","url":"/"}},{"broken"}]}}"#;
        let mut calls = 0;
        let err = for_each_entry(&har[..], u64::MAX, |index, _| {
            calls += 1;
            Err(HarError::Entry { index, message: "refused by the caller".into() })
        })
        .unwrap_err();
        assert_eq!(calls, 1, "nothing after the first error is read");
        assert_eq!(err.to_string(), "log.entries[0]: refused by the caller");
    }
}
