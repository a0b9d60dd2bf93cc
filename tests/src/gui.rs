//! The WebDriver harness shared by the GUI tests: tauri-driver in front of WebKitWebDriver,
//! under the X display the test command provides (xvfb-run), and small waits that tolerate
//! a UI that re-renders as data arrives.

use std::future::Future;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::time::sleep;

use crate::{artifacts_dir, bin, free_port};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// One app at a time: two WebKit instances on two cores make every wait flaky. Each GUI test
/// binary holds this for the whole of each test; cargo runs test binaries one after another.
pub static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// tauri-driver and the WebKitWebDriver it starts, in their own process group so that both
/// go when the test ends, pass or fail.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub fn start() -> Self {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "GUI tests need an X display: run them under xvfb-run (the README's test command does)"
        );
        let port = free_port();
        let native = free_port();
        let child = Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            // Inherited by WebKitWebDriver and the app: keep test keys out of a real keyring.
            .env("HOOKSCOPE_NO_KEYRING", "1")
            .process_group(0)
            .spawn()
            .expect("tauri-driver is not installed (cargo install tauri-driver --locked)");
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// Starts the app with `--data-dir` and `--listen` (tauri-driver forwards arguments, not
/// environment variables) and opens a WebDriver session on it.
pub async fn launch(driver: &Driver, data_dir: &Path, listen: SocketAddr) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({
            "application": bin("hookscope"),
            "args": ["--data-dir", data_dir, "--listen", listen.to_string()],
        }),
    );
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let mut builder = ClientBuilder::new(HttpConnector::new());
        // An app that exits at once leaves WebKitWebDriver waiting: bound every attempt.
        let attempt = builder.capabilities(caps.clone()).connect(&url);
        let error = match tokio::time::timeout(TIMEOUT, attempt).await {
            Ok(Ok(client)) => return client,
            Ok(Err(err)) => err.to_string(),
            Err(_) => "no session after 20 s (did the app exit? see its stderr above)".into(),
        };
        assert!(Instant::now() < deadline, "cannot start a WebDriver session: {error}");
        sleep(Duration::from_millis(200)).await;
    }
}

/// Runs `checks` against a freshly launched app on a free loopback port, saves a screenshot
/// as `artifacts/<screenshot>.png` whatever the outcome, closes everything, then reports.
pub async fn with_app<F, Fut>(data_dir: &Path, screenshot: &str, checks: F)
where
    F: FnOnce(Client, SocketAddr) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let _one = ONE_APP.lock().await;
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("loopback");
    let driver = Driver::start();
    let client = launch(&driver, data_dir, addr).await;
    // A failed wait panics: catch it so that the screenshot and the clean-up still happen.
    let result = AssertUnwindSafe(checks(client.clone(), addr)).catch_unwind().await;
    if let Ok(Ok(png)) = tokio::time::timeout(Duration::from_secs(10), client.screenshot()).await {
        let _ = std::fs::write(artifacts_dir().join(format!("{screenshot}.png")), png);
    }
    // Killing the driver's process group ends the app too, should closing hang.
    let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
    drop(driver);
    match result {
        Ok(Ok(())) => {}
        Ok(Err(err)) => panic!("{err:?}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Waits until the element matching `css` contains `want`, and returns its text.
pub async fn wait_text(client: &Client, css: &str, want: &str) -> String {
    let deadline = Instant::now() + TIMEOUT;
    let mut last = String::new();
    while Instant::now() < deadline {
        let text = match client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(want) {
            return text;
        }
        last = text;
        sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never showed {want:?}; last text: {last:?}");
}

/// The ids of the delivery rows currently in the DOM, top to bottom.
pub async fn rows(client: &Client) -> Vec<String> {
    // Rows re-render as data arrives: a stale element means "look again", not failure.
    let Ok(found) = client.find_all(Locator::Css("[data-testid=delivery-row]")).await else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    for row in found {
        match row.attr("data-id").await {
            Ok(id) => ids.push(id.unwrap_or_default()),
            Err(_) => return Vec::new(),
        }
    }
    ids
}

/// Waits until the row ids satisfy `want`.
pub async fn wait_rows(
    client: &Client,
    want: impl Fn(&[String]) -> bool,
    what: &str,
) -> Vec<String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let ids = rows(client).await;
        if want(&ids) {
            return ids;
        }
        assert!(Instant::now() < deadline, "rows never became {what}: {ids:?}");
        sleep(Duration::from_millis(100)).await;
    }
}

/// Selects delivery `id` in the list and waits for the detail pane to show it.
pub async fn select(client: &Client, id: u64) {
    let css = format!("[data-testid=delivery-row][data-id='{id}']");
    client.find(Locator::Css(&css)).await.unwrap().click().await.unwrap();
    wait_text(client, "[data-testid=detail-pane]", &format!("{id}")).await;
}

/// Clicks the element with `data-testid=testid`, waiting for it to exist.
pub async fn click(client: &Client, testid: &str) {
    let css = format!("[data-testid={testid}]");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match client.find(Locator::Css(&css)).await {
            Ok(el) => {
                // Centre it first: at the edge of a scrolled pane, a sticky bar can cover it.
                let centre = "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});";
                let _ = client.execute(centre, vec![serde_json::to_value(&el).unwrap()]).await;
                el.click().await.unwrap();
                return;
            }
            Err(err) => assert!(Instant::now() < deadline, "{css} never appeared: {err}"),
        }
        sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the element matching `css` with a modifier key held, as Ctrl+click or Shift+click:
/// `modifier` is WebDriver's code for the key, e.g. [`CONTROL`] or [`SHIFT`].
pub async fn modifier_click(client: &Client, css: &str, modifier: char) -> anyhow::Result<()> {
    use fantoccini::actions::{
        Actions, InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PointerAction,
    };
    let element = client.find(Locator::Css(css)).await?;
    let tick = Duration::from_millis(10);
    let keys = KeyActions::new("modifier".into())
        .then(KeyAction::Down { value: modifier })
        .pause(tick)
        .pause(tick)
        .pause(tick)
        .then(KeyAction::Up { value: modifier });
    let mouse = MouseActions::new("mouse".into())
        .pause(tick)
        .then(PointerAction::MoveToElement { element, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT })
        .pause(tick);
    client.perform_actions(Actions::from(keys).and(mouse)).await?;
    client.release_actions().await?;
    Ok(())
}

/// WebDriver's code for the Control key.
pub const CONTROL: char = '\u{E009}';
/// WebDriver's code for the Shift key.
pub const SHIFT: char = '\u{E008}';

/// Sets the value of a React-controlled input, select or textarea the way a user's typing
/// would: through the native value setter, then an `input` and a `change` event.
pub async fn fill(client: &Client, testid: &str, value: &str) -> anyhow::Result<()> {
    let css = format!("[data-testid={testid}]");
    let deadline = Instant::now() + TIMEOUT;
    while client.find(Locator::Css(&css)).await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "{css} never appeared");
        sleep(Duration::from_millis(100)).await;
    }
    let script = r#"
        const [css, value] = arguments;
        const el = document.querySelector(css);
        const proto = Object.getPrototypeOf(el);
        const setter = Object.getOwnPropertyDescriptor(proto, 'value').set;
        setter.call(el, value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
        return el.value;
    "#;
    let got = client.execute(script, vec![css.clone().into(), value.into()]).await?;
    anyhow::ensure!(got.as_str() == Some(value), "{css} took {got:?}, not {value:?}");
    Ok(())
}
