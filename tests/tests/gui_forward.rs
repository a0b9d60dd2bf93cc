//! The response lab in the real app: set a sequence and a forward target in the endpoint's
//! settings, watch the answers and the forward result on a delivery, export as HAR and import
//! it back.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use fantoccini::{Client, Locator};
use hookscope_e2e::gui::{click, fill, select, wait_rows, wait_text, with_app};
use hookscope_e2e::{cli_with_env, exchange, fleiko_headers, request, wait_for};

const SECRET: &str = "whsec_gui_forward_never_exported";

/// A local handler standing in for the user's code: answers 201 with a small JSON body.
fn target_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut len = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let line = line.trim_end().to_ascii_lowercase();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let answer = r#"{"handled":"by local code"}"#;
            let _ = reader.into_inner().write_all(
                format!(
                    "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{answer}",
                    answer.len()
                )
                .as_bytes(),
            );
        }
    });
    port
}

/// The answer's status and, unless a proxied target answered, the delivery id it carries.
fn post_fleiko(addr: SocketAddr, delivery: &str) -> (u16, Option<u64>) {
    let body = r#"{"id":"evt_gui_fwd","type":"job.completed","data":{"job_id":"job_9"}}"#;
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let headers = fleiko_headers(SECRET, t as i64, body, delivery, 1);
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let response = exchange(&mut stream, &request("POST", "/fleiko", &headers, body.as_bytes()));
    let response = response.unwrap();
    let id = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v["id"].as_u64());
    (response.status, id)
}

/// Scrolls an element of the (scrolling) settings dialog into view: WebKitWebDriver neither
/// reads the text of nor clicks elements scrolled out of sight.
async fn reveal(client: &Client, testid: &str) -> anyhow::Result<()> {
    let script = "document.querySelector(arguments[0])?.scrollIntoView({ block: 'center' });";
    client.execute(script, vec![format!("[data-testid={testid}]").into()]).await?;
    Ok(())
}

/// Waits until the element's text content holds `want`. Inside the scrolling dialog,
/// WebKitWebDriver reports no rendered text for some elements, so this reads the DOM.
async fn wait_content(client: &Client, testid: &str, want: &str) -> anyhow::Result<String> {
    let script = "return document.querySelector(arguments[0])?.textContent ?? '';";
    let css = format!("[data-testid={testid}]");
    let mut last = String::new();
    for _ in 0..200 {
        let got = client.execute(script, vec![css.clone().into()]).await?;
        last = got.as_str().unwrap_or_default().to_owned();
        if last.contains(want) {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{css} never showed {want:?}; last text: {last:?}")
}

async fn close_dialog(client: &Client) -> anyhow::Result<()> {
    client.find(Locator::Css("dialog[open] button[aria-label=Close]")).await?.click().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_rules_forwarding_and_export_in_the_app() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_owned();
    let out = cli_with_env(
        &["endpoint", "set-secrets", "fleiko", "--data-dir", &dir, "--secret-env", "S"],
        &[("S", SECRET)],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let port = target_server();
    let har = data.path().join("export.har");
    with_app(data.path(), "gui-forward", |client, addr| async move {
        let har = har.to_str().unwrap();
        let db = std::path::Path::new(&dir).join("hookscope.db");

        // Script the answers and forward to local code, in the fleiko endpoint's settings.
        wait_text(&client, "[data-testid=base-url]", &format!("http://{addr}")).await;
        let gear = "[data-testid=endpoint-settings-button][data-endpoint-id='3']";
        client.find(Locator::Css(gear)).await?.click().await?;
        reveal(&client, "response-enabled").await?;
        click(&client, "response-enabled").await;
        reveal(&client, "response-kind-sequence").await?;
        click(&client, "response-kind-sequence").await;
        fill(&client, "response-sequence-input", "500, 200").await?;
        reveal(&client, "save-response-button").await?;
        click(&client, "save-response-button").await;
        wait_content(&client, "response-current", "500, 200 per idempotency key").await?;
        reveal(&client, "forward-enabled").await?;
        click(&client, "forward-enabled").await;
        wait_content(&client, "forward-pending", "Not saved yet").await?;
        fill(&client, "forward-url-input", &format!("http://127.0.0.1:{port}/webhooks")).await?;
        fill(&client, "forward-mode-select", "rule").await?;
        reveal(&client, "save-forward-button").await?;
        click(&client, "save-forward-button").await;
        wait_content(&client, "forward-current", "/webhooks (rule)").await?;
        let pending = "return document.querySelectorAll('[data-testid$=-pending]').length;";
        let left = client.execute(pending, vec![]).await?;
        anyhow::ensure!(left == 0, "saved sections still say they are not saved: {left}");
        close_dialog(&client).await?;

        // The provider's retries see the sequence; each delivery is forwarded meanwhile.
        let (first_status, first) = post_fleiko(addr, "dlv_gui_fwd");
        let (second_status, second) = post_fleiko(addr, "dlv_gui_fwd");
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!((first_status, second_status), (500, 200));
        wait_rows(&client, |ids| ids.len() == 2, "both deliveries").await;
        wait_for(Duration::from_secs(10), "both forwards recorded", || {
            let conn = rusqlite::Connection::open(&db).ok()?;
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM outbound_requests WHERE kind = 'forward'",
                    [],
                    |r| r.get(0),
                )
                .ok()?;
            (n == 2).then_some(())
        });

        // Export every delivery to a file, then import it back.
        click(&client, "export-open-button").await;
        fill(&client, "export-path-input", har).await?;
        click(&client, "export-scope-all").await;
        click(&client, "export-save-button").await;
        wait_text(&client, "[data-testid=export-status]", "Wrote every delivery").await;
        let text = std::fs::read_to_string(har)?;
        anyhow::ensure!(text.contains("\"version\":\"1.2\""), "not a HAR file");
        anyhow::ensure!(text.contains("dlv_gui_fwd"), "the deliveries are missing");
        anyhow::ensure!(!text.contains(SECRET), "the export holds the endpoint secret");
        fill(&client, "import-path-input", har).await?;
        click(&client, "import-button").await;
        wait_text(&client, "[data-testid=export-status]", "Imported 2 deliveries").await;
        close_dialog(&client).await?;
        let ids = wait_rows(&client, |ids| ids.len() == 4, "the imported deliveries").await;
        select(&client, ids[0].parse()?).await;
        wait_text(&client, "[data-testid=imported-badge]", "Imported").await;

        // The first attempt: the answer it got, and what local code said.
        select(&client, first).await;
        wait_text(&client, "[data-testid=response-given]", "Answered 500").await;
        wait_text(&client, "[data-testid=forward-status]", "target answered 201").await;
        wait_text(&client, "[data-testid=forward-body]", "by local code").await;
        // The Response tab holds both answers in full.
        click(&client, "tab-response").await;
        wait_text(&client, "[data-testid=response-status]", "500 Internal Server Error").await;
        wait_text(&client, "[data-testid=response-source]", "sequence").await;
        wait_text(&client, "[data-testid=forward-response-status]", "201 Created").await;
        let target = "[data-testid=forward-response-section]";
        wait_text(&client, target, "content-type").await;
        wait_text(&client, target, "by local code").await;
        select(&client, second).await;
        wait_text(&client, "[data-testid=response-given]", "Answered 200").await;
        wait_text(&client, "[data-testid=forward-result]", "/webhooks").await;

        // Proxy mode: the provider gets local code's answer, and the row shows it once known.
        let to = format!("http://127.0.0.1:{port}/webhooks");
        let args = ["endpoint", "set-forward", "fleiko", "--to", &to, "--mode", "proxy"];
        let out = cli_with_env(&[&args[..], &["--data-dir", &dir]].concat(), &[]);
        anyhow::ensure!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut n = 0;
        wait_for(Duration::from_secs(10), "the app to proxy", || {
            n += 1;
            let (status, id) = post_fleiko(addr, &format!("dlv_gui_proxy_{n}"));
            (status == 201 && id.is_none()).then_some(())
        });
        let conn = rusqlite::Connection::open(&db)?;
        let proxied: i64 = conn.query_row("SELECT max(id) FROM deliveries", [], |r| r.get(0))?;
        let row = format!("[data-testid=delivery-row][data-id='{proxied}'] .status");
        wait_text(&client, &row, "201").await;
        select(&client, proxied as u64).await;
        wait_text(&client, "[data-testid=response-given]", "Answered 201").await;
        wait_text(&client, "[data-testid=response-status]", "201 Created").await;
        wait_text(&client, "[data-testid=response-source]", "passed on (proxy mode)").await;
        wait_text(&client, "[data-testid=response-body]", "by local code").await;
        Ok(())
    })
    .await;
}
