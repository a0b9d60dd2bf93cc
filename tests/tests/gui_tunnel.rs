//! The public tunnel in the real app: start an external and a bore tunnel from the top bar,
//! see the status and public URLs, copy them, see deliveries marked, and get the tunnel back
//! after a restart.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use hookscope_e2e::bore::BoreServer;
use hookscope_e2e::gui::{TIMEOUT, click, fill, wait_text, with_app};
use hookscope_e2e::{exchange, request};
use tokio::time::sleep;

const EXTERNAL: &str = "https://hooks.example.test";

/// The X clipboard's text, when `xclip` is there to read it.
fn clipboard() -> Option<String> {
    let out = std::process::Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Texts of every element matching `css`.
async fn texts(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for el in client.find_all(Locator::Css(css)).await.unwrap_or_default() {
        out.push(el.text().await.unwrap_or_default());
    }
    out
}

/// Clicks the `index`th copy button matching `css`, checks it says "Copied", and (with xclip)
/// that the clipboard holds `want`.
async fn copy_and_check(
    client: &Client,
    css: &str,
    index: usize,
    want: &str,
) -> anyhow::Result<()> {
    let buttons = client.find_all(Locator::Css(css)).await?;
    let button = buttons.get(index).ok_or_else(|| anyhow::anyhow!("no {css} #{index}"))?;
    anyhow::ensure!(button.is_displayed().await?, "{css} is hidden");
    anyhow::ensure!(button.is_enabled().await?, "{css} is disabled");
    button.click().await?;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let class = button.attr("class").await?.unwrap_or_default();
        if class.contains("copied") {
            break;
        }
        anyhow::ensure!(!class.contains("failed"), "{css}: the copy failed");
        anyhow::ensure!(Instant::now() < deadline, "{css} never said Copied ({class})");
        sleep(Duration::from_millis(100)).await;
    }
    if let Some(text) = clipboard() {
        anyhow::ensure!(text == want, "clipboard holds {text:?}, not {want:?}");
    }
    Ok(())
}

/// Waits until the DOM text of `css` contains `want` (textContent: the list's ellipsised
/// columns count as hidden to WebDriver's visible-text rule), and returns it.
async fn wait_dom_text(client: &Client, css: &str, want: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let got = client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
                vec![css.into()],
            )
            .await?;
        let text = got.as_str().unwrap_or_default().to_owned();
        if text.contains(want) {
            return Ok(text);
        }
        anyhow::ensure!(Instant::now() < deadline, "{css} never showed {want:?}: {text:?}");
        sleep(Duration::from_millis(100)).await;
    }
}

fn post(addr: &str, path: &str, body: &str) -> u64 {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let raw = request("POST", path, &[("Content-Type", b"application/json")], body.as_bytes());
    let response = exchange(&mut stream, &raw).unwrap();
    assert_eq!(response.status, 200);
    response.json()["id"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tunnel_status_and_public_urls_are_shown_copied_and_restored() {
    let data = tempfile::tempdir().unwrap();
    with_app(data.path(), "gui-tunnel-external", |client, _addr| async move {
        external_checks(&client).await
    })
    .await;
    // The tunnel last started comes back with the app.
    with_app(data.path(), "gui-tunnel-restored", |client, _addr| async move {
        wait_text(&client, "[data-testid=tunnel-status]", "external: online").await;
        wait_text(&client, "[data-testid=tunnel-url]", EXTERNAL).await;
        Ok(())
    })
    .await;
}

async fn external_checks(client: &Client) -> anyhow::Result<()> {
    wait_text(client, "[data-testid=tunnel-status]", "No public URL").await;
    wait_text(client, "[data-testid=public-urls]", "Start a tunnel").await;

    click(client, "tunnel-button").await;
    // ngrok without an authtoken cannot start, and says what is missing.
    click(client, "tunnel-kind-ngrok").await;
    click(client, "tunnel-start").await;
    wait_text(client, "[data-testid=tunnel-form-error]", "no ngrok authtoken").await;
    // With one (stored sealed, never shown again) it tries, and the top bar says why it failed:
    // no network here, or the token rejected where there is one.
    fill(client, "tunnel-ngrok-token", "2bad-token-for-tests").await?;
    click(client, "tunnel-start").await;
    wait_text(client, "[data-testid=tunnel-status]", "ngrok: error").await;
    let reason = wait_dom_text(client, "[data-testid=tunnel-error]", "ngrok").await?;
    anyhow::ensure!(
        reason.contains("no network") || reason.contains("rejected the authtoken"),
        "{reason}"
    );
    wait_text(client, "[data-testid=tunnel-panel]", "stored").await;
    let page = client.source().await?;
    anyhow::ensure!(!page.contains("2bad-token-for-tests"), "the authtoken is never shown again");

    click(client, "tunnel-kind-external").await;
    // An invalid URL is refused with the reason, and nothing starts.
    fill(client, "tunnel-external-url", "hooks.example.test").await?;
    click(client, "tunnel-start").await;
    wait_text(client, "[data-testid=tunnel-form-error]", "invalid public URL").await;
    wait_text(client, "[data-testid=tunnel-status]", "ngrok: error").await;

    fill(client, "tunnel-external-url", &format!("{EXTERNAL}/")).await?;
    click(client, "tunnel-start").await;
    wait_text(client, "[data-testid=tunnel-status]", "external: online").await;
    wait_text(client, "[data-testid=tunnel-url]", EXTERNAL).await;
    copy_and_check(client, "[data-testid=tunnel-url-copy]", 0, EXTERNAL).await?;

    // Each endpoint's public URL, with where to paste it.
    wait_text(client, "[data-testid=public-urls]", &format!("{EXTERNAL}/fleiko")).await;
    let urls = texts(client, "[data-testid=public-endpoint-url]").await;
    for want in ["flovi", "flowella", "fleiko"] {
        anyhow::ensure!(urls.contains(&format!("{EXTERNAL}/{want}")), "{urls:?}");
    }
    let hints = texts(client, "[data-testid=paste-hint]").await;
    for want in ["Flovi", "Flowella", "Fleiko"] {
        let hint = format!("Paste this into {want} settings");
        anyhow::ensure!(hints.contains(&hint), "{hints:?}");
    }
    let fleiko = urls.iter().position(|u| u.ends_with("/fleiko")).unwrap();
    let copy = "[data-testid=public-url-copy]";
    copy_and_check(client, copy, fleiko, &format!("{EXTERNAL}/fleiko")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bore_tunnel_status_errors_and_marked_deliveries() {
    // bore's control port is fixed: other tests (of another test run on this machine too) wait.
    let _port = hookscope_e2e::bore::exclusive();
    let data = tempfile::tempdir().unwrap();
    let server = BoreServer::start();
    with_app(data.path(), "gui-tunnel-bore", |client, addr| async move {
        bore_checks(&client, addr, server).await
    })
    .await;
}

async fn bore_checks(client: &Client, addr: SocketAddr, server: BoreServer) -> anyhow::Result<()> {
    click(client, "tunnel-button").await;
    click(client, "tunnel-kind-bore").await;
    fill(client, "tunnel-bore-server", "127.0.0.1").await?;
    wait_text(client, "[data-testid=tunnel-panel]", "need ngrok or an external tunnel").await;
    click(client, "tunnel-start").await;
    wait_text(client, "[data-testid=tunnel-status]", "bore: online").await;
    let public = wait_text(client, "[data-testid=tunnel-url]", "http://127.0.0.1:").await;
    wait_text(client, "[data-testid=public-urls]", "need ngrok or an external tunnel").await;
    // Close the panel: it covers part of the list.
    click(client, "tunnel-button").await;

    // A delivery through the tunnel is marked in the list and the detail pane.
    let through = post(public.trim_start_matches("http://"), "/fleiko/via", r#"{"via":"bore"}"#);
    let direct = post(&addr.to_string(), "/fleiko/direct", r#"{"via":null}"#);
    let row = format!("[data-testid=delivery-row][data-id='{through}']");
    wait_dom_text(client, &row, "via bore").await?;
    let plain = format!("[data-testid=delivery-row][data-id='{direct}']");
    let text = wait_dom_text(client, &plain, "/fleiko/direct").await?;
    anyhow::ensure!(!text.contains("via bore"), "a direct delivery is not marked: {text}");
    client.find(Locator::Css(&row)).await?.click().await?;
    wait_text(client, "[data-testid=via-tunnel]", "bore tunnel").await;

    // The server goes away: the top bar says so.
    tokio::task::spawn_blocking(move || server.stop()).await?;
    wait_text(client, "[data-testid=tunnel-status]", "bore: error").await;
    wait_dom_text(client, "[data-testid=tunnel-error]", "unreachable").await?;
    wait_dom_text(client, "[data-testid=tunnel-error]", "retrying in").await?;
    Ok(())
}
