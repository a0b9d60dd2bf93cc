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
    #[error("entry {index}: {message}")]
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
            "httpVersion": "HTTP/1.1",
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

/// The entries of a HAR file as deliveries (ids 0, endpoints unassigned).
pub fn parse_har(bytes: &[u8]) -> Result<Vec<ExportedDelivery>, HarError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let entries =
        doc.pointer("/log/entries").and_then(Value::as_array).ok_or(HarError::NoEntries)?;
    entries
        .iter()
        .enumerate()
        .map(|(index, e)| parse_entry(e).map_err(|message| HarError::Entry { index, message }))
        .collect()
}

fn parse_entry(e: &Value) -> Result<ExportedDelivery, String> {
    let request = e.get("request").ok_or("no request")?;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let method = text(request, "method").ok_or("no request.method")?;
    let url = text(request, "url").ok_or("no request.url")?;
    let (path, query) = split_url(&url);
    let extra = e.get("_hookscope");
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
            .get("headers")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|h| {
                        let name = text(h, "name").unwrap_or_default();
                        let value = text(h, "value").unwrap_or_default();
                        (name.into_bytes(), value.into_bytes())
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let stored = extra.and_then(|x| x.get("bodyStored")).and_then(Value::as_bool).unwrap_or(true);
    let body = match request.get("postData") {
        Some(post) => {
            let body = text(post, "text").unwrap_or_default();
            let encoding = text(post, "encoding").or_else(|| text(post, "_encoding"));
            if encoding.as_deref() == Some("base64") {
                STANDARD.decode(body.as_bytes()).map_err(|_| "postData is not valid base64")?
            } else {
                body.into_bytes()
            }
        }
        None => Vec::new(),
    };
    let body = stored.then_some(body);
    let status = e
        .pointer("/response/status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..=599).contains(s));
    let received_at = text(e, "startedDateTime")
        .and_then(|t| parse_iso8601(&t))
        .unwrap_or_else(super::time::now_ms);
    Ok(ExportedDelivery {
        id: 0,
        received_at,
        method,
        path,
        query,
        http_version: text(request, "httpVersion").unwrap_or_else(|| "HTTP/1.1".into()),
        body_size: body.as_ref().map_or(0, |b| b.len() as u64),
        headers,
        body,
        endpoint: None,
        provider: None,
        response_status: status,
        response_latency_us: e.get("time").and_then(Value::as_f64).map(|ms| (ms * 1000.0) as i64),
    })
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
        assert!(err.contains("entry 0") && err.contains("method"), "{err}");
    }
}
