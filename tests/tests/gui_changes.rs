//! Changes made outside the window reach it: a CLI command sharing the app's data dir
//! re-verifies deliveries, and the open window's badges follow without being touched.

#![allow(clippy::unwrap_used)]

use fantoccini::Client;
use hookscope_e2e::gui::{click, select, wait_badge, wait_exact, wait_rows, wait_text, with_app};
use hookscope_e2e::{cli_with_env, exchange, fleiko_headers, request};
use std::net::SocketAddr;

const SECRET: &str = "whsec_gui_changes_secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_set_from_the_cli_turn_the_open_windows_badges_valid() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    with_app(data.path(), "gui-store-changed", |client, addr| async move {
        run_checks(&client, addr, &dir).await
    })
    .await;
}

async fn run_checks(
    client: &Client,
    addr: SocketAddr,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    wait_text(client, "[data-testid=base-url]", &format!("http://{addr}")).await;
    // Signed by Fleiko, but the endpoint has no secret yet: the signature cannot be checked.
    let body = r#"{"id":"evt_gui_chg","type":"job.completed","created":1700000000,"company_id":"co_9","api_version":"2024-01-01","data":{"job_id":"job_88"}}"#;
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let headers = fleiko_headers(SECRET, t, body, "dlv_gui_chg", 1);
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let mut stream = std::net::TcpStream::connect(addr)?;
    let response = exchange(&mut stream, &request("POST", "/fleiko", &headers, body.as_bytes()))?;
    assert_eq!(response.status, 200);
    let id = response.json()["id"].as_u64().unwrap();
    wait_rows(client, |ids| ids == [id.to_string()], "the delivery").await;
    wait_badge(client, id, "unchecked").await;
    select(client, id).await;
    click(client, "tab-signature").await;
    wait_exact(client, "[data-testid=signature-status]", "unchecked").await;

    // Another process, the CLI, sets the secret in the same data dir.
    let dir = dir.to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        cli_with_env(
            &["endpoint", "set-secrets", "fleiko", "--data-dir", &dir, "--secret-env", "S"],
            &[("S", SECRET)],
        )
    })
    .await?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-verified 1 delivery"));

    // Nothing is clicked: the list's badge and the open detail follow on their own.
    wait_badge(client, id, "valid").await;
    wait_exact(client, "[data-testid=signature-status]", "valid").await;
    Ok(())
}
