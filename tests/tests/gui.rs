//! The real desktop app driven through WebDriver: tauri-driver in front of WebKitWebDriver,
//! under the X display the test command provides (xvfb-run).

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use fantoccini::{Client, Locator};
use hookscope_e2e::gui::{TIMEOUT, click, select, wait_rows, wait_text, with_app};
use hookscope_e2e::{cli_with_env, exchange, fleiko_headers, request};
use tokio::time::sleep;

fn post(addr: SocketAddr, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> u64 {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let response = exchange(&mut stream, &request("POST", path, headers, body)).unwrap();
    assert_eq!(response.status, 200);
    response.json()["id"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_shows_live_deliveries_safely() {
    let data = tempfile::tempdir().unwrap();
    with_app(data.path(), "gui-inspector", |client, addr| async move {
        run_inspector_checks(&client, addr).await
    })
    .await;
}

async fn run_inspector_checks(client: &Client, addr: SocketAddr) -> anyhow::Result<()> {
    let base = format!("http://{addr}");
    wait_text(client, "[data-testid=base-url]", &base).await;
    wait_text(client, "[data-testid=empty-state]", &format!("{base}/")).await;

    // A JSON delivery arrives live and shows its headers and body.
    let json = post(
        addr,
        "/fleiko/hooks?source=e2e",
        &[("Content-Type", b"application/json"), ("X-Fleiko-Delivery", b"dlv_e2e_1")],
        br#"{"id":"evt_e2e_1","type":"job.completed","data":{"job_id":"job_77"}}"#,
    );
    wait_rows(client, |ids| ids == [json.to_string()], "the JSON delivery").await;
    select(client, json).await;
    click(client, "tab-headers").await;
    wait_text(client, "[data-testid=detail-pane]", "dlv_e2e_1").await;
    let names = client.find_all(Locator::Css("[data-testid=header-name]")).await?;
    let mut header_names = Vec::new();
    for n in names {
        header_names.push(n.text().await?);
    }
    assert!(header_names.iter().any(|n| n == "X-Fleiko-Delivery"), "{header_names:?}");
    click(client, "tab-body").await;
    wait_text(client, "[data-testid=body-pretty]", "job_77").await;

    // A binary body opens in the hex view.
    let binary = post(
        addr,
        "/flovi/bin",
        &[("Content-Type", b"application/octet-stream")],
        &[0x00, 0xff, 0x10, 0x80, 0x7f, 0x41, 0x42, 0x43],
    );
    wait_rows(client, |ids| ids.len() == 2, "two rows").await;
    select(client, binary).await;
    click(client, "tab-body").await;
    wait_text(client, "[data-testid=body-hex]", "00 ff 10 80").await;

    // Hostile text in path, headers and body is shown as text and runs nothing.
    let evil = r#"<img src=x onerror="window.__pwned=1;document.title='pwned'"><script>window.__pwned=2</script><a href="javascript:window.__pwned=3">click</a>"#;
    let hostile = post(
        addr,
        "/fleiko/%3Cimg%20src=x%20onerror=window.__pwned=4%3E",
        &[("X-Evil", evil.as_bytes())],
        evil.as_bytes(),
    );
    wait_rows(client, |ids| ids.len() == 3, "three rows").await;
    select(client, hostile).await;
    click(client, "tab-body").await;
    click(client, "body-view-raw").await;
    wait_text(client, "[data-testid=body-raw]", "<script>window.__pwned=2</script>").await;
    click(client, "tab-headers").await;
    wait_text(client, "[data-testid=detail-pane]", "onerror=\"window.__pwned=1").await;
    let links = client.find_all(Locator::Css("a[href^='javascript:']")).await?;
    assert!(links.is_empty(), "a javascript: link was rendered");
    let injected =
        client.find_all(Locator::Css("img[src=x], [data-testid=detail-pane] script")).await?;
    assert!(injected.is_empty(), "payload markup became elements");
    let pwned = client
        .execute("return window.__pwned === undefined ? null : window.__pwned;", vec![])
        .await?;
    assert_eq!(pwned, serde_json::Value::Null, "payload script ran");
    assert_eq!(client.title().await?, "Hookscope");

    // Search narrows the list; clearing it brings everything back.
    let search = client.find(Locator::Css("[data-testid=search-input]")).await?;
    search.send_keys("evt_e2e_1").await?;
    wait_rows(client, |ids| ids == [json.to_string()], "only the matching delivery").await;
    search.clear().await?;
    search.send_keys("\u{E00C}").await?; // Escape
    wait_rows(client, |ids| ids.len() == 3, "all rows again").await;

    // The answer Hookscope gave is shown as it went out.
    select(client, json).await;
    click(client, "tab-response").await;
    wait_text(client, "[data-testid=response-status]", "200 OK").await;
    let given = "[data-testid=response-given-section]";
    wait_text(client, given, "Hookscope's default answer").await;
    wait_text(client, given, "content-type").await;
    wait_text(client, given, "application/json").await;
    click(client, "body-view-raw").await;
    let answer = format!(r#"{{"captured":true,"id":{json}}}"#);
    wait_text(client, "[data-testid=response-body]", &answer).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_show_valid_and_invalid_with_their_reason() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let out = cli_with_env(
        &["endpoint", "set-secrets", "fleiko", "--data-dir", dir, "--secret-env", "S"],
        &[("S", "whsec_gui_secret_value")],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    with_app(data.path(), "gui-signature", |client, addr| async move {
        run_signature_checks(&client, addr).await
    })
    .await;
}

fn post_signed(addr: SocketAddr, headers: &[(String, String)], body: &str) -> u64 {
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    post(addr, "/fleiko", &headers, body.as_bytes())
}

async fn badge_status(client: &Client, id: u64) -> String {
    let css = format!("[data-testid=delivery-row][data-id='{id}'] [data-testid=signature-badge]");
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        if let Ok(badge) = client.find(Locator::Css(&css)).await
            && let Ok(Some(status)) = badge.attr("data-status").await
        {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "no signature badge on row {id}");
        sleep(Duration::from_millis(100)).await;
    }
}

async fn run_signature_checks(client: &Client, addr: SocketAddr) -> anyhow::Result<()> {
    wait_text(client, "[data-testid=base-url]", &format!("http://{addr}")).await;
    let body = r#"{"id":"evt_gui_1","type":"job.completed","created":1700000000,"company_id":"co_9","api_version":"2024-01-01","data":{"job_id":"job_77"}}"#;
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let signed = fleiko_headers("whsec_gui_secret_value", t, body, "dlv_gui_1", 1);
    let valid = post_signed(addr, &signed, body);
    let tampered_headers = fleiko_headers("whsec_gui_secret_value", t, body, "dlv_gui_2", 1);
    let tampered = post_signed(addr, &tampered_headers, &format!("{body}\n"));

    assert_eq!(badge_status(client, valid).await, "valid");
    assert_eq!(badge_status(client, tampered).await, "invalid");
    let event = client
        .find(Locator::Css(&format!(
            "[data-testid=delivery-row][data-id='{valid}'] [data-testid=event-type]"
        )))
        .await?
        .prop("textContent")
        .await?
        .unwrap_or_default();
    // The namespace may be squeezed out of sight in a narrow column; the text is all there.
    assert_eq!(event, "job.completed");

    select(client, valid).await;
    click(client, "tab-overview").await;
    wait_text(client, "[data-testid=overview-pane]", "job_77").await;

    select(client, tampered).await;
    click(client, "tab-signature").await;
    wait_text(client, "[data-testid=signature-status]", "invalid").await;
    let why = wait_text(client, "[data-testid=signature-explanation]", "newline").await;
    assert!(why.to_lowercase().contains("newline"), "{why}");

    // The endpoint's settings show the secret masked, and where the key is kept.
    // The fleiko endpoint is the third one created on first run.
    let gear = "[data-testid=endpoint-settings-button][data-endpoint-id='3']";
    client.find(Locator::Css(gear)).await?.click().await?;
    wait_text(client, "[data-testid=key-source]", "key").await;
    let secrets = client.find_all(Locator::Css("[data-testid=secret-row]")).await?;
    assert_eq!(secrets.len(), 1);
    let page = client.source().await?;
    assert!(!page.contains("whsec_gui_secret_value"), "a secret reached the page unasked");
    Ok(())
}
