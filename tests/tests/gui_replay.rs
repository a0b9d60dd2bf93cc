//! The Replay tab in the real app: edit a captured Fleiko delivery's body in the editor,
//! re-sign it, replay it to a second `serve` and see the answer.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fantoccini::{Client, Locator};
use hookscope_e2e::gui::{
    CONTROL, SHIFT, TIMEOUT, click, fill, modifier_click, select, wait_rows, wait_text, with_app,
};
use hookscope_e2e::{Serve, cli_with_env, exchange, fleiko_headers, list_json, request, wait_for};
use tokio::time::sleep;

const SECRET: &str = "whsec_gui_replay";
const BODY: &str = r#"{"id":"evt_gui_1","type":"job.created","created":1700000000,"company_id":"co_1","api_version":"1","data":{"job_id":"job_before"}}"#;
const EDITED: &str = r#"{"id":"evt_gui_1","type":"job.created","data":{"job_id":"job_after"}}"#;

fn set_secret(data: &std::path::Path) {
    let out = cli_with_env(
        &[
            "endpoint",
            "set-secrets",
            "fleiko",
            "--data-dir",
            data.to_str().unwrap(),
            "--secret-env",
            "S",
        ],
        &[("S", SECRET)],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn post(addr: SocketAddr, headers: &[(String, String)], body: &str) -> u64 {
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let response =
        exchange(&mut stream, &request("POST", "/fleiko", &headers, body.as_bytes())).unwrap();
    assert_eq!(response.status, 200);
    response.json()["id"].as_u64().unwrap()
}

/// The app's data dir and a second `serve` to replay to, both knowing the Fleiko secret.
struct Lab {
    data: tempfile::TempDir,
    target_url: String,
    target_data: std::path::PathBuf,
    // Stops before its data dir goes.
    _target: Serve,
    _target_dir: tempfile::TempDir,
}

impl Lab {
    fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let target_dir = tempfile::tempdir().unwrap();
        set_secret(data.path());
        set_secret(target_dir.path());
        let target = Serve::start(target_dir.path(), &[]);
        Self {
            data,
            target_url: target.url("/fleiko"),
            target_data: target_dir.path().to_path_buf(),
            _target: target,
            _target_dir: target_dir,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_resign_and_replay_a_delivery_from_the_replay_tab() {
    let lab = Lab::start();
    let (target_url, target_data) = (lab.target_url.clone(), lab.target_data.clone());
    with_app(lab.data.path(), "gui-replay", |client, addr| async move {
        run_replay_checks(&client, addr, &target_url, &target_data).await
    })
    .await;
}

/// Replaces the editor's text as a user would: select all, then type.
async fn type_body(client: &Client, text: &str) -> anyhow::Result<()> {
    let editor = client.find(Locator::Css("[data-testid=replay-body-input]")).await?;
    editor.click().await?;
    editor.send_keys("\u{E009}a\u{E000}\u{E003}").await?; // Ctrl+A, release, Backspace
    editor.send_keys(text).await?;
    Ok(())
}

async fn run_replay_checks(
    client: &Client,
    addr: SocketAddr,
    target_url: &str,
    target_data: &std::path::Path,
) -> anyhow::Result<()> {
    let t = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64 - 3600;
    let id = post(addr, &fleiko_headers(SECRET, t, BODY, "dlv_gui_1", 1), BODY);
    wait_rows(client, |ids| ids == [id.to_string()], "the Fleiko delivery").await;
    select(client, id).await;
    click(client, "tab-replay").await;
    wait_text(client, "[data-testid=replay-body]", "job_before").await;
    fill(client, "replay-url", target_url).await?;

    // Broken JSON blocks sending with a message.
    type_body(client, r#"{"id": "#).await?;
    wait_text(client, "[data-testid=replay-blocked]", "not valid JSON").await;
    let send = client.find(Locator::Css("[data-testid=replay-send]")).await?;
    anyhow::ensure!(send.attr("disabled").await?.is_some(), "Send stays disabled on broken JSON");

    type_body(client, EDITED).await?;
    wait_text(client, "[data-testid=replay-body]", "job_after").await;
    let deadline = std::time::Instant::now() + TIMEOUT;
    while client.find(Locator::Css("[data-testid=replay-blocked]")).await.is_ok() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the edited JSON still blocks sending"
        );
        sleep(Duration::from_millis(100)).await;
    }
    click(client, "replay-opt-resign").await;
    let editor = client.screenshot().await?;
    std::fs::write(hookscope_e2e::artifacts_dir().join("gui-replay-editor.png"), editor)?;
    click(client, "replay-send").await;
    wait_text(client, "[data-testid=replay-status]", "200").await;
    wait_text(client, "[data-testid=replay-result]", "Re-signed for Fleiko").await;
    wait_text(client, "[data-testid=replay-history]", "r1").await;
    let row = client.find(Locator::Css("[data-testid=replay-history-row]")).await?;
    anyhow::ensure!(
        row.attr("title").await?.as_deref() == Some(target_url),
        "the past replay names its target"
    );

    // The second serve got the edited body with a signature that holds there.
    let received = wait_for(TIMEOUT, "the replay at the target", || {
        list_json(target_data, &[]).into_iter().next()
    });
    anyhow::ensure!(received["signature"] == "valid", "{received}");
    let shown = cli_with_env(
        &[
            "show",
            &received["id"].to_string(),
            "--raw",
            "--data-dir",
            target_data.to_str().unwrap(),
        ],
        &[],
    );
    anyhow::ensure!(String::from_utf8_lossy(&shown.stdout) == EDITED, "the body as edited");

    // The same delivery again through "replay several": as captured, so the target sees the
    // original body under a new signature.
    click(client, "replay-many-send").await;
    wait_text(client, "[data-testid=replay-many-results]", "200").await;
    wait_for(TIMEOUT, "the second replay at the target", || {
        (list_json(target_data, &[]).len() == 2).then_some(())
    });

    click(client, "replay-diff-source").await;
    wait_text(client, "[data-testid=replay-diff]", "$.data.job_id").await;
    wait_text(client, "[data-testid=replay-diff]", "X-Fleiko-Signature").await;
    // The closing screenshot shows the answer and the diff against the source.
    client
        .execute("document.querySelector('[data-testid=replay-result]').scrollIntoView()", vec![])
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_a_signed_sample_from_the_dialog() {
    let lab = Lab::start();
    let (target_url, target_data) = (lab.target_url.clone(), lab.target_data.clone());
    with_app(lab.data.path(), "gui-send-sample", |client, addr| async move {
        // The top bar settles once the listener and endpoints are known; click after that.
        wait_text(&client, "[data-testid=empty-state]", &format!("http://{addr}/fleiko")).await;
        click(&client, "open-send-sample").await;
        fill(&client, "sample-provider", "fleiko").await?;
        fill(&client, "sample-event", "job.cancelled").await?;
        wait_text(&client, "[data-testid=sample-dialog]", "reason_category").await;
        wait_text(&client, "[data-testid=sample-endpoint]", "fleiko (/fleiko)").await;
        fill(&client, "sample-url", &target_url).await?;
        click(&client, "sample-send").await;
        wait_text(&client, "[data-testid=replay-status]", "200").await;
        wait_text(&client, "[data-testid=replay-response-body]", "captured").await;
        let received = wait_for(TIMEOUT, "the sample at the target", || {
            list_json(&target_data, &[]).into_iter().next()
        });
        anyhow::ensure!(received["signature"] == "valid", "{received}");
        anyhow::ensure!(received["eventType"] == "job.cancelled", "{received}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marked_deliveries_replay_in_order_and_export() {
    let lab = Lab::start();
    let (target_url, target_data) = (lab.target_url.clone(), lab.target_data.clone());
    with_app(lab.data.path(), "gui-replay-marked", |client, addr| async move {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
        let mut ids = Vec::new();
        for n in 1..=4 {
            let body = format!(
                r#"{{"id":"evt_mark_{n}","type":"job.created","data":{{"job_id":"job_{n}"}}}}"#
            );
            let delivery = format!("dlv_mark_{n}");
            ids.push(post(addr, &fleiko_headers(SECRET, now, &body, &delivery, 1), &body));
        }
        wait_rows(&client, |rows| rows.len() == 4, "four deliveries").await;
        let row = |id: u64| format!("[data-testid=delivery-row][data-id='{id}']");

        // Ctrl+click marks one; a plain click then selects without unmarking; Shift+click
        // marks the range from the selection; x toggles the selected one.
        modifier_click(&client, &row(ids[3]), CONTROL).await?;
        wait_text(&client, "[data-testid=marked-count]", "1 marked").await;
        select(&client, ids[0]).await;
        modifier_click(&client, &row(ids[1]), SHIFT).await?;
        wait_text(&client, "[data-testid=marked-count]", "3 marked").await;
        let marked =
            client.find_all(Locator::Css("[data-testid=delivery-row][data-marked]")).await?;
        let mut marked_ids = Vec::new();
        for m in marked {
            marked_ids.push(m.attr("data-id").await?.unwrap_or_default());
        }
        marked_ids.sort();
        let mut want: Vec<String> = [ids[0], ids[1], ids[3]].iter().map(u64::to_string).collect();
        want.sort();
        anyhow::ensure!(marked_ids == want, "marked {marked_ids:?}, want {want:?}");

        // Replay the marked three, oldest first, re-signed, to the second serve.
        click(&client, "marked-replay").await;
        fill(&client, "marked-replay-url", &target_url).await?;
        click(&client, "marked-opt-resign").await;
        click(&client, "marked-replay-send").await;
        wait_text(&client, "[data-testid=marked-replay-results]", &format!("#{}", ids[3])).await;
        let arrived = wait_for(TIMEOUT, "three replays at the target", || {
            let rows = list_json(&target_data, &[]);
            (rows.len() == 3).then_some(rows)
        });
        // Newest first at the target: the reverse of the order they were sent in.
        let events: Vec<&str> =
            arrived.iter().rev().map(|r| r["eventId"].as_str().unwrap_or("?")).collect();
        anyhow::ensure!(events == ["evt_mark_1", "evt_mark_2", "evt_mark_4"], "{events:?}");
        anyhow::ensure!(arrived.iter().all(|r| r["signature"] == "valid"), "{arrived:?}");
        let shot = client.screenshot().await?;
        std::fs::write(hookscope_e2e::artifacts_dir().join("gui-replay-marked-dialog.png"), shot)?;
        client
            .execute("document.querySelector('[data-testid=marked-replay-dialog]').close()", vec![])
            .await?;

        // Export offers the marked deliveries; clearing the marks hides the bar.
        click(&client, "marked-export").await;
        let scope = client.find(Locator::Css("[data-testid=export-scope-marked]")).await?;
        anyhow::ensure!(
            scope.prop("checked").await?.as_deref() == Some("true"),
            "marked not chosen"
        );
        client
            .execute("document.querySelector('[data-testid=export-dialog]').close()", vec![])
            .await?;
        click(&client, "marked-clear").await;
        let deadline = std::time::Instant::now() + TIMEOUT;
        while client.find(Locator::Css("[data-testid=marked-bar]")).await.is_ok() {
            anyhow::ensure!(std::time::Instant::now() < deadline, "the marked bar stayed");
            sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    })
    .await;
}
