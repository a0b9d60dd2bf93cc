//! The answer each delivery got, and what a forward's target answered.
//!
//! The listener's answer is recorded by the writer just after the delivery's own commit (the
//! default answer names the delivery's id, known only then): one more row in the next group,
//! never a wait for the provider. A target's answer in forward mode is the delivery's latest
//! `forward` outbound record.

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::outbound::{self as db, OutboundFilter};
use super::{Result, headers};
use crate::outbound::OutboundKind;
use crate::replay::form::{BodyPreview, preview};

/// Body bytes kept per answer. Hookscope's own answers are a few dozen bytes; a proxied
/// target's may be megabytes, of which the start is what a reader looks at.
pub const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// Who decided a delivery's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ResponseSource {
    /// Hookscope's default: 200 with the delivery's id.
    Default,
    /// The endpoint's response rule.
    Rule,
    /// A step of the endpoint's scripted sequence.
    Sequence,
    /// The body was refused (too large, too slow, no room in flight): the attempt is kept.
    Refusal,
    /// Proxy mode: the target's answer, passed on.
    Proxy,
    /// Proxy mode without an answer from the target: the endpoint's fallback status.
    Fallback,
    /// Read from an imported HAR file: what the original server answered.
    Imported,
}

impl ResponseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Rule => "rule",
            Self::Sequence => "sequence",
            Self::Refusal => "refusal",
            Self::Proxy => "proxy",
            Self::Fallback => "fallback",
            Self::Imported => "imported",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Default,
            Self::Rule,
            Self::Sequence,
            Self::Refusal,
            Self::Proxy,
            Self::Fallback,
            Self::Imported,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Where the answer came from, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Default => "Hookscope's default answer",
            Self::Rule => "the endpoint's response rule",
            Self::Sequence => "a step of the endpoint's sequence",
            Self::Refusal => "Hookscope refusing the body",
            Self::Proxy => "the forward target, passed on (proxy mode)",
            Self::Fallback => "the fallback status: the forward target gave no answer",
            Self::Imported => "the imported HAR file",
        }
    }
}

/// An answer as it went out, its body cut to [`MAX_RESPONSE_BODY`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub source: ResponseSource,
    pub status: u16,
    /// In the order written, names as on the wire.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The first bytes of the body, at most [`MAX_RESPONSE_BODY`].
    pub body: Bytes,
    /// Bytes of the body as sent.
    pub body_size: u64,
    /// True when `body` holds only the start of the body.
    pub truncated: bool,
}

impl StoredResponse {
    /// The answer with `body` as sent, keeping at most [`MAX_RESPONSE_BODY`] of it.
    pub fn new(
        source: ResponseSource,
        status: u16,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        body: Bytes,
    ) -> Self {
        let body_size = body.len() as u64;
        Self::with_size(source, status, headers, body, body_size)
    }

    /// As [`new`](Self::new), for a body of which only `body` is known out of `body_size`
    /// bytes (an imported answer recorded cut).
    pub fn with_size(
        source: ResponseSource,
        status: u16,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        mut body: Bytes,
        body_size: u64,
    ) -> Self {
        body.truncate(MAX_RESPONSE_BODY);
        let body_size = body_size.max(body.len() as u64);
        let truncated = body_size > body.len() as u64;
        Self { source, status, headers, body, body_size, truncated }
    }

    pub fn content_type(&self) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// Records `response` for delivery `id`, unless the delivery is gone (pruned meanwhile). The
/// writer's connection enforces no foreign keys: the delivery's presence is checked here.
pub(super) fn insert(conn: &Connection, id: i64, response: &StoredResponse) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO delivery_responses
            (delivery_id, source, status, headers_raw, body_size, truncated, body)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?1)",
    )?
    .execute(params![
        id,
        response.source.as_str(),
        response.status,
        headers::encode(&response.headers),
        response.body_size.min(i64::MAX as u64) as i64,
        response.truncated,
        &response.body[..],
    ])?;
    Ok(())
}

fn stored_from(r: &Row<'_>) -> rusqlite::Result<StoredResponse> {
    let source: String = r.get(0)?;
    let raw: Vec<u8> = r.get(2)?;
    let body: Vec<u8> = r.get(5)?;
    Ok(StoredResponse {
        // Written by this program; an unknown word reads as the default rather than failing.
        source: ResponseSource::parse(&source).unwrap_or(ResponseSource::Default),
        status: r.get(1)?,
        headers: headers::decode(&raw),
        body_size: r.get::<_, i64>(3)?.max(0) as u64,
        truncated: r.get(4)?,
        body: Bytes::from(body),
    })
}

/// The answer recorded for delivery `id`; none for deliveries stored before answers were
/// recorded, and for a moment after a capture while the writer records it.
pub fn stored(conn: &Connection, id: i64) -> Result<Option<StoredResponse>> {
    Ok(conn
        .prepare_cached(
            "SELECT source, status, headers_raw, body_size, truncated, body
             FROM delivery_responses WHERE delivery_id = ?1",
        )?
        .query_row([id], stored_from)
        .optional()?)
}

/// A forward target's answer with its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedResponse {
    pub record_id: i64,
    pub at: i64,
    pub method: String,
    pub url: String,
    /// None when no answer came (see `error`).
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// True when the target's answer was longer than the outbound record keeps.
    pub truncated: bool,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// What the delivery's latest forward got back from the target.
pub fn forwarded(conn: &Connection, id: i64) -> Result<Option<ForwardedResponse>> {
    let filter =
        OutboundFilter { delivery_id: Some(id), kind: Some(OutboundKind::Forward), limit: 1 };
    let Some(record) = db::list(conn, &filter)?.into_iter().next() else {
        return Ok(None);
    };
    let (_, body) = db::bodies(conn, record.id)?.unwrap_or_default();
    Ok(Some(ForwardedResponse {
        record_id: record.id,
        at: record.at,
        method: record.method,
        url: record.url,
        status: record.status,
        headers: record.response_headers,
        body,
        truncated: record.truncated,
        duration_ms: record.duration_ms,
        error: record.error,
    }))
}

/// The standard reason phrase of a status, empty for one without.
pub fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
}

/// The answer a delivery got, for the detail view and `show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecordedResponse {
    pub source: ResponseSource,
    pub status: u16,
    /// The standard reason phrase (`OK`, `Payload Too Large`); empty for a status without.
    pub reason: String,
    /// As written, in order; values that are not UTF-8 show replacement characters.
    pub headers: Vec<(String, String)>,
    /// The kept bytes (at most 64 KiB) as text.
    pub body: BodyPreview,
    /// Bytes of the body as sent.
    #[ts(type = "number")]
    pub body_size: u64,
    /// True when only the first `body.size` bytes of `body_size` were kept.
    pub truncated: bool,
}

/// What a forward's target answered, for the detail view and `show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TargetResponse {
    /// The outbound record it comes from.
    #[ts(type = "number")]
    pub record_id: i64,
    /// When the forward was sent, Unix milliseconds.
    #[ts(type = "number")]
    pub at: i64,
    pub method: String,
    pub url: String,
    /// None when no answer came: see `error`.
    pub status: Option<u16>,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: BodyPreview,
    /// True when the target's answer was longer than the record keeps (10 MiB).
    pub truncated: bool,
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// Why no answer came, in plain words.
    pub error: Option<String>,
}

/// The answer Hookscope gave a delivery's sender and, in forward mode, what the target
/// answered Hookscope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeliveryResponses {
    #[ts(type = "number")]
    pub delivery_id: i64,
    /// None for deliveries stored before answers were recorded (and for a moment after a
    /// capture, until the writer has recorded its answer).
    pub response: Option<RecordedResponse>,
    /// The latest forward's answer, when the endpoint forwards.
    pub forward_response: Option<TargetResponse>,
}

impl From<&StoredResponse> for RecordedResponse {
    fn from(r: &StoredResponse) -> Self {
        Self {
            source: r.source,
            status: r.status,
            reason: reason(r.status).to_owned(),
            headers: headers::to_text_pairs(&r.headers),
            body: preview(&r.body),
            body_size: r.body_size,
            truncated: r.truncated,
        }
    }
}

impl From<&ForwardedResponse> for TargetResponse {
    fn from(f: &ForwardedResponse) -> Self {
        Self {
            record_id: f.record_id,
            at: f.at,
            method: f.method.clone(),
            url: f.url.clone(),
            status: f.status,
            reason: f.status.map(reason).unwrap_or_default().to_owned(),
            headers: f.headers.clone(),
            body: preview(&f.body),
            truncated: f.truncated,
            duration_ms: f.duration_ms,
            error: f.error.clone(),
        }
    }
}

/// Both answers of delivery `id`; [`super::StoreError::NotFound`] when there is no such delivery.
pub fn of_delivery(conn: &Connection, id: i64) -> Result<DeliveryResponses> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM deliveries WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?;
    if exists.is_none() {
        return Err(super::StoreError::NotFound(id));
    }
    Ok(DeliveryResponses {
        delivery_id: id,
        response: stored(conn, id)?.as_ref().map(RecordedResponse::from),
        forward_response: forwarded(conn, id)?.as_ref().map(TargetResponse::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_past_the_cap_keep_their_start_and_size() {
        let body = Bytes::from(vec![b'a'; MAX_RESPONSE_BODY + 10]);
        let r = StoredResponse::new(ResponseSource::Proxy, 200, Vec::new(), body);
        assert_eq!((r.body.len(), r.body_size, r.truncated), (MAX_RESPONSE_BODY, 65_546, true));
        let small = StoredResponse::new(ResponseSource::Default, 200, Vec::new(), "{}".into());
        assert_eq!((small.body_size, small.truncated), (2, false));
        let cut =
            StoredResponse::with_size(ResponseSource::Imported, 200, Vec::new(), "ab".into(), 9);
        assert_eq!((cut.body_size, cut.truncated), (9, true));
        let under =
            StoredResponse::with_size(ResponseSource::Imported, 200, Vec::new(), "abc".into(), 1);
        assert_eq!(
            (under.body_size, under.truncated),
            (3, false),
            "a size below the text's is wrong"
        );
    }

    #[tokio::test]
    async fn the_writer_records_answers_only_for_deliveries_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path(), Default::default()).unwrap();
        let writer = store.writer().unwrap();
        let answer = |body: &'static str| {
            let headers = vec![(b"content-type".to_vec(), b"text/plain".to_vec())];
            StoredResponse::new(ResponseSource::Rule, 202, headers, Bytes::from(body))
        };
        writer.record_response(999, answer("nobody"));
        let id = writer.insert(crate::store::search_tests::delivery("/a", "x")).await.unwrap().id;
        writer.record_response(id, answer("kept"));
        let recorded = loop {
            if let Some(r) = store.read(|c| stored(c, id)).unwrap() {
                break r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert_eq!(recorded, answer("kept"));
        let rows: i64 = store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM delivery_responses", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(rows, 1, "no answer is kept for a delivery that is not there");
        let shown = store.responses(id).unwrap().response.unwrap();
        assert_eq!(
            (shown.status, shown.reason.as_str(), shown.body.text.as_str()),
            (202, "Accepted", "kept")
        );
        assert!(matches!(store.responses(id + 1), Err(crate::store::StoreError::NotFound(_))));
    }

    #[test]
    fn sources_read_back_as_written() {
        for s in [
            ResponseSource::Default,
            ResponseSource::Rule,
            ResponseSource::Sequence,
            ResponseSource::Refusal,
            ResponseSource::Proxy,
            ResponseSource::Fallback,
            ResponseSource::Imported,
        ] {
            assert_eq!(ResponseSource::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(reason(413), "Payload Too Large");
        assert_eq!(reason(299), "");
    }
}
