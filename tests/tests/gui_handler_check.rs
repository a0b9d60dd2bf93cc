//! Handler check in the real app: run the battery against a small local handler through the
//! window, read the scorecard, open a row's request and answer, run again and compare.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use fantoccini::{Client, Locator};
use hookscope_e2e::gui::{click, fill, select, wait_rows, wait_text, with_app};
use hookscope_e2e::handlers::{Flaws, SECRET, now, start};
use hookscope_e2e::{exchange, fleiko_headers, request, set_secret};

/// Waits until the text content of the element matching `css` holds `want`. Inside the
/// scrolling dialog WebKitWebDriver reports no rendered text for some elements, so this reads
/// the DOM.
async fn wait_content(client: &Client, css: &str, want: &str) -> anyhow::Result<String> {
    let script = "return document.querySelector(arguments[0])?.textContent ?? '';";
    let mut last = String::new();
    // A run is a few dozen local requests; a minute leaves room for a slow machine.
    for _ in 0..600 {
        let got = client.execute(script, vec![css.into()]).await?;
        last = got.as_str().unwrap_or_default().to_owned();
        if last.contains(want) {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{css} never showed {want:?}; last text: {last:?}")
}

/// Each scorecard row's check and outcome, as the page has them.
async fn outcomes(client: &Client) -> anyhow::Result<Vec<(String, String)>> {
    let script = "return [...document.querySelectorAll('[data-testid=check-row]')]
        .map((r) => [r.dataset.check, r.dataset.outcome]);";
    let rows = client.execute(script, vec![]).await?;
    Ok(serde_json::from_value(rows)?)
}

fn outcome<'a>(rows: &'a [(String, String)], check: &str) -> &'a str {
    rows.iter().find(|(c, _)| c == check).map_or("missing", |(_, o)| o.as_str())
}

/// Clicks the element matching `css`, waiting for it to exist (lists load after the dialog).
async fn click_css(client: &Client, css: &str) -> anyhow::Result<()> {
    let mut tries = 0;
    let el = loop {
        match client.find(Locator::Css(css)).await {
            Ok(el) => break el,
            Err(err) if tries >= 100 => anyhow::bail!("{css} never appeared: {err}"),
            Err(_) => tries += 1,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let centre = "arguments[0].scrollIntoView({block: 'center'});";
    client.execute(centre, vec![serde_json::to_value(&el)?]).await?;
    el.click().await?;
    Ok(())
}

const REJECTIONS: [&str; 6] = [
    "tampered-body",
    "wrong-secret",
    "missing-signature",
    "malformed-signature",
    "stale-timestamp",
    "future-timestamp",
];

// A plain test: the handlers run on runtimes of their own, which may not start or stop inside
// the test's.
#[test]
fn a_handler_check_runs_from_the_window_and_two_runs_compare() {
    let data = tempfile::tempdir().unwrap();
    set_secret(data.path(), "fleiko", SECRET);
    // The first run finds a handler that skips verification; the second finds it fixed.
    let careless = start("fleiko", Flaws { skip_verification: true, ..Flaws::default() });
    let correct = start("fleiko", Flaws::default());
    let (careless_url, correct_url) = (careless.url.clone(), correct.url.clone());
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(with_app(data.path(), "gui-handler-check", |client, addr| async move {
        wait_text(&client, "[data-testid=base-url]", &format!("http://{addr}")).await;
        click(&client, "open-handler-check").await;
        // The endpoint with a secret signs, and it says which provider it is.
        wait_content(&client, "[data-testid=check-endpoint]", "fleiko").await?;
        let provider = "return document.querySelector('[data-testid=check-provider]').value;";
        anyhow::ensure!(client.execute(provider, vec![]).await? == "fleiko");

        fill(&client, "check-url", &careless_url).await?;
        click(&client, "check-run").await;
        wait_content(&client, "[data-testid=check-verdict]", "A required check failed").await?;
        let first = outcomes(&client).await?;
        anyhow::ensure!(outcome(&first, "valid") == "pass", "{first:?}");
        anyhow::ensure!(outcome(&first, "tampered-body") == "fail", "{first:?}");
        let first_run = client
            .execute(
                "return document.querySelector('[data-testid=check-report]').dataset.run;",
                vec![],
            )
            .await?;

        fill(&client, "check-url", &correct_url).await?;
        click(&client, "check-run").await;
        let report =
            format!("[data-testid=check-report]:not([data-run='{}'])", first_run.as_str().unwrap());
        wait_content(
            &client,
            &format!("{report} [data-testid=check-verdict]"),
            "Every required check passed",
        )
        .await?;
        let second = outcomes(&client).await?;
        for check in ["valid"].iter().chain(REJECTIONS.iter()) {
            anyhow::ensure!(outcome(&second, check) == "pass", "{check}: {second:?}");
        }
        anyhow::ensure!(
            !second.iter().any(|(_, o)| o == "fail"),
            "a correct handler failed a check: {second:?}"
        );

        // A row opens to the request sent and the answer received.
        let row = "[data-testid=check-row][data-check=tampered-body]";
        click_css(&client, &format!("{row} [data-testid=check-row-toggle]")).await?;
        let detail = format!("{row} [data-testid=check-detail]");
        wait_content(&client, &format!("{detail} [data-testid=check-request-line]"), "POST ")
            .await?;
        wait_content(&client, &format!("{detail} [data-testid=check-request-line]"), "/hook")
            .await?;
        wait_content(&client, &format!("{detail} [data-testid=check-response-status]"), "401")
            .await?;
        wait_content(&client, &detail, "X-Fleiko-Signature").await?;
        wait_content(&client, &format!("{detail} [data-testid=check-reading]"), "Fleiko").await?;

        // Both runs are listed, and the comparison says what the fix turned green.
        let runs = "return document.querySelectorAll('[data-testid=check-run-item]').length;";
        anyhow::ensure!(client.execute(runs, vec![]).await? == 2, "two runs listed");
        click(&client, "check-compare-button").await;
        wait_content(&client, "[data-testid=check-compare-summary]", "changed state").await?;
        let change = "return document.querySelector(\
            '[data-testid=check-compare-row][data-check=tampered-body]')?.dataset.change;";
        anyhow::ensure!(client.execute(change, vec![]).await? == "fixed", "tampered-body is fixed");
        let valid = "return document.querySelector(\
            '[data-testid=check-compare-row][data-check=valid]')?.dataset.change;";
        anyhow::ensure!(client.execute(valid, vec![]).await? == "same", "valid did not move");

        // A run built from a captured delivery opens that delivery's Replay tab from a row.
        let body = r#"{"id":"evt_gui_check","type":"job.completed","data":{"job_id":"job_9"}}"#;
        let headers = fleiko_headers(SECRET, now(), body, "dlv_gui_check", 1);
        let headers: Vec<(&str, &[u8])> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let mut stream = std::net::TcpStream::connect(addr)?;
        exchange(&mut stream, &request("POST", "/fleiko", &headers, body.as_bytes()))?;
        client.find(Locator::Css("dialog[open] button[aria-label=Close]")).await?.click().await?;
        let captured: u64 =
            wait_rows(&client, |ids| ids.len() == 1, "the captured delivery").await[0].parse()?;
        select(&client, captured).await;
        click(&client, "open-handler-check").await;
        wait_content(&client, "[data-testid=check-endpoint]", "fleiko").await?;
        fill(&client, "check-url", &correct_url).await?;
        click(&client, "check-from-selected").await;
        click(&client, "check-run").await;
        let facts = format!("built from delivery #{captured}");
        wait_content(&client, "[data-testid=check-facts]", &facts).await?;
        wait_content(&client, "[data-testid=check-verdict]", "Every required check passed").await?;
        click_css(
            &client,
            "[data-testid=check-row][data-check=valid] [data-testid=check-open-replay]",
        )
        .await?;
        wait_content(&client, "[data-testid=tab-replay][aria-selected=true]", "Replay").await?;
        wait_content(&client, "[data-testid=replay-panel]", "Send").await?;

        // Past runs open again: the fixed handler's scorecard, for the screenshot.
        click(&client, "open-handler-check").await;
        click_css(&client, "[data-testid=check-run-item][data-run='2']").await?;
        wait_content(
            &client,
            "[data-testid=check-report][data-run='2'] [data-testid=check-verdict]",
            "passed",
        )
        .await?;
        click_css(
            &client,
            "[data-testid=check-row][data-check=tampered-body] [data-testid=check-row-toggle]",
        )
        .await?;
        wait_content(&client, "[data-testid=check-response-status]", "401").await?;
        // The screenshot taken on the way out shows the scorecard from its head.
        let top =
            "document.querySelector('[data-testid=check-dialog] .dialog-body').scrollTop = 0;";
        client.execute(top, vec![]).await?;
        // The page never holds the secret.
        let html = client.source().await?;
        anyhow::ensure!(!html.contains(SECRET), "the secret reached the page");
        Ok(())
    }));
}
