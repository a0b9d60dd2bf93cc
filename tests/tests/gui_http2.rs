//! HTTP/2 deliveries in the real desktop app: the protocol shown, and the Headers tab saying
//! why their names are lowercase.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use bytes::Bytes;
use fantoccini::{Client, Locator};
use hookscope_e2e::gui::{click, select, wait_rows, wait_text, with_app};
use hookscope_e2e::{exchange, request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

const NOTE: &str = "lowercase by the protocol";

async fn post_h2(addr: SocketAddr, path: &str) -> anyhow::Result<u64> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let request = hyper::Request::post(format!("http://{addr}{path}"))
        .header("X-Probe", "over h2")
        .body(Full::new(Bytes::from_static(b"{\"via\":\"h2\"}")))?;
    let response = send.send_request(request).await?;
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await?.to_bytes();
    let answer: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(answer["id"].as_u64().unwrap())
}

async fn headers_toolbar(client: &Client) -> anyhow::Result<String> {
    Ok(client.find(Locator::Css(".headers-view .panel-toolbar")).await?.text().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_deliveries_show_their_protocol_and_why_names_are_lowercase() {
    let data = tempfile::tempdir().unwrap();
    with_app(data.path(), "gui-http2", |client, addr| async move {
        let h2 = post_h2(addr, "/flovi/h2").await?;
        wait_rows(&client, |ids| ids == [h2.to_string()], "the HTTP/2 delivery").await;
        select(&client, h2).await;
        wait_text(&client, "[data-testid=detail-protocol]", "HTTP/2.0").await;
        click(&client, "tab-headers").await;
        wait_text(&client, "[data-testid=detail-pane]", "x-probe").await;
        let toolbar = headers_toolbar(&client).await?;
        assert!(toolbar.contains(NOTE), "{toolbar}");

        let mut tcp = std::net::TcpStream::connect(addr)?;
        let raw = request("POST", "/flovi/h1", &[("X-Probe", b"over h1")], b"{}");
        let h1 = exchange(&mut tcp, &raw)?.json()["id"].as_u64().unwrap();
        wait_rows(&client, |ids| ids.len() == 2, "both deliveries").await;
        select(&client, h1).await;
        wait_text(&client, "[data-testid=detail-protocol]", "HTTP/1.1").await;
        click(&client, "tab-headers").await;
        wait_text(&client, "[data-testid=detail-pane]", "X-Probe").await;
        let toolbar = headers_toolbar(&client).await?;
        assert!(!toolbar.contains(NOTE), "no note for HTTP/1: {toolbar}");
        Ok(())
    })
    .await;
}
