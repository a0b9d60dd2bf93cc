//! Hookscope in a browser: `hookscope-cli serve --ui` driven in a real headless Chromium through
//! chromedriver. The page is the desktop's React app on the HTTP backend, so the flows and
//! selectors are the desktop GUI tests'.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use fantoccini::{Client, Locator};
use hookscope_e2e::browser::{
    Open, Page, TIMEOUT, click, exists, fill, page_text, rows, save_screenshot, select, wait_badge,
    wait_exact, wait_rows, wait_text, with_browser, with_browser_opening,
};
use hookscope_e2e::{exchange, fleiko_headers, hmac_hex, request, set_secret};
use tokio::time::sleep;

const SECRET: &str = "whsec_browser_e2e_secret";

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// POSTs to the capture listener and returns the new delivery's id.
fn post(addr: SocketAddr, path: &str, headers: &[(&str, &[u8])], body: &[u8]) -> u64 {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let response = exchange(&mut stream, &request("POST", path, headers, body)).unwrap();
    assert_eq!(response.status, 200, "{:?}", String::from_utf8_lossy(&response.body));
    response.json()["id"].as_u64().unwrap()
}

/// POSTs a Fleiko delivery with `headers` as [`fleiko_headers`] makes them.
fn post_fleiko(addr: SocketAddr, headers: &[(String, String)], body: &str) -> u64 {
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    post(addr, "/fleiko", &headers, body.as_bytes())
}

/// Clicks the checkbox `testid` until it is ticked: it stays disabled until the delivery's
/// secrets are known.
async fn tick(client: &Client, testid: &str) -> anyhow::Result<()> {
    let css = format!("[data-testid={testid}]");
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        if let Ok(el) = client.find(Locator::Css(&css)).await {
            if el.prop("checked").await?.as_deref() == Some("true") {
                return Ok(());
            }
            if el.is_enabled().await? {
                el.click().await?;
            }
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "{css} never got ticked");
        sleep(Duration::from_millis(100)).await;
    }
}

/// The texts of every element matching `css`.
async fn texts(client: &Client, css: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for el in client.find_all(Locator::Css(css)).await? {
        out.push(el.text().await?);
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_deliveries_tabs_search_and_signatures_in_the_browser() {
    let data = tempfile::tempdir().unwrap();
    set_secret(data.path(), "fleiko", SECRET);
    with_browser(data.path(), "browser-inspector", |client, page| async move {
        inspector_checks(&client, &page).await
    })
    .await;
}

async fn inspector_checks(client: &Client, page: &Page) -> anyhow::Result<()> {
    let addr = page.capture;
    // The token left the address bar (and so the history) once the page had it.
    let url = client.current_url().await?;
    anyhow::ensure!(!url.as_str().contains("token="), "the token stayed in the URL: {url}");
    wait_text(client, "[data-testid=empty-state]", &format!("http://{addr}/")).await;
    save_screenshot(client, "browser-empty").await?;
    // Set on this document only: still there later means the rows came without a reload.
    client.execute("window.__hookscopeSamePage = 1;", vec![]).await?;

    // A signed delivery sent after the page loaded shows up live, and verifies.
    let body = r#"{"id":"evt_browser_1","type":"job.completed","created":1700000000,"company_id":"co_9","api_version":"2024-01-01","data":{"job_id":"job_77"}}"#;
    let t = now();
    let valid = post_fleiko(addr, &fleiko_headers(SECRET, t, body, "dlv_browser_1", 1), body);
    wait_rows(client, |ids| ids == [valid.to_string()], "the live delivery").await;
    let same = client.execute("return window.__hookscopeSamePage === 1;", vec![]).await?;
    anyhow::ensure!(same == serde_json::Value::Bool(true), "the page reloaded to show the row");
    wait_badge(client, valid, "valid").await;

    // Headers, body (pretty, raw, hex).
    select(client, valid).await;
    click(client, "tab-headers").await;
    wait_text(client, "[data-testid=detail-pane]", "dlv_browser_1").await;
    let names = texts(client, "[data-testid=header-name]").await?;
    anyhow::ensure!(names.iter().any(|n| n == "X-Fleiko-Delivery"), "{names:?}");
    click(client, "tab-body").await;
    wait_text(client, "[data-testid=body-pretty]", "job_77").await;
    click(client, "body-view-raw").await;
    wait_text(client, "[data-testid=body-raw]", r#""job_id":"job_77""#).await;
    click(client, "body-view-hex").await;
    // `{"id":` is 7b 22 69 64 22 3a.
    wait_text(client, "[data-testid=body-hex]", "7b 22 69 64 22 3a").await;
    save_screenshot(client, "browser-hex").await?;

    // A binary body opens in the hex view by itself.
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

    // The same signature over a body with one more newline: invalid, and the reason says so.
    let tampered_headers = fleiko_headers(SECRET, t, body, "dlv_browser_2", 1);
    let tampered = post_fleiko(addr, &tampered_headers, &format!("{body}\n"));
    wait_rows(client, |ids| ids.len() == 3, "three rows").await;
    wait_badge(client, tampered, "invalid").await;
    select(client, tampered).await;
    click(client, "tab-signature").await;
    wait_exact(client, "[data-testid=signature-status]", "invalid").await;
    let why = wait_text(client, "[data-testid=signature-explanation]", "newline").await;
    anyhow::ensure!(why.to_lowercase().contains("newline"), "{why}");
    save_screenshot(client, "browser-signature-invalid").await?;

    // Search narrows the list (the server's search, over HTTP); clearing it brings all back.
    let search = client.find(Locator::Css("[data-testid=search-input]")).await?;
    search.send_keys("evt_browser_1").await?;
    wait_rows(
        client,
        |ids| ids.len() == 2 && !ids.contains(&binary.to_string()),
        "only the two deliveries holding evt_browser_1",
    )
    .await;
    search.clear().await?;
    search.send_keys("\u{E00C}").await?; // Escape
    wait_rows(client, |ids| ids.len() == 3, "all rows again").await;
    let same = client.execute("return window.__hookscopeSamePage === 1;", vec![]).await?;
    anyhow::ensure!(same == serde_json::Value::Bool(true), "the page reloaded");
    Ok(())
}

/// What the replay target received.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A small HTTP server standing in for the user's handler: records every request, answers 200.
struct Target {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Target {
    async fn start() -> Self {
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let record = seen.clone();
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let record = record.clone();
            async move {
                let path = uri.path().to_owned();
                record.lock().unwrap().push(Received { path, headers, body });
                "received"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, seen, task }
    }

    async fn wait_for_one(&self) -> Received {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(first) = self.seen.lock().unwrap().first().cloned() {
                return first;
            }
            assert!(std::time::Instant::now() < deadline, "the target never got the replay");
            sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_re_signed_reaches_the_target_with_a_valid_signature() {
    let data = tempfile::tempdir().unwrap();
    set_secret(data.path(), "fleiko", SECRET);
    let target = Target::start().await;
    let target_url = format!("http://{}/hooks/fleiko", target.addr);
    let target = &target;
    with_browser(data.path(), "browser-replay", |client, page| async move {
        replay_checks(&client, &page, &target_url, target).await
    })
    .await;
}

async fn replay_checks(
    client: &Client,
    page: &Page,
    target_url: &str,
    target: &Target,
) -> anyhow::Result<()> {
    let body = r#"{"id":"evt_browser_replay","type":"job.created","created":1700000000,"company_id":"co_1","api_version":"1","data":{"job_id":"job_replayed"}}"#;
    // An hour old: outside Fleiko's window, so only a fresh signature would pass there.
    let old = now() - 3600;
    let id = post_fleiko(page.capture, &fleiko_headers(SECRET, old, body, "dlv_replay", 1), body);
    wait_rows(client, |ids| ids == [id.to_string()], "the delivery to replay").await;
    select(client, id).await;
    click(client, "tab-replay").await;
    wait_text(client, "[data-testid=replay-body]", "job_replayed").await;
    fill(client, "replay-url", target_url).await?;
    tick(client, "replay-opt-resign").await?;
    click(client, "replay-send").await;
    wait_text(client, "[data-testid=replay-status]", "200").await;
    wait_text(client, "[data-testid=replay-result]", "Re-signed for Fleiko").await;
    save_screenshot(client, "browser-replay-sent").await?;

    // What arrived carries a fresh Fleiko signature over exactly the body it came with.
    let got = target.wait_for_one().await;
    anyhow::ensure!(got.path == "/hooks/fleiko", "replayed to {}", got.path);
    anyhow::ensure!(
        got.body.as_ref() == body.as_bytes(),
        "{:?}",
        String::from_utf8_lossy(&got.body)
    );
    let header = |name: &str| {
        got.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let signature = header("x-fleiko-signature");
    let mut t = None;
    let mut v1 = Vec::new();
    for part in signature.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1.push(value.to_owned()),
            _ => {}
        }
    }
    let t = t.ok_or_else(|| anyhow::anyhow!("no t= in {signature:?}"))?;
    anyhow::ensure!(t > old, "the replay kept the old timestamp: {signature:?}");
    let want = hmac_hex(SECRET, format!("{t}.{body}").as_bytes());
    anyhow::ensure!(v1.contains(&want), "no v1 over t.body with the secret: {signature:?}");
    let timestamp = header("x-fleiko-timestamp");
    anyhow::ensure!(timestamp.is_empty() || timestamp == t.to_string(), "{timestamp} vs {t}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_changed_in_the_endpoint_settings_re_verifies_the_delivery() {
    let data = tempfile::tempdir().unwrap();
    set_secret(data.path(), "fleiko", "whsec_the_wrong_one");
    with_browser(data.path(), "browser-endpoint-settings", |client, page| async move {
        settings_checks(&client, &page).await
    })
    .await;
}

async fn settings_checks(client: &Client, page: &Page) -> anyhow::Result<()> {
    let body = r#"{"id":"evt_browser_secret","type":"job.completed","data":{"job_id":"job_5"}}"#;
    let id = post_fleiko(page.capture, &fleiko_headers(SECRET, now(), body, "dlv_s", 1), body);
    wait_rows(client, |ids| ids == [id.to_string()], "the delivery").await;
    wait_badge(client, id, "invalid").await;
    select(client, id).await;
    click(client, "tab-signature").await;
    wait_exact(client, "[data-testid=signature-status]", "invalid").await;

    // The Fleiko endpoint is the third one created on first run.
    let gear = "[data-testid=endpoint-settings-button][data-endpoint-id='3']";
    client.find(Locator::Css(gear)).await?.click().await?;
    wait_text(client, "[data-testid=key-source]", "key").await;
    let secrets = client.find_all(Locator::Css("[data-testid=secret-row]")).await?;
    anyhow::ensure!(secrets.len() == 1, "{} secrets listed", secrets.len());
    click(client, "remove-secret-button").await;
    fill(client, "secret-input", SECRET).await?;
    click(client, "add-secret-button").await;
    wait_text(client, "[data-testid=secrets-pending]", "Save").await;
    save_screenshot(client, "browser-endpoint-settings-editing").await?;
    click(client, "save-endpoint-button").await;
    wait_text(client, "[data-testid=endpoint-status]", "Re-verified 1 delivery").await;

    // The list's badge and the open detail follow without a reload.
    wait_badge(client, id, "valid").await;
    wait_exact(client, "[data-testid=signature-status]", "valid").await;
    let source = client.source().await?;
    anyhow::ensure!(!source.contains(SECRET), "the secret reached the page after saving");
    Ok(())
}

/// Set by any of the payloads, should one ever run.
const PWNED: &str = "return window.__pwned === undefined ? null : window.__pwned;";

/// Markup a payload could have become, anywhere in the document.
const INJECTED: &str = "img[src=x], img[src='x'], #root script, iframe, object, embed, \
                        a[href^='javascript:'], [onerror], [onload], [onclick]";

async fn nothing_ran(client: &Client, after: &str) -> anyhow::Result<()> {
    let pwned = client.execute(PWNED, vec![]).await?;
    anyhow::ensure!(pwned.is_null(), "a payload ran ({pwned}) after {after}");
    anyhow::ensure!(
        !exists(client, INJECTED).await?,
        "payload markup became elements after {after}"
    );
    let title = client.title().await?;
    anyhow::ensure!(title == "Hookscope", "the title became {title:?} after {after}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_payloads_render_as_text_and_run_nothing() {
    let data = tempfile::tempdir().unwrap();
    with_browser(data.path(), "browser-hostile", |client, page| async move {
        hostile_checks(&client, &page).await
    })
    .await;
}

async fn hostile_checks(client: &Client, page: &Page) -> anyhow::Result<()> {
    let addr = page.capture;
    let evil = r#"<img src=x onerror="window.__pwned=1;document.title='pwned'"><script>window.__pwned=2</script><a href="javascript:window.__pwned=3">click</a><svg onload="window.__pwned=7">"#;
    // Served as HTML, to a path holding markup.
    let html = post(
        addr,
        "/fleiko/%3Cimg%20src=x%20onerror=window.__pwned=4%3E?q=%3Cscript%3Ewindow.__pwned=8%3C/script%3E",
        &[
            ("Content-Type", b"text/html"),
            ("X-Evil", evil.as_bytes()),
            ("Referer", b"javascript:window.__pwned=9"),
        ],
        evil.as_bytes(),
    );
    // JSON whose strings are markup and script URLs, for the tree and the overview.
    let json_body = serde_json::json!({
        "id": "evt_<img src=x onerror=window.__pwned=5>",
        "type": "<script>window.__pwned=6</script>",
        "url": "javascript:window.__pwned=10",
        "data": { "html": evil, "link": "javascript:alert(1)" },
    })
    .to_string();
    let json = post(
        addr,
        "/flowella/hooks",
        &[("Content-Type", b"application/json"), ("X-Evil", evil.as_bytes())],
        json_body.as_bytes(),
    );
    wait_rows(client, |ids| ids.len() == 2, "both hostile deliveries").await;
    nothing_ran(client, "listing them").await?;

    for id in [html, json] {
        select(client, id).await;
        // Every tab this delivery offers, and every body view.
        for tab in ["overview", "signature", "attempts", "headers", "body", "response", "replay"] {
            if !exists(client, &format!("[data-testid=tab-{tab}]")).await? {
                continue;
            }
            click(client, &format!("tab-{tab}")).await;
            if tab == "body" {
                for view in ["pretty", "raw", "hex"] {
                    click(client, &format!("body-view-{view}")).await;
                    // Give a rendered payload the moment it would need to fire.
                    sleep(Duration::from_millis(300)).await;
                    nothing_ran(client, &format!("delivery {id}, body as {view}")).await?;
                }
            }
            sleep(Duration::from_millis(300)).await;
            nothing_ran(client, &format!("delivery {id}, tab {tab}")).await?;
        }
    }

    // Shown literally: the markup as text, where a user would read it.
    select(client, html).await;
    click(client, "tab-body").await;
    click(client, "body-view-raw").await;
    wait_text(client, "[data-testid=body-raw]", "<script>window.__pwned=2</script>").await;
    wait_text(client, "[data-testid=body-raw]", r#"<img src=x onerror="window.__pwned=1"#).await;
    click(client, "tab-headers").await;
    wait_text(client, "[data-testid=detail-pane]", r#"onerror="window.__pwned=1"#).await;
    wait_text(client, "[data-testid=detail-pane]", "javascript:window.__pwned=9").await;
    let text = page_text(client).await?;
    anyhow::ensure!(
        text.contains("<img src=x onerror=window.__pwned=4>")
            || text.contains("%3Cimg%20src=x%20onerror=window.__pwned=4%3E"),
        "the hostile path is not shown as text"
    );
    select(client, json).await;
    click(client, "tab-body").await;
    click(client, "body-view-pretty").await;
    wait_text(client, "[data-testid=body-pretty]", "<script>window.__pwned=6</script>").await;
    wait_text(client, "[data-testid=body-pretty]", "javascript:window.__pwned=10").await;
    nothing_ran(client, "reading them").await?;
    save_screenshot(client, "browser-hostile-json").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_token_the_page_says_where_to_get_it_and_shows_no_data() {
    let data = tempfile::tempdir().unwrap();
    with_browser_opening(
        data.path(),
        "browser-no-token",
        Open::WithoutToken,
        |client, page| async move { no_token_checks(&client, &page).await },
    )
    .await;
}

async fn no_token_checks(client: &Client, page: &Page) -> anyhow::Result<()> {
    // A delivery is stored before the page asks for anything.
    let body = r#"{"id":"evt_never_shown_without_token","type":"job.created"}"#;
    let id =
        post(page.capture, "/fleiko", &[("Content-Type", b"application/json")], body.as_bytes());

    client.refresh().await?;
    wait_text(client, "[data-testid=access-banner]", "serve --ui").await;
    let text = page_text(client).await?;
    let base = format!("http://{}", page.capture);
    for (what, leak) in [("the delivery", "evt_never_shown_without_token"), ("the listener", &base)]
    {
        anyhow::ensure!(!text.contains(leak), "{what} shows without a token: {text:?}");
    }
    anyhow::ensure!(rows(client).await.is_empty(), "rows show without a token");
    save_screenshot(client, "browser-no-token-banner").await?;

    // A wrong token is no better.
    client.goto(&format!("{}/#token=not-the-token", page.origin)).await?;
    client.refresh().await?;
    wait_text(client, "[data-testid=access-banner]", "serve --ui").await;
    let text = page_text(client).await?;
    anyhow::ensure!(!text.contains("evt_never_shown"), "data shows with a wrong token: {text:?}");
    anyhow::ensure!(rows(client).await.is_empty(), "rows show with a wrong token");

    // The printed address opens it: the server was there all along.
    client.goto(&page.ui_url).await?;
    client.refresh().await?;
    wait_text(client, "[data-testid=base-url]", &base).await;
    wait_rows(client, |ids| ids == [id.to_string()], "the stored delivery").await;
    anyhow::ensure!(!exists(client, "[data-testid=access-banner]").await?, "the banner stayed");
    Ok(())
}
