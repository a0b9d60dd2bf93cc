//! HTTP/2 over cleartext on the listener's port: with prior knowledge (the connection starts
//! with the HTTP/2 preface) and by `Upgrade: h2c` from an HTTP/1.1 request.
//!
//! Prior knowledge is told apart by the first bytes: a connection whose first 24 bytes are the
//! preface is served by hyper's HTTP/2 server, any other by its HTTP/1 server, which sees the
//! bytes read to decide replayed in front of the socket.
//!
//! hyper and h2 have no way to continue an upgraded connection with stream 1 already open, so
//! the upgrade is done in two halves. The HTTP/1.1 request is captured like any other (body
//! included), then answered `101 Switching Protocols`. On the upgraded connection, once the
//! client's preface and first SETTINGS frame have arrived, a HEADERS frame opening stream 1 is
//! slipped in behind them, as if the client had sent it; the HTTP/2 service recognises it and
//! answers it with the response the capture had already produced, which is what RFC 9113
//! §3.1 (RFC 7540 §3.2) requires of stream 1. The slipped-in block uses only static-table
//! entries and literals without indexing, so the decoder's dynamic table stays in step with
//! the client's encoder. The client's `HTTP2-Settings` are not applied: the SETTINGS frame it
//! sends after the preface, which stream 1 waits for, carries its settings anyway.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::sync::watch;

/// What every HTTP/2 client sends first (RFC 9113 §3.4).
pub(super) const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Streams one connection may have open at once. Every stream is a request being received,
/// stored or answered, each with a task of its own, so the bound keeps what one connection
/// can set in motion small; webhook senders deliver one event per request and seldom open
/// more than a few at a time. Bodies are bounded by the in-flight budget whatever this is.
pub(super) const MAX_CONCURRENT_STREAMS: u32 = 32;
/// The largest header list a request may carry, as its HPACK-decoded size (names, values and
/// 32 bytes per field): the same 64 KiB an HTTP/1 head may take.
pub(super) const MAX_HEADER_LIST_SIZE: u32 = 64 * 1024;
/// Flow-control windows: how much body a client may send ahead of what the capture has read.
/// The capture reads bodies as they arrive, so these are buffers for the moment between.
const STREAM_WINDOW: u32 = 256 * 1024;
const CONNECTION_WINDOW: u32 = 1024 * 1024;
/// Marks the stream-1 request slipped in after an upgrade; the client never sends it, and
/// could not have it answered as the upgrade request: only the first stream is looked at.
const UPGRADE_MARKER: &str = "x-hookscope-h2c-upgrade";
/// The largest SETTINGS frame accepted as the client's first one after an upgrade (a frame
/// may not be larger unless the client was told so, and it was not).
const MAX_FIRST_SETTINGS: usize = 16_384;

/// hyper's HTTP/2 server as the listener uses it.
pub(super) fn builder() -> hyper::server::conn::http2::Builder<hyper_util::rt::TokioExecutor> {
    let mut builder =
        hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new());
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .max_header_list_size(MAX_HEADER_LIST_SIZE)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_send_buf_size(super::MAX_BUF_SIZE)
        // No keep-alive pings: a connection without a stream is closed after the header read
        // timeout (see [`Streams`]) and a stream's body has its own idle deadline, so pings
        // would find nothing those do not.
        .keep_alive_interval(None);
    builder
}

/// Which protocol a connection speaks, and the bytes read to find out.
pub(super) enum Sniffed {
    Http1(Bytes),
    Http2(Bytes),
}

/// Reads until the bytes either are the HTTP/2 preface or cannot be; stops at the first byte
/// that differs, so an HTTP/1 request is not waited on.
pub(super) async fn sniff<S: AsyncRead + Unpin>(io: &mut S) -> io::Result<Sniffed> {
    let mut seen = Vec::with_capacity(PREFACE.len());
    let mut chunk = [0u8; PREFACE.len()];
    while seen.len() < PREFACE.len() {
        let n = io.read(&mut chunk[..PREFACE.len() - seen.len()]).await?;
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&chunk[..n]);
        if !PREFACE.starts_with(&seen) {
            return Ok(Sniffed::Http1(seen.into()));
        }
    }
    Ok(if seen == PREFACE { Sniffed::Http2(seen.into()) } else { Sniffed::Http1(seen.into()) })
}

/// A stream with bytes already read put back in front of it.
pub(super) struct Rewind<S> {
    prefix: Bytes,
    inner: S,
}

impl<S> Rewind<S> {
    pub fn new(prefix: Bytes, inner: S) -> Self {
        Self { prefix, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.prefix.is_empty() {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        let n = self.prefix.len().min(buf.remaining());
        buf.put_slice(&self.prefix[..n]);
        self.prefix.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Is this HTTP/1.1 request asking to continue in HTTP/2 (RFC 7540 §3.2)? Only a request
/// that names both `Upgrade` and `HTTP2-Settings` in `Connection` and carries exactly one
/// `HTTP2-Settings` qualifies; any other is answered in HTTP/1.1 as if it had not asked.
pub(super) fn wants_upgrade<B>(req: &Request<B>) -> bool {
    let headers = req.headers();
    let listed = |token: &str| {
        headers.get_all(header::CONNECTION).iter().any(|v| {
            v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    req.version() == http::Version::HTTP_11
        && headers.get_all(header::UPGRADE).iter().any(|v| {
            v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("h2c")))
        })
        && headers.get_all("http2-settings").iter().count() == 1
        && listed("upgrade")
        && listed("http2-settings")
}

/// The answer that switches the connection to HTTP/2.
pub(super) fn switching_protocols() -> Response<axum::body::Body> {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
    response
}

/// Is this the stream-1 request slipped in after an upgrade?
pub(super) fn is_upgrade_stream<B>(req: &Request<B>) -> bool {
    req.headers().contains_key(UPGRADE_MARKER)
}

/// Reads an upgraded client's preface and first SETTINGS frame and returns them followed by
/// the HEADERS frame that opens stream 1, to be replayed in front of the connection.
pub(super) async fn upgraded_start<S: AsyncRead + Unpin>(io: &mut S) -> io::Result<Bytes> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut start = vec![0u8; PREFACE.len() + 9];
    io.read_exact(&mut start).await?;
    if &start[..PREFACE.len()] != PREFACE {
        return Err(bad("no HTTP/2 preface after the upgrade"));
    }
    let frame = &start[PREFACE.len()..];
    let len = usize::from(frame[0]) << 16 | usize::from(frame[1]) << 8 | usize::from(frame[2]);
    let (kind, flags) = (frame[3], frame[4]);
    let stream = u32::from_be_bytes([frame[5], frame[6], frame[7], frame[8]]) & 0x7fff_ffff;
    if kind != 0x4 || flags & 0x1 != 0 || stream != 0 || len > MAX_FIRST_SETTINGS {
        return Err(bad("the first frame after the preface is not SETTINGS"));
    }
    let at = start.len();
    start.resize(at + len, 0);
    io.read_exact(&mut start[at..]).await?;
    start.extend_from_slice(&stream_one_headers());
    Ok(start.into())
}

/// A HEADERS frame on stream 1, END_STREAM and END_HEADERS set: `GET /` over http, marked.
fn stream_one_headers() -> Vec<u8> {
    // Static table indices 2 (`:method GET`), 6 (`:scheme http`) and 4 (`:path /`), then the
    // marker as a literal without indexing with a literal name (RFC 7541 §6.2.2).
    let mut block = vec![0x82, 0x86, 0x84, 0x00];
    block.push(UPGRADE_MARKER.len() as u8);
    block.extend_from_slice(UPGRADE_MARKER.as_bytes());
    block.push(1);
    block.push(b'1');
    let len = block.len();
    let mut frame = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, 0x1, 0x1 | 0x4];
    frame.extend_from_slice(&1u32.to_be_bytes());
    frame.extend_from_slice(&block);
    frame
}

/// Counts a connection's streams in progress, so that a connection with none can be closed
/// after the header read timeout, as an HTTP/1 connection is.
#[derive(Debug)]
pub(super) struct Streams(watch::Sender<usize>);

/// One stream in progress; dropped when its answer is ready.
pub(super) struct Open(Arc<Streams>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.0.send_modify(|n| *n -= 1);
    }
}

impl Streams {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(watch::Sender::new(0)))
    }

    pub fn open(self: &Arc<Self>) -> Open {
        self.0.send_modify(|n| *n += 1);
        Open(self.clone())
    }

    /// Resolves once no stream has been in progress for `timeout`. A request whose headers
    /// are still arriving is not a stream yet, so trickled header blocks meet this too.
    pub async fn idle_for(&self, timeout: Duration) {
        let mut rx = self.0.subscribe();
        loop {
            if *rx.borrow_and_update() == 0 {
                tokio::select! {
                    () = tokio::time::sleep(timeout) => return,
                    _ = rx.changed() => {}
                }
            } else if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns the chunks one read at a time.
    struct Chunks(std::collections::VecDeque<Bytes>);

    fn chunks(parts: &[&[u8]]) -> Chunks {
        Chunks(parts.iter().map(|c| Bytes::copy_from_slice(c)).collect())
    }

    impl AsyncRead for Chunks {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if let Some(mut bytes) = self.0.pop_front() {
                let n = bytes.len().min(buf.remaining());
                buf.put_slice(&bytes[..n]);
                bytes.advance(n);
                if !bytes.is_empty() {
                    self.0.push_front(bytes);
                }
            }
            Poll::Ready(Ok(()))
        }
    }

    async fn sniffed(parts: &[&[u8]]) -> Sniffed {
        sniff(&mut chunks(parts)).await.unwrap()
    }

    #[tokio::test]
    async fn the_preface_is_told_apart_from_http1_at_the_first_differing_byte() {
        let Sniffed::Http2(read) = sniffed(&[&PREFACE[..3], &PREFACE[3..]]).await else {
            panic!("the preface in two reads is HTTP/2")
        };
        assert_eq!(&read[..], PREFACE);
        // "POST" differs at its second byte: nothing after it is waited for.
        let Sniffed::Http1(read) = sniffed(&[b"P", b"O", b"ST / HTTP/1.1\r\n"]).await else {
            panic!("POST is HTTP/1")
        };
        assert_eq!(&read[..], b"PO");
        let Sniffed::Http1(read) = sniffed(&[b"PRI * HTTP/1.1\r\n"]).await else {
            panic!("a near miss is HTTP/1")
        };
        assert_eq!(&read[..], b"PRI * HTTP/1.1\r\n", "what one read gave is kept whole");
        let Sniffed::Http1(read) = sniffed(&[b"PRI"]).await else { panic!("EOF is HTTP/1") };
        assert_eq!(&read[..], b"PRI");
    }

    #[tokio::test]
    async fn rewind_replays_before_reading_on() {
        let mut io = Rewind::new(Bytes::from_static(b"abc"), chunks(&[b"def"]));
        let mut all = Vec::new();
        io.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"abcdef");
    }

    #[tokio::test]
    async fn stream_one_follows_the_clients_first_settings() {
        let settings = [0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 0x3, 0, 0, 0, 100];
        let after = b"\0\0\x04\x08\0\0\0\0\0\0\0\xff\xff";
        let mut io = chunks(&[PREFACE, &settings, after]);
        let start = upgraded_start(&mut io).await.unwrap();
        let mut want = PREFACE.to_vec();
        want.extend_from_slice(&settings);
        want.extend_from_slice(&stream_one_headers());
        assert_eq!(&start[..], &want[..], "nothing after the SETTINGS frame is taken");
        let headers = stream_one_headers();
        assert_eq!(usize::from(headers[2]), headers.len() - 9);
        assert_eq!((headers[3], headers[4]), (0x1, 0x5));
        assert_eq!(&headers[5..9], &[0, 0, 0, 1]);

        let mut ack_first = chunks(&[PREFACE, &[0, 0, 0, 0x4, 0x1, 0, 0, 0, 0]]);
        assert!(upgraded_start(&mut ack_first).await.is_err(), "a SETTINGS ack is refused");
        let mut garbage = chunks(&[b"GET / HTTP/1.1\r\nHost: x\r\n\r\n123456"]);
        assert!(upgraded_start(&mut garbage).await.is_err());
    }

    #[test]
    fn only_a_complete_h2c_upgrade_is_taken() {
        let req = |headers: &[(&str, &str)]| {
            let mut b = Request::builder().uri("/");
            for (n, v) in headers {
                b = b.header(*n, *v);
            }
            b.body(()).unwrap()
        };
        let full = [
            ("connection", "Upgrade, HTTP2-Settings"),
            ("upgrade", "h2c"),
            ("http2-settings", "AAMAAABkAAQAoAAAAAIAAAAA"),
        ];
        assert!(wants_upgrade(&req(&full)));
        assert!(!wants_upgrade(&req(&full[1..])), "Connection must list the upgrade");
        assert!(!wants_upgrade(&req(&[full[0], ("upgrade", "websocket"), full[2]])));
        assert!(!wants_upgrade(&req(&full[..2])), "HTTP2-Settings is required");
        assert!(!wants_upgrade(&req(&[full[0], full[1], full[2], full[2]])), "only one");
    }

    #[tokio::test]
    async fn a_connection_is_idle_only_without_streams() {
        let streams = Streams::new();
        let open = streams.open();
        let idle = streams.idle_for(Duration::from_millis(50));
        tokio::pin!(idle);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), &mut idle).await.is_err(),
            "an open stream keeps the connection"
        );
        drop(open);
        tokio::time::timeout(Duration::from_secs(10), idle).await.expect("idle once it closed");
    }
}
