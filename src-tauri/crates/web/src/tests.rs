#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use futures::{FutureExt, StreamExt};
use http::Request;
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use tower::ServiceExt;

use super::*;

const TOKEN: &str = "t0ken";

/// Echoes the arguments of `echo`, answers bytes for `bytes`, and knows nothing else.
struct Fake {
    events: std::sync::Mutex<Option<mpsc::Receiver<ServerEvent>>>,
}

impl Backend for Fake {
    fn call(
        &self,
        command: String,
        request: CommandRequest,
    ) -> BoxFuture<'static, Result<Reply, ApiError>> {
        async move {
            match command.as_str() {
                "echo" => Ok(Reply::Json(request.body.to_vec())),
                "import_har" => Ok(Reply::Json(request.body.len().to_string().into_bytes())),
                "bytes" => Ok(Reply::Bytes(vec![0xff, 0x00, 0xfe])),
                other => Err(ApiError::not_found(other)),
            }
        }
        .boxed()
    }

    fn events(&self) -> BoxStream<'static, ServerEvent> {
        let rx = self.events.lock().unwrap().take().unwrap();
        futures::stream::unfold(rx, |mut rx| async { rx.recv().await.map(|e| (e, rx)) }).boxed()
    }
}

fn app(events: Option<mpsc::Receiver<ServerEvent>>) -> Router {
    let fake = Fake { events: std::sync::Mutex::new(events) };
    router(Arc::new(fake), TOKEN.into(), Hosts::new(&["box.lan".into()])).unwrap()
}

fn api(path: &str, body: impl Into<Body>) -> http::request::Builder {
    let _ = body;
    Request::post(path)
        .header("host", "127.0.0.1:8788")
        .header("authorization", format!("Bearer {TOKEN}"))
}

async fn send(router: Router, request: Request<Body>) -> (u16, HeaderMap, Vec<u8>) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

fn code(body: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap();
    value["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_good_call_passes_every_check_and_carries_the_headers() {
    let request = api("/api/echo", "").body(Body::from(r#"{"id":3}"#)).unwrap();
    let (status, headers, body) = send(app(None), request).await;
    assert_eq!(status, 200);
    assert_eq!(body, br#"{"id":3}"#);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["content-security-policy"], csp::policy().unwrap().as_str());
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers.keys().all(|k| !k.as_str().starts_with("access-control-")));
}

#[tokio::test]
async fn missing_or_wrong_tokens_are_401() {
    for auth in
        [None, Some("Bearer nope"), Some("Bearer t0ken2"), Some("t0ken"), Some("Basic t0ken")]
    {
        let mut request = Request::post("/api/echo").header("host", "localhost:1");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let (status, headers, body) = send(app(None), request.body(Body::empty()).unwrap()).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(code(&body), "unauthorized");
        assert!(headers.contains_key("content-security-policy"));
    }
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_403_before_the_token() {
    let cases: [(&str, Option<&str>, Option<&str>); 4] = [
        ("evil.example:8788", None, None),
        ("127.0.0.1:8788", Some("http://evil.example"), None),
        ("127.0.0.1:8788", Some("http://127.0.0.1:9999"), None),
        ("127.0.0.1:8788", None, Some("cross-site")),
    ];
    for (host, origin, site) in cases {
        let mut request = Request::post("/api/echo")
            .header("host", host)
            .header("authorization", format!("Bearer {TOKEN}"));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        let (status, _, body) = send(app(None), request.body(Body::empty()).unwrap()).await;
        assert_eq!((status, code(&body).as_str()), (403, "forbidden"), "{host} {origin:?}");
    }
    let same = api("/api/echo", "")
        .header("origin", "http://127.0.0.1:8788")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(send(app(None), same).await.0, 200);
    // Pages need no token, but the Host check still applies.
    let page = Request::get("/").header("host", "evil.example").body(Body::empty()).unwrap();
    assert_eq!(send(app(None), page).await.0, 403);
    let page = Request::get("/").header("host", "box.lan:8788").body(Body::empty()).unwrap();
    let (status, headers, _) = send(app(None), page).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(!headers.contains_key("cache-control"));
}

#[tokio::test]
async fn unknown_commands_and_paths_are_404() {
    let (status, _, body) =
        send(app(None), api("/api/nope", "").body(Body::from("{}")).unwrap()).await;
    assert_eq!((status, code(&body).as_str()), (404, "not_found"));
    let get = Request::get("/api/echo")
        .header("host", "127.0.0.1")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(app(None), get).await;
    assert_eq!((status, code(&body).as_str()), (404, "not_found"));
    let page = Request::get("/missing").header("host", "127.0.0.1").body(Body::empty()).unwrap();
    let (status, headers, body) = send(app(None), page).await;
    assert_eq!(status, 404);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(body, b"not found\n");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_declared_or_streamed() {
    let big = vec![b' '; BODY_LIMIT + 1];
    let (status, _, body) =
        send(app(None), api("/api/echo", "").body(Body::from(big.clone())).unwrap()).await;
    assert_eq!((status, code(&body).as_str()), (413, "too_large"));
    // No Content-Length: the limit holds while reading.
    let chunks = futures::stream::iter(
        big.chunks(64 * 1024)
            .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    let request = api("/api/echo", "").body(Body::from_stream(chunks)).unwrap();
    let (status, _, body) = send(app(None), request).await;
    assert_eq!((status, code(&body).as_str()), (413, "too_large"));
    // A HAR may be larger.
    let request = api("/api/import_har?name=a.har", "").body(Body::from(big)).unwrap();
    let (status, _, body) = send(app(None), request).await;
    assert_eq!((status, body), (200, (BODY_LIMIT + 1).to_string().into_bytes()));
}

#[tokio::test]
async fn bytes_replies_are_octet_streams() {
    let (status, headers, body) =
        send(app(None), api("/api/bytes", "").body(Body::empty()).unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(body, [0xff, 0x00, 0xfe]);
}

#[tokio::test]
async fn events_start_with_ready_and_carry_name_and_payload() {
    let (tx, rx) = mpsc::channel(4);
    let request = Request::get("/api/events")
        .header("host", "127.0.0.1:1")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let response = app(Some(rx)).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let mut body = response.into_body().into_data_stream();
    let first = body.next().await.unwrap().unwrap();
    assert_eq!(&first[..], b": ready\n\n");
    tx.send(ServerEvent { name: "deliveries:batch".into(), data: serde_json::json!([{"id": 1}]) })
        .await
        .unwrap();
    let next = body.next().await.unwrap().unwrap();
    assert_eq!(
        std::str::from_utf8(&next).unwrap(),
        "event: deliveries:batch\ndata: [{\"id\":1}]\n\n"
    );
    drop(tx);
    assert!(body.next().await.is_none());
}

#[tokio::test]
async fn events_refuse_without_the_token() {
    let request =
        Request::get("/api/events").header("host", "127.0.0.1:1").body(Body::empty()).unwrap();
    let (status, _, body) = send(app(None), request).await;
    assert_eq!((status, code(&body).as_str()), (401, "unauthorized"));
}

#[tokio::test]
async fn the_url_names_loopback_for_wildcard_binds() {
    let fake = Fake { events: std::sync::Mutex::new(None) };
    let config = UiConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        token: Some("abc".into()),
        allowed_hosts: vec![],
    };
    let server = bind_backend(config, Arc::new(fake)).await.unwrap();
    let port = server.local_addr().port();
    assert_eq!(server.url(), format!("http://127.0.0.1:{port}/#token=abc"));
    let fake = Fake { events: std::sync::Mutex::new(None) };
    let config = UiConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        token: Some("two words".into()),
        allowed_hosts: vec![],
    };
    assert!(matches!(bind_backend(config, Arc::new(fake)).await, Err(UiError::BadToken)));
}
