//! The Flovi panel in the real app, against the fake Flovi: load the offices, fill the
//! schedule form as a user would, get a schedule, and copy its completion link to the real
//! X clipboard.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use hookscope_e2e::cli_with_env;
use hookscope_e2e::fake_flovi::{API_KEY, FakeFlovi};
use hookscope_e2e::gui::{click, fill, wait_text, with_app};
use tokio::time::sleep;

const SCHEDULE: &str = "5b0c7e12-3f4a-4d8e-9a61-2c9f0e7d1a55";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_made_in_the_form_gives_a_completion_link_to_copy() {
    let fake = FakeFlovi::start();
    fake.set_schedule_id(SCHEDULE);
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let set_url =
        cli_with_env(&["flovi", "set-base-url", &fake.base_url(), "--data-dir", dir], &[]);
    assert!(set_url.status.success(), "{}", String::from_utf8_lossy(&set_url.stderr));
    let set_key = cli_with_env(
        &["flovi", "set-key", "--key-env", "KEY", "--data-dir", dir],
        &[("KEY", API_KEY)],
    );
    assert!(set_key.status.success(), "{}", String::from_utf8_lossy(&set_key.stderr));

    let fake_ref = &fake;
    with_app(data.path(), "gui-flovi", |client, _addr| async move {
        run_schedule_checks(&client, fake_ref).await
    })
    .await;
}

async fn run_schedule_checks(client: &Client, fake: &FakeFlovi) -> anyhow::Result<()> {
    click(client, "nav-flovi").await;
    wait_text(client, "[data-testid=flovi-key-status]", "").await;
    click(client, "flovi-load-offices").await;
    wait_text(client, "[data-testid=flovi-offices]", "hq-3").await;

    fill(client, "flovi-reservation-type", "officeToOffice").await?;
    fill(client, "flovi-origin-type", "ownOffices").await?;
    fill(client, "flovi-origin-office", "1").await?;
    fill(client, "flovi-destination-type", "ownOffices").await?;
    fill(client, "flovi-destination-office", "hq-3").await?;
    fill(client, "flovi-depart", "2031-06-14T09:30").await?;
    // The form shows what Flovi will receive: the local time converted to UTC.
    let utc = wait_text(client, "[data-testid=flovi-depart-utc]", "2031-06-14T").await;
    assert!(utc.ends_with('Z'), "depart is not shown in UTC: {utc}");
    click(client, "flovi-test-plates").await;

    click(client, "flovi-send").await;
    wait_text(client, "[data-testid=flovi-schedule-id]", SCHEDULE).await;
    let link = format!("https://customer.flovi.fi/complete?scheduleId={SCHEDULE}");
    wait_text(client, "[data-testid=flovi-completion-link]", &link).await;

    // The request on the wire is the one the form describes, with the key in its header.
    let sent = fake.requests().into_iter().rfind(|r| r.path.ends_with("/schedule"));
    let sent = sent.ok_or_else(|| anyhow::anyhow!("the fake never saw POST /schedule"))?;
    assert_eq!(sent.header("x-api-key"), Some(API_KEY));
    let body = sent.json();
    assert_eq!(body["reservationType"], "officeToOffice", "{body}");
    assert_eq!(body["originType"], "ownOffices", "{body}");
    assert_eq!(body["destinationType"], "ownOffices", "{body}");
    assert_eq!(body["testPlates"], true, "{body}");
    assert_eq!(body["depart"].as_str(), Some(utc.trim()), "{body}");

    click(client, "flovi-copy-link").await;
    wait_text(client, "[data-testid=flovi-copy-link]", "Copied").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let copied = clipboard();
        if copied.as_deref() == Some(link.as_str()) {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the clipboard holds {copied:?}, not {link}");
        sleep(Duration::from_millis(200)).await;
    }

    // The call is in the history, without the key; re-running it from there makes a new
    // schedule whose completion link the call's detail shows.
    // (WebKit's WebDriver leaves ellipsised cells out of an element's text: match the method.)
    let text = wait_text(client, "[data-testid=flovi-history]", "POST").await;
    assert!(!text.contains(API_KEY), "the key is shown in the history: {text}");
    const RERUN: &str = "0f5d2c8a-6b1e-4e7f-8c3d-9a2b1c0d4e5f";
    fake.set_schedule_id(RERUN);
    let rows = client.find_all(Locator::Css("[data-testid=flovi-history-row]")).await?;
    let mut schedule_row = None;
    for row in rows {
        if row.text().await?.contains("POST") {
            schedule_row = row.attr("data-id").await?;
            break;
        }
    }
    let id = schedule_row.ok_or_else(|| anyhow::anyhow!("no schedule call in the history"))?;
    let rerun = format!("[data-testid=flovi-rerun][data-id='{id}']");
    client.find(Locator::Css(&rerun)).await?.click().await?;
    let newest = "[data-testid=flovi-history-row]";
    let before: u64 = id.parse()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The history reloads after the re-run: wait for its call to head the list.
        let top = match client.find(Locator::Css(newest)).await {
            Ok(row) => row.attr("data-id").await.ok().flatten(),
            Err(_) => None,
        };
        if top.and_then(|t| t.parse::<u64>().ok()).is_some_and(|t| t > before) {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the re-run never appeared in the history");
        sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fake.requests().iter().filter(|r| r.path.ends_with("/schedule")).count(), 2);
    // The re-run's call opens by itself, showing its link.
    let rerun_link = format!("https://customer.flovi.fi/complete?scheduleId={RERUN}");
    wait_text(client, "[data-testid=flovi-call-completion-link]", &rerun_link).await;
    Ok(())
}

/// The X clipboard's text, read the way another application would.
fn clipboard() -> Option<String> {
    let out = Command::new("xclip").args(["-selection", "clipboard", "-o"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
