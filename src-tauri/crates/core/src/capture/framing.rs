//! Recovers each request head exactly as it crossed the wire.
//!
//! hyper lower-cases header names and groups duplicates, so the listener reads the same bytes
//! hyper reads through [`Tracker`], which follows HTTP/1.1 message framing (heads,
//! Content-Length and chunked bodies) and queues every head it completes. The handler pops
//! the queue in request order and checks method and target before trusting it.

use std::collections::VecDeque;

/// The most headers a request may carry; hyper is configured with the same limit.
pub const MAX_HEADERS: usize = 512;
/// A head longer than this is not tracked (hyper refuses it too: its buffer is as large).
/// Held per connection while a head arrives, so a thousand slow heads stay in tens of MiB.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// A chunk-size or trailer line longer than this breaks tracking.
const MAX_LINE: usize = 8 * 1024;

/// A request head as sent: method, target and headers with their original bytes and order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHead {
    pub method: String,
    pub target: String,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Debug)]
enum State {
    Head,
    Body(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailers,
    /// Framing was lost (bad input or an upgraded connection); nothing more is tracked.
    Lost,
}

/// Incremental follower of one connection's request stream.
#[derive(Debug)]
pub struct Tracker {
    state: State,
    buf: Vec<u8>,
    heads: VecDeque<RawHead>,
}

impl Default for Tracker {
    fn default() -> Self {
        Self { state: State::Head, buf: Vec::new(), heads: VecDeque::new() }
    }
}

impl Tracker {
    /// The oldest head not yet taken.
    pub fn pop(&mut self) -> Option<RawHead> {
        self.heads.pop_front()
    }

    /// Feeds bytes as they are read from the socket.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            match self.state {
                State::Lost => return,
                State::Body(remaining) => {
                    let n = remaining.min(data.len() as u64);
                    data = &data[n as usize..];
                    self.state =
                        if n == remaining { State::Head } else { State::Body(remaining - n) };
                }
                State::ChunkData(remaining) => {
                    let n = remaining.min(data.len() as u64);
                    data = &data[n as usize..];
                    if n == remaining {
                        self.state = State::ChunkDataEnd;
                    } else {
                        self.state = State::ChunkData(remaining - n);
                    }
                }
                State::Head => data = self.feed_head(data),
                State::ChunkSize | State::ChunkDataEnd | State::Trailers => {
                    data = self.feed_line(data)
                }
            }
        }
    }

    fn feed_head(&mut self, data: &[u8]) -> &'static [u8] {
        // Heads are buffered whole; the unparsed remainder is re-fed from the buffer.
        self.buf.extend_from_slice(data);
        let mut few = [httparse::EMPTY_HEADER; 48];
        let mut many;
        let mut req = httparse::Request::new(&mut few);
        let mut parsed = req.parse(&self.buf);
        if matches!(parsed, Err(httparse::Error::TooManyHeaders)) {
            many = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
            req = httparse::Request::new(&mut many);
            parsed = req.parse(&self.buf);
        }
        match parsed {
            Ok(httparse::Status::Complete(len)) => {
                let head = RawHead {
                    method: req.method.unwrap_or_default().to_owned(),
                    target: req.path.unwrap_or_default().to_owned(),
                    headers: req
                        .headers
                        .iter()
                        .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                        .collect(),
                };
                self.state = body_state(&head);
                self.heads.push_back(head);
                let rest = self.buf.split_off(len);
                self.buf.clear();
                self.feed_owned(rest);
            }
            Ok(httparse::Status::Partial) if self.buf.len() <= MAX_HEAD_BYTES => {}
            _ => self.lose(),
        }
        &[]
    }

    fn feed_owned(&mut self, rest: Vec<u8>) {
        if !rest.is_empty() {
            self.feed(&rest);
        }
    }

    /// Chunk sizes, the CRLF after chunk data, and trailers are line-based.
    fn feed_line<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        let Some(end) = data.iter().position(|&b| b == b'\n') else {
            self.buf.extend_from_slice(data);
            if self.buf.len() > MAX_LINE {
                self.lose();
            }
            return &[];
        };
        self.buf.extend_from_slice(&data[..end]);
        let line = std::mem::take(&mut self.buf);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        self.state = match self.state {
            State::ChunkSize => match parse_chunk_size(line) {
                Some(0) => State::Trailers,
                Some(size) => State::ChunkData(size),
                None => State::Lost,
            },
            State::ChunkDataEnd if line.is_empty() => State::ChunkSize,
            State::Trailers if line.is_empty() => State::Head,
            State::Trailers => State::Trailers,
            _ => State::Lost,
        };
        &data[end + 1..]
    }

    fn lose(&mut self) {
        self.state = State::Lost;
        self.buf = Vec::new();
    }
}

fn body_state(head: &RawHead) -> State {
    fn header<'a>(head: &'a RawHead, name: &'a [u8]) -> impl Iterator<Item = &'a Vec<u8>> {
        head.headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }
    // RFC 9112 §6.3: chunked as the final transfer coding wins over Content-Length.
    if let Some(te) = header(head, b"transfer-encoding").last() {
        let last = te.rsplit(|&b| b == b',').next().unwrap_or_default();
        return if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
            State::ChunkSize
        } else {
            State::Lost
        };
    }
    if head.method.eq_ignore_ascii_case("CONNECT") {
        return State::Lost;
    }
    match header(head, b"content-length").next() {
        Some(v) => match std::str::from_utf8(v).ok().and_then(|s| s.trim().parse::<u64>().ok()) {
            Some(0) => State::Head,
            Some(n) => State::Body(n),
            None => State::Lost,
        },
        None => State::Head,
    }
}

fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let size = line.split(|&b| b == b';').next()?.trim_ascii();
    if size.is_empty() || size.len() > 16 {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(size).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(tracker: &mut Tracker) -> Vec<RawHead> {
        std::iter::from_fn(|| tracker.pop()).collect()
    }

    const TWO_REQUESTS: &[u8] = b"POST /a HTTP/1.1\r\nHost: x\r\nX-Dup: 1\r\ncontent-LENGTH: 5\r\n\
x-dup: 2\r\n\r\nhelloPUT /b?q=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n\
GET /c HTTP/1.1\r\nHost: y\r\n\r\n";

    #[test]
    fn follows_pipelined_requests_in_any_split() {
        for split in 1..TWO_REQUESTS.len() {
            let mut tracker = Tracker::default();
            for piece in TWO_REQUESTS.chunks(split) {
                tracker.feed(piece);
            }
            let got = heads(&mut tracker);
            assert_eq!(got.len(), 3, "split {split}");
            assert_eq!(got[0].target, "/a");
            assert_eq!(
                got[0].headers,
                vec![
                    (b"Host".to_vec(), b"x".to_vec()),
                    (b"X-Dup".to_vec(), b"1".to_vec()),
                    (b"content-LENGTH".to_vec(), b"5".to_vec()),
                    (b"x-dup".to_vec(), b"2".to_vec()),
                ]
            );
            assert_eq!((got[1].method.as_str(), got[1].target.as_str()), ("PUT", "/b?q=1"));
            assert_eq!(got[2].target, "/c");
        }
    }

    #[test]
    fn garbage_stops_tracking_without_panicking() {
        let mut tracker = Tracker::default();
        tracker.feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        tracker.feed(b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(heads(&mut tracker).len(), 1);
        let mut tracker = Tracker::default();
        tracker.feed(b"\x00\x01 not http\r\n\r\n");
        assert!(heads(&mut tracker).is_empty());
    }
}
