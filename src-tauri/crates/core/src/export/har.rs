//! HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/). Bodies stay byte-exact: text
//! when valid UTF-8, else base64. HAR 1.2 gives `postData` no encoding field, so a base64
//! request body is marked twice: `"encoding": "base64"`, the field HAR 1.3's draft adds and
//! that proxies (martian, Reqable) write and read, and `"_encoding": "base64"`, the custom
//! field HAR 1.2's underscore rule asks for, which other tools write; the importer reads either.
//! Headers keep their order; when one is not UTF-8 the exact bytes ride along in
//! `_hookscope.rawHeaders`, which the importer prefers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::ExportedDelivery;
use super::har_response::{RawResponse, ResponseSeed};
use crate::time::{iso8601, now_ms, parse_iso8601};

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
    // No body, no `postData`: an empty one would claim a body a GET never had.
    if let Some(body) = d.body.as_ref().filter(|b| !b.is_empty()) {
        let mime = d.content_type().unwrap_or_default();
        request["postData"] = match std::str::from_utf8(body) {
            Ok(text) => json!({ "mimeType": mime, "text": text }),
            Err(_) => json!({
                "mimeType": mime,
                "text": STANDARD.encode(body),
                "encoding": "base64",
                "_encoding": "base64",
            }),
        };
    }
    let time_ms = d.response_latency_us.unwrap_or(0) as f64 / 1000.0;
    json!({
        "startedDateTime": iso8601(d.received_at),
        "time": time_ms,
        "request": request,
        "response": super::har_response::to_har(d),
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
    /// Set when the file gave the body only as a form's `params`.
    pub form: Option<FormBody>,
}

/// What became of a body the file gave only as `postData.params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormBody {
    /// Rebuilt as `application/x-www-form-urlencoded`: the same fields, though not
    /// necessarily encoded byte for byte as the sender did.
    Rebuilt,
    /// Left empty, for this reason.
    NotRebuilt(String),
}

impl FormBody {
    /// The import note.
    pub fn message(&self) -> String {
        match self {
            Self::Rebuilt => "body rebuilt from postData.params as \
                application/x-www-form-urlencoded (the sender may have escaped some characters \
                differently)"
                .into(),
            Self::NotRebuilt(why) => {
                format!("postData holds only params, and {why}: stored with an empty body")
            }
        }
    }
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
    let reader = without_bom(reader).map_err(|e| HarError::Json(serde_json::Error::io(e)))?;
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

/// `reader` past a leading UTF-8 byte-order mark, which the HAR spec lets writers emit (Chrome
/// and Windows tools do) and requires readers to skip.
fn without_bom<R: std::io::Read>(mut reader: R) -> std::io::Result<impl std::io::Read> {
    use std::io::Read as _;
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut start = Vec::with_capacity(BOM.len());
    (&mut reader).take(BOM.len() as u64).read_to_end(&mut start)?;
    if start == BOM {
        start.clear();
    }
    Ok(std::io::Cursor::new(start).chain(reader))
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
        (self.0.saturating_add(2) / 3).saturating_mul(4).saturating_add(4)
    }
}

/// The parts of an entry the importer reads; everything else (a browser's response bodies
/// too) is skipped without being copied.
#[derive(Default)]
struct RawEntry {
    started: Option<Value>,
    time: Option<Value>,
    response: Option<RawResponse>,
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
    /// Whether `encoding` or `_encoding` said base64.
    base64: bool,
    mime_type: Option<Value>,
    params: Option<Params>,
}

/// `postData.params`, already encoded as a urlencoded body as they are read, so that no more
/// than the body is kept.
#[derive(Default)]
struct Params {
    count: usize,
    /// None once past the body limit.
    encoded: Option<String>,
    /// The encoded length (a lower bound once a value was too long to keep).
    len: u64,
    /// A parameter had a `fileName` or `contentType`: a multipart form.
    files: bool,
    /// A name or value was not text.
    odd: bool,
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
                "response" => entry.response = map.next_value_seed(Nullable(ResponseSeed))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(entry)
    }
}

/// A seed that also takes `null`.
pub(super) struct Nullable<S>(pub(super) S);

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
                // HAR 1.3's draft field, and HAR 1.2's custom-field spelling of it.
                "encoding" | "_encoding" => {
                    let value: Option<Value> = map.next_value()?;
                    post.base64 |= value.as_ref().and_then(Value::as_str) == Some("base64");
                }
                "mimeType" => post.mime_type = map.next_value()?,
                "params" => post.params = map.next_value_seed(Nullable(ParamsSeed(self.0)))?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(post)
    }
}

struct ParamsSeed(BodyLimit);

impl<'de> serde::de::DeserializeSeed<'de> for ParamsSeed {
    type Value = Params;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Params, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ParamsSeed {
    type Value = Params;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("postData.params as an array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Params, A::Error> {
        let mut params = Params { encoded: Some(String::new()), ..Params::default() };
        while let Some(param) = seq.next_element_seed(ParamSeed(self.0))? {
            params.count += 1;
            params.files |= param.file;
            let (name, value) = match (param.name, param.value) {
                (Some(Scalar::Other), _) | (_, Some(Scalar::Other)) => {
                    params.odd = true;
                    continue;
                }
                (Some(Scalar::Text(Text::TooLong(len))), _)
                | (_, Some(Scalar::Text(Text::TooLong(len)))) => {
                    params.encoded = None;
                    params.len += len;
                    continue;
                }
                (name, value) => (kept(name), kept(value)),
            };
            // As the WHATWG urlencoded serializer writes a form: UTF-8, `+` for a space, `&`
            // between pairs, in order, repeats kept.
            let pair = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(&name, &value)
                .finish();
            let first = params.len == 0;
            params.len += u64::from(!first) + pair.len() as u64;
            let fits = params.len <= self.0.0;
            params.encoded = params.encoded.take().filter(|_| fits).map(|mut body| {
                if !first {
                    body.push('&');
                }
                body.push_str(&pair);
                body
            });
        }
        Ok(params)
    }
}

fn kept(scalar: Option<Scalar>) -> String {
    match scalar {
        Some(Scalar::Text(Text::Kept(text))) => text,
        _ => String::new(),
    }
}

#[derive(Default)]
struct RawParam {
    name: Option<Scalar>,
    value: Option<Scalar>,
    file: bool,
}

struct ParamSeed(BodyLimit);

impl<'de> serde::de::DeserializeSeed<'de> for ParamSeed {
    type Value = RawParam;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawParam, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ParamSeed {
    type Value = RawParam;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a postData.params object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawParam, A::Error> {
        let mut param = RawParam::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            match &*key {
                "name" => param.name = map.next_value_seed(Nullable(ScalarSeed(self.0)))?,
                "value" => param.value = map.next_value_seed(Nullable(ScalarSeed(self.0)))?,
                "fileName" | "contentType" => {
                    param.file |= map.next_value::<Option<serde::de::IgnoredAny>>()?.is_some();
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(param)
    }
}

/// A parameter's name or value: text, or something else a tool wrote there (an object, say),
/// which only matters if the body has to be rebuilt from it.
enum Scalar {
    Text(Text),
    Other,
}

struct ScalarSeed(BodyLimit);

impl<'de> serde::de::DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ScalarSeed {
    type Value = Scalar;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a parameter name or value")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Scalar, E> {
        TextSeed(self.0).visit_str(text).map(Scalar::Text)
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Scalar, E> {
        TextSeed(self.0).visit_string(text).map(Scalar::Text)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Text(Text::Kept(v.to_string())))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Text(Text::Kept(v.to_string())))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Text(Text::Kept(v.to_string())))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Text(Text::Kept(v.to_string())))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
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
        check_absolute(&url)?;
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
        let mut form = None;
        let (body, oversize) = match post.text {
            Some(Text::TooLong(len)) => (None, Some(if post.base64 { len / 4 * 3 } else { len })),
            Some(Text::Kept(body)) if post.base64 => {
                let body = STANDARD.decode(body.as_bytes());
                (Some(body.map_err(|_| "postData is not valid base64")?), None)
            }
            Some(Text::Kept(body)) if !body.is_empty() => (Some(body.into_bytes()), None),
            // No text: the body is what `params` rebuild to, if anything.
            _ => match post.params.filter(|p| p.count > 0) {
                None => (Some(Vec::new()), None),
                Some(params) => {
                    let too_long = params.len;
                    let mime = text(post.mime_type).filter(|m| !m.is_empty()).or_else(|| {
                        headers
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
                            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                    });
                    match form_body(params, mime.as_deref().unwrap_or_default()) {
                        Ok(Some(body)) => {
                            form = Some(FormBody::Rebuilt);
                            (Some(body.into_bytes()), None)
                        }
                        Ok(None) => (None, Some(too_long)),
                        Err(why) => {
                            form = Some(FormBody::NotRebuilt(why));
                            (Some(Vec::new()), None)
                        }
                    }
                }
            },
        };
        let (body, oversize) = match body {
            Some(body) if body.len() as u64 > max_body => (None, Some(body.len() as u64)),
            body => (body, oversize),
        };
        let body = if stored { body } else { None };
        let status = self.response.as_ref().and_then(RawResponse::status);
        let response = self.response.map(RawResponse::into_stored).transpose()?.flatten();
        let received_at = match self.started {
            None | Some(Value::Null) => now_ms(),
            Some(Value::String(started)) => parse_iso8601(&started).map_err(|why| {
                format!("startedDateTime {:?} is not a date-time: {why}", shortened(&started))
            })?,
            Some(_) => return Err("startedDateTime is not a string".into()),
        };
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
            response,
            forward_response: None,
        };
        Ok(HarEntry { delivery, oversize, form })
    }
}

/// The urlencoded body `params` stand for (None when over the body limit), or why there is
/// none to be had.
fn form_body(params: Params, mime: &str) -> Result<Option<String>, String> {
    let essence = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if params.files || essence == "multipart/form-data" {
        return Err("they describe a multipart form, which cannot be rebuilt byte for byte (its \
            boundary and part headers are not in the file)"
            .into());
    }
    if essence != "application/x-www-form-urlencoded" {
        return Err(format!(
            "its mimeType {:?} is not application/x-www-form-urlencoded, the one form they \
             can be rebuilt as",
            shortened(mime)
        ));
    }
    if params.odd {
        return Err("a parameter's name or value is not text".into());
    }
    Ok(params.encoded)
}

/// Refuses a `request.url` that is not absolute: a path alone says nothing of where the
/// request went, and would be stored as if it did.
fn check_absolute(url: &str) -> Result<(), String> {
    let refuse =
        |why: &str| format!("request.url {:?} is not an absolute URL ({why})", shortened(url));
    let parsed = url::Url::parse(url).map_err(|e| refuse(&e.to_string()))?;
    // The parser is lenient (`http:h/x` and `http:///h/x` read as `http://h/x`); the path is
    // cut from the text as written, which must name its host right after `scheme://`.
    let (text, scheme) = (url.trim_start(), parsed.scheme());
    let written = text.get(..scheme.len() + 3).is_some_and(|start| {
        start.eq_ignore_ascii_case(&format!("{scheme}://"))
            && text[scheme.len() + 3..].starts_with(|c| !matches!(c, '/' | '?' | '#'))
    });
    if !parsed.has_host() || !written {
        return Err(refuse("no scheme://host"));
    }
    Ok(())
}

/// `text` cut to a length an error message can show.
fn shortened(text: &str) -> String {
    const SHOWN: usize = 100;
    match text.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Path and query of an absolute URL, byte for byte as written.
fn split_url(url: &str) -> (String, Option<String>) {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = after_scheme.find(['/', '?', '#']).map_or("", |i| &after_scheme[i..]);
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
        assert_eq!(split_url("http://h?x=1#frag"), ("/".into(), Some("x=1".into())));
        assert_eq!(split_url("http://h/%7e/./a b"), ("/%7e/./a b".into(), None), "as written");
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
            {"request":{"method":"POST","url":"http://h/b","postData":
                {"mimeType":"x","encoding":"base64","text":"AAEC/w=="}},"response":null},
            {"request":{"method":"POST","url":"http://h/c","postData":{"text":"0123456789"}}}
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
        let har =
            br#"{"log":{"entries":[{"request":{"method":"GET","url":"http://h/"}},{"broken"}]}}"#;
        let mut calls = 0;
        let err = for_each_entry(&har[..], u64::MAX, |index, _| {
            calls += 1;
            Err(HarError::Entry { index, message: "refused by the caller".into() })
        })
        .unwrap_err();
        assert_eq!(calls, 1, "nothing after the first error is read");
        assert_eq!(err.to_string(), "log.entries[0]: refused by the caller");
    }

    /// The entries of `entries` (a JSON array's inside), or the error.
    fn read(entries: &str) -> Result<Vec<HarEntry>, HarError> {
        read_limited(entries, u64::MAX)
    }

    fn read_limited(entries: &str, max_body: u64) -> Result<Vec<HarEntry>, HarError> {
        let har = format!(r#"{{"log":{{"entries":[{entries}]}}}}"#);
        let mut out = Vec::new();
        for_each_entry(har.as_bytes(), max_body, |_, entry| {
            out.push(entry);
            Ok::<_, HarError>(())
        })?;
        Ok(out)
    }

    fn post(post_data: &str) -> String {
        format!(r#"{{"request":{{"method":"POST","url":"http://h/f","postData":{post_data}}}}}"#)
    }

    /// Hands out one byte per read, as a slow pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else { return Ok(0) };
            match buf.first_mut() {
                Some(slot) => {
                    *slot = *first;
                    self.0 = rest;
                    Ok(1)
                }
                None => Ok(0),
            }
        }
    }

    #[test]
    fn a_leading_byte_order_mark_is_skipped() {
        let har = br#"{"log":{"entries":[{"request":{"method":"GET","url":"http://h/a"}}]}}"#;
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), har].concat();
        assert_eq!(parse_har(&with_bom).unwrap()[0].path, "/a");
        let count = for_each_entry(Trickle(&with_bom), u64::MAX, |_, _| Ok::<_, HarError>(()));
        assert_eq!(count.unwrap(), 1, "a mark read a byte at a time");
        assert_eq!(parse_har(har).unwrap().len(), 1, "no mark");
        // Only one mark, and only at the start.
        let twice = [b"\xEF\xBB\xBF\xEF\xBB\xBF".as_slice(), har].concat();
        assert!(matches!(parse_har(&twice), Err(HarError::Json(_))));
        assert!(matches!(parse_har(b"\xEF\xBB\xBF"), Err(HarError::Json(_))));
        assert!(matches!(parse_har(b"\xEF\xBB"), Err(HarError::Json(_))));
    }

    #[test]
    fn a_form_given_only_as_params_is_rebuilt_urlencoded() {
        let entries = read(
            &[
                // Reserved characters, non-ASCII, an empty and a missing value, a repeated name.
                post(
                    r#"{"mimeType":"application/x-www-form-urlencoded; charset=UTF-8","params":[
                    {"name":"a b","value":"1&2=3+4%5/?#"},{"name":"é","value":"ü ~*-._"},
                    {"name":"a b","value":"again"},{"name":"empty","value":""},{"name":"bare"}]}"#,
                ),
                // As martian writes it: an empty text beside the params; the type from the header.
                r#"{"request":{"method":"POST","url":"http://h/f","headers":[
                {"name":"Content-Type","value":"application/x-www-form-urlencoded"}],
                "postData":{"text":"","params":[{"name":"n","value":1}]}}}"#
                    .into(),
                // A text, when there is one, is the body as sent: the params only describe it.
                post(
                    r#"{"mimeType":"application/x-www-form-urlencoded","text":"x=%20",
                    "params":[{"name":"x","value":{"not":"text"}}]}"#,
                ),
            ]
            .join(","),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(entries[0].delivery.body.clone().unwrap()).unwrap(),
            "a+b=1%262%3D3%2B4%255%2F%3F%23&%C3%A9=%C3%BC+%7E*-._&a+b=again&empty=&bare="
        );
        assert_eq!(entries[0].form, Some(FormBody::Rebuilt));
        assert_eq!(entries[0].delivery.body_size, 75);
        assert_eq!(entries[1].delivery.body.as_deref(), Some(&b"n=1"[..]));
        assert_eq!(entries[1].form, Some(FormBody::Rebuilt));
        assert_eq!(entries[2].delivery.body.as_deref(), Some(&b"x=%20"[..]));
        assert_eq!(entries[2].form, None);
        assert!(FormBody::Rebuilt.message().contains("rebuilt from postData.params"));
    }

    #[test]
    fn params_that_cannot_be_rebuilt_leave_an_empty_body_and_say_why() {
        let entries = read(
            &[
                post(
                    r#"{"mimeType":"multipart/form-data; boundary=x","params":[
                    {"name":"f","value":"data","fileName":"a.bin","contentType":"image/png"}]}"#,
                ),
                // A file part marks the form multipart, whatever the mimeType says.
                post(
                    r#"{"mimeType":"application/x-www-form-urlencoded","params":[
                    {"name":"f","fileName":"a.txt"}]}"#,
                ),
                post(
                    r#"{"mimeType":"multipart/form-data","params":[{"name":"plain","value":"v"}]}"#,
                ),
                post(r#"{"mimeType":"application/json","params":[{"name":"a","value":"1"}]}"#),
                post(r#"{"params":[{"name":"a","value":"1"}]}"#),
                post(
                    r#"{"mimeType":"application/x-www-form-urlencoded",
                    "params":[{"name":"a","value":["x"]}]}"#,
                ),
            ]
            .join(","),
        )
        .unwrap();
        let why = |i: usize| match &entries[i].form {
            Some(FormBody::NotRebuilt(why)) => why.clone(),
            other => panic!("entry {i}: {other:?}"),
        };
        for (i, entry) in entries.iter().enumerate().take(3) {
            assert!(why(i).contains("multipart form"), "{}", why(i));
            assert_eq!(entry.delivery.body.as_deref(), Some(&b""[..]), "entry {i}");
        }
        assert!(why(3).contains("\"application/json\" is not application/x-www-form-urlencoded"));
        assert!(why(4).contains("\"\" is not"), "{}", why(4));
        assert!(why(5).contains("not text"), "{}", why(5));
        let message = entries[0].form.as_ref().unwrap().message();
        assert!(message.starts_with("postData holds only params, and they describe a multipart"));
        assert!(message.ends_with("stored with an empty body"), "{message}");
        // No params at all is simply no body.
        let none = read(&[post(r#"{"mimeType":"x","params":[]}"#), post("{}")].join(",")).unwrap();
        assert!(none.iter().all(|e| e.form.is_none() && e.delivery.body == Some(Vec::new())));
    }

    #[test]
    fn params_past_the_body_limit_are_left_out_like_a_large_text() {
        let form = |value: &str| {
            post(&format!(
                r#"{{"mimeType":"application/x-www-form-urlencoded",
                    "params":[{{"name":"a","value":"{value}"}},{{"name":"b","value":"{value}"}}]}}"#
            ))
        };
        // "a=xxxx&b=xxxx" is 13 bytes; "a=%26%26&b=%26%26" is 17.
        let entries = read_limited(&[form("xxxx"), form("&&")].join(","), 13).unwrap();
        assert_eq!(entries[0].delivery.body.as_deref(), Some(&b"a=xxxx&b=xxxx"[..]));
        assert_eq!((entries[1].delivery.body.as_ref(), entries[1].oversize), (None, Some(17)));
        assert_eq!(entries[1].form, None, "the over-limit note says it all");
    }

    #[test]
    fn a_url_that_is_not_absolute_is_refused_with_the_entry_number() {
        for url in [
            "/hook",
            "hook?x=1",
            "example.com/hook",
            "//example.com/hook",
            "",
            "mailto:someone@example.com",
            "http:example.com/hook",
            "http:///hook",
            "http://exa mple.com/",
            "data:text/plain,hi",
        ] {
            let good = r#"{"request":{"method":"GET","url":"https://h/ok"}}"#;
            let bad = format!(r#"{{"request":{{"method":"POST","url":{}}}}}"#, json!(url));
            let err = match read(&format!("{good},{good},{bad}")) {
                Err(err) => err.to_string(),
                Ok(_) => panic!("{url:?} was taken"),
            };
            assert!(
                err.starts_with("log.entries[2]: request.url")
                    && err.contains("not an absolute URL"),
                "{url:?}: {err}"
            );
        }
        for url in ["https://h", "ws://h:1/x", "HTTP://H/x?y#z", "http://[::1]:8080/a"] {
            let entry = format!(r#"{{"request":{{"method":"GET","url":{}}}}}"#, json!(url));
            assert!(read(&entry).is_ok(), "{url}");
        }
        let long = format!(r#"{{"request":{{"method":"GET","url":"/{}"}}}}"#, "a".repeat(5000));
        let err = read(&long).err().unwrap().to_string();
        assert!(err.len() < 400, "a long URL is cut short in the message: {err}");
    }

    #[test]
    fn started_date_times_are_read_with_their_offsets_and_checked() {
        let at = |started: &str| {
            format!(
                r#"{{"startedDateTime":{},"request":{{"method":"GET","url":"http://h/"}}}}"#,
                json!(started)
            )
        };
        let entries = read(
            &[
                at("2024-05-01T12:00:00.250+02:00"),
                at("2024-05-01T10:00:00.250Z"),
                at("2024-05-01T05:30:00.250-04:30"),
            ]
            .join(","),
        )
        .unwrap();
        for entry in &entries {
            assert_eq!(entry.delivery.received_at, 1_714_557_600_250);
        }
        for (started, part) in [
            ("2024-13-01T00:00:00Z", "'month'"),
            ("2024-02-30T00:00:00Z", "'day'"),
            ("2024-01-32T00:00:00Z", "'day'"),
            ("2024-01-01T25:00:00Z", "'hour'"),
            ("yesterday", "year"),
        ] {
            let err = read(&format!("{},{}", at("2024-05-01T10:00:00Z"), at(started)))
                .err()
                .unwrap()
                .to_string();
            let named = format!("log.entries[1]: startedDateTime \"{started}\" is not a date-time");
            assert!(err.starts_with(&named) && err.contains(part), "{started}: {err}");
        }
        let err = read(r#"{"startedDateTime":5,"request":{"method":"GET","url":"http://h/"}}"#);
        assert!(err.err().unwrap().to_string().contains("startedDateTime is not a string"));
        let before = crate::time::now_ms();
        let undated = read(r#"{"request":{"method":"GET","url":"http://h/"}}"#).unwrap();
        assert!(undated[0].delivery.received_at >= before, "no time given: the import's");
    }

    #[test]
    fn base64_is_read_from_either_encoding_field() {
        let entries = read(
            &[
                post(r#"{"text":"/wA=","encoding":"base64"}"#),
                post(r#"{"text":"/wA=","_encoding":"base64"}"#),
                post(r#"{"text":"/wA=","_encoding":"base64","encoding":null}"#),
                post(r#"{"text":"/wA="}"#),
            ]
            .join(","),
        )
        .unwrap();
        for entry in &entries[..3] {
            assert_eq!(entry.delivery.body.as_deref(), Some(&[0xff, 0][..]));
        }
        assert_eq!(entries[3].delivery.body.as_deref(), Some(&b"/wA="[..]));
    }
}
