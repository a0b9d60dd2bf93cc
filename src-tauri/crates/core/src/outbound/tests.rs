use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::*;
use crate::store::{StoreOptions, outbound::OutboundFilter};

/// A one-shot server: reads one request head and body, hands them over, answers `reply`
/// (or, with `None`, closes without answering).
async fn server(reply: Option<Vec<u8>>) -> (String, oneshot::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&seen[..end]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                if seen.len() >= end + 4 + length {
                    break;
                }
            }
        }
        let _ = tx.send(seen);
        if let Some(reply) = reply {
            socket.write_all(&reply).await.unwrap();
        }
    });
    (format!("http://{addr}"), rx)
}

fn request(url: String) -> OutboundRequest {
    OutboundRequest {
        method: "POST".into(),
        url,
        headers: vec![
            ("Host".into(), b"provider.example".to_vec()),
            ("Content-Type".into(), b"application/json".to_vec()),
            ("X-Fleiko-Signature".into(), b"t=1,v1=ab".to_vec()),
            ("Content-Length".into(), b"999".to_vec()),
            ("X-Dup".into(), b"one".to_vec()),
            ("X-Dup".into(), b"two".to_vec()),
        ],
        body: br#"{"id":"evt_1"}"#.to_vec(),
    }
}

#[tokio::test]
async fn sends_headers_in_order_recomputes_hop_by_hop_and_keeps_the_answer() {
    let (url, seen) = server(Some(
        b"HTTP/1.1 201 Created\r\nX-Handler: yes\r\nContent-Length: 2\r\n\r\nok".to_vec(),
    ))
    .await;
    let response = send(&request(format!("{url}/hooks?x=1")), SendOptions::default()).await;
    assert!(response.error.is_none(), "{:?}", response.error);
    assert_eq!(response.status, Some(201));
    assert!(response.is_success());
    assert_eq!(response.body, b"ok");
    assert!(!response.truncated);
    assert!(response.headers.iter().any(|(n, v)| n == "x-handler" && v == b"yes"));
    let seen = String::from_utf8(seen.await.unwrap()).unwrap();
    assert!(seen.starts_with("POST /hooks?x=1 HTTP/1.1\r\n"), "{seen}");
    assert!(seen.contains("X-Fleiko-Signature: t=1,v1=ab\r\n"), "{seen}");
    assert!(seen.contains("Content-Length: 14\r\n"), "recomputed: {seen}");
    assert!(!seen.contains("provider.example"), "host recomputed: {seen}");
    let one = seen.find("X-Dup: one").unwrap();
    let two = seen.find("X-Dup: two").unwrap();
    assert!(one < two, "duplicates kept in order: {seen}");
    assert!(seen.ends_with(r#"{"id":"evt_1"}"#));
}

#[tokio::test]
async fn redirects_are_results_not_followed() {
    let (url, _seen) = server(Some(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    ))
    .await;
    let response = send(&request(url), SendOptions::default()).await;
    assert_eq!(response.status, Some(302));
    assert!(response.error.is_none());
    assert!(!response.is_success());
}

#[tokio::test]
async fn long_answers_are_capped_and_flagged() {
    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec();
    reply.extend(std::iter::repeat_n(b'x', 100));
    let (url, _seen) = server(Some(reply)).await;
    let options = SendOptions { max_response_body: 10, ..SendOptions::default() };
    let response = send(&request(url), options).await;
    assert_eq!(response.body.len(), 10);
    assert!(response.truncated);
}

#[tokio::test]
async fn dead_port_means_nothing_is_listening() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let response =
        send(&request(format!("http://127.0.0.1:{port}/")), SendOptions::default()).await;
    let error = response.error.unwrap();
    assert!(matches!(error, TransportError::Refused { .. }), "{error:?}");
    assert!(error.to_string().contains("nothing is listening"), "{error}");
    assert!(error.to_string().contains(&format!("127.0.0.1:{port}")), "{error}");
    assert_eq!(response.status, None);
}

#[tokio::test]
async fn a_silent_target_times_out_after_the_configured_time() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let options = SendOptions { timeout: Duration::from_millis(300), ..SendOptions::default() };
    let response = send(&request(format!("http://{addr}/")), options).await;
    holder.abort();
    let error = response.error.unwrap();
    assert!(matches!(error, TransportError::Timeout { .. }), "{error:?}");
    assert!(error.to_string().contains("within 0.3 s (timed out)"), "{error}");
    assert!(response.duration < Duration::from_secs(5));
}

#[tokio::test]
async fn a_target_hanging_up_is_closed_early() {
    let (url, _seen) = server(None).await;
    let response = send(&request(url), SendOptions::default()).await;
    let error = response.error.unwrap();
    assert!(matches!(error, TransportError::Closed { .. }), "{error:?}");
    assert!(error.to_string().contains("closed the connection"), "{error}");
}

#[tokio::test]
async fn bad_targets_are_refused_before_sending() {
    for (url, why) in [
        ("localhost:3000/x", "http:// or https://"),
        ("not a url", "is not a URL"),
        ("ftp://example.com/", "http:// or https://"),
    ] {
        let response = send(&request(url.into()), SendOptions::default()).await;
        let error = response.error.unwrap();
        assert!(matches!(error, TransportError::Invalid(_)), "{url}: {error:?}");
        assert!(error.to_string().contains(why), "{url}: {error}");
    }
    let mut bad = request("http://127.0.0.1:1/".into());
    bad.headers.push(("X-Evil".into(), b"a\r\nInjected: yes".to_vec()));
    let error = send(&bad, SendOptions::default()).await.error.unwrap();
    assert!(matches!(error, TransportError::Invalid(_)), "{error:?}");
}

#[tokio::test]
async fn exchanges_are_recorded_and_listed_by_source_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let (url, _seen) =
        server(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfine!".to_vec())).await;
    let context = RecordContext {
        delivery_id: None,
        options: Some(serde_json::json!({"resign": true})),
        sent_event_id: Some("evt_new".into()),
    };
    let (id, response) = send_and_record(
        &store,
        OutboundKind::Replay,
        &context,
        &request(url.clone()),
        SendOptions::default(),
    )
    .await
    .unwrap();
    assert!(response.is_success());
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (failed, _) = send_and_record(
        &store,
        OutboundKind::Sample,
        &RecordContext::default(),
        &request(format!("http://127.0.0.1:{port}/")),
        SendOptions::default(),
    )
    .await
    .unwrap();

    let all = store.read(|c| db::list(c, &OutboundFilter::default())).unwrap();
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), [failed, id], "newest first");
    let ok = store.read(|c| db::get(c, id)).unwrap().unwrap();
    assert_eq!(ok.kind, OutboundKind::Replay);
    assert_eq!(ok.status, Some(200));
    assert_eq!(ok.method, "POST");
    assert_eq!(ok.url, url);
    assert_eq!(ok.request_body_size, 14);
    assert_eq!(ok.response_body_size, 5);
    assert!(ok.request_headers.iter().all(|(n, _)| !is_hop_by_hop(n)));
    assert!(ok.request_headers.contains(&("X-Fleiko-Signature".into(), "t=1,v1=ab".into())));
    assert_eq!(ok.options, Some(serde_json::json!({"resign": true})));
    assert_eq!(ok.sent_event_id.as_deref(), Some("evt_new"));
    let (req_body, resp_body) = store.read(|c| db::bodies(c, id)).unwrap().unwrap();
    assert_eq!(req_body, br#"{"id":"evt_1"}"#);
    assert_eq!(resp_body, b"fine!");
    let bad = store.read(|c| db::get(c, failed)).unwrap().unwrap();
    assert_eq!(bad.kind, OutboundKind::Sample);
    assert_eq!(bad.status, None);
    assert!(bad.error.unwrap().contains("nothing is listening"));
    let samples = store
        .read(|c| {
            db::list(c, &OutboundFilter { kind: Some(OutboundKind::Sample), ..Default::default() })
        })
        .unwrap();
    assert_eq!(samples.len(), 1);
}

#[test]
fn replay_targets_are_remembered_per_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    let fleiko = store.endpoints().unwrap().into_iter().find(|e| e.name == "fleiko").unwrap();
    assert_eq!(store.read(|c| db::replay_target(c, fleiko.id)).unwrap(), None);
    store.write(|c| db::set_replay_target(c, fleiko.id, Some("http://localhost:3000/wh"))).unwrap();
    assert_eq!(
        store.read(|c| db::replay_target(c, fleiko.id)).unwrap().as_deref(),
        Some("http://localhost:3000/wh")
    );
    assert!(store.write(|c| db::set_replay_target(c, 9999, None)).is_err());
}
