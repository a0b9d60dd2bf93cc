//! The WebDriver harness shared by the GUI tests: tauri-driver in front of WebKitWebDriver,
//! under the X display the test command provides (xvfb-run), and small waits that tolerate
//! a UI that re-renders as data arrives.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::time::sleep;

use crate::{artifacts_dir, bin, free_port, retry_on_port_taken};

/// How long any one wait in a GUI test may take: generous, for WebKit on two busy cores.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// One app at a time: two WebKit instances on two cores make every wait flaky. Each GUI test
/// binary holds this for the whole of each test; cargo runs test binaries one after another.
pub static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs tauri-driver in a process group of its own, led by a shell that waits on a pipe from
/// this process: when the test process goes, however it goes (a panic, a kill, SIGKILL), the
/// pipe closes and the shell kills its group — tauri-driver, WebKitWebDriver and the app — so
/// nothing outlives the test and nothing else is ever killed. The shell prints `exited` when
/// tauri-driver does (127: not installed), which is how a port taken under it is noticed.
const DRIVER_SHELL: &str = r#"
command -v tauri-driver >/dev/null 2>&1 || { echo "exited 127"; exit 127; }
( tauri-driver "$@" </dev/null; echo "exited $?" ) &
read -r _
kill -KILL 0
"#;

/// tauri-driver and the WebKitWebDriver it starts, in their own process group so that both
/// go when the test ends, pass or fail (see [`DRIVER_SHELL`]).
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts tauri-driver on a free port, again on other ports should one be taken first.
    pub fn start() -> Self {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "GUI tests need an X display: run them under xvfb-run (the README's test command does)"
        );
        retry_on_port_taken(5, "tauri-driver", |port| Self::try_start(port, free_port()))
    }

    /// `None` when tauri-driver exited at once, as it does when its port is taken.
    fn try_start(port: u16, native: u16) -> Option<Self> {
        let mut child = Command::new("sh")
            .args(["-c", DRIVER_SHELL, "tauri-driver"])
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Inherited by WebKitWebDriver and the app: keep test keys out of a real keyring.
            .env("HOOKSCOPE_NO_KEYRING", "1")
            .process_group(0)
            .spawn()
            .expect("cannot run sh");
        let (tx, exited) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(code) = line.strip_prefix("exited ") {
                    let _ = tx.send(code.trim().to_owned());
                }
            }
        });
        let driver = Self { child, port };
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(code) = exited.try_recv() {
                assert_ne!(
                    code, "127",
                    "tauri-driver is not installed (cargo install tauri-driver --locked)"
                );
                eprintln!(
                    "tauri-driver exited with {code} on port {port} (taken?): trying another"
                );
                return None;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Listening, or someone else is: a driver that lost the port exits at once.
                return match exited.recv_timeout(Duration::from_millis(300)) {
                    Ok(_) => None,
                    Err(_) => Some(driver),
                };
            }
            assert!(Instant::now() < deadline, "tauri-driver never listened on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Closing the pipe makes the shell kill its group; killing the group here as well does
        // not depend on the shell having got that far.
        drop(self.child.stdin.take());
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// Starts the app with `--data-dir` and `--listen` (tauri-driver forwards arguments, not
/// environment variables) and opens a WebDriver session on it.
pub async fn launch(driver: &Driver, data_dir: &Path, listen: SocketAddr) -> Client {
    match try_launch(driver, data_dir, listen).await {
        Ok(client) => client,
        Err(error) => panic!("cannot start a WebDriver session: {error}"),
    }
}

/// [`launch`], with the reason as an error when no session starts within [`TIMEOUT`].
pub async fn try_launch(
    driver: &Driver,
    data_dir: &Path,
    listen: SocketAddr,
) -> Result<Client, String> {
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
            Ok(Ok(client)) => return Ok(client),
            Ok(Err(err)) => err.to_string(),
            Err(_) => format!(
                "no session after {} s (did the app exit? see its stderr above)",
                TIMEOUT.as_secs()
            ),
        };
        if Instant::now() >= deadline {
            return Err(error);
        }
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
    // The app and WebKitWebDriver bind ports picked here; should another process take one
    // first, the session does not start: start over on other ports.
    let mut attempts = 0;
    let (driver, client, addr) = loop {
        attempts += 1;
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("loopback");
        let driver = Driver::start();
        match try_launch(&driver, data_dir, addr).await {
            Ok(client) => break (driver, client, addr),
            Err(error) if attempts < 3 => eprintln!("no WebDriver session ({error}): again"),
            Err(error) => panic!("cannot start a WebDriver session: {error}"),
        }
    };
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

/// Waits until the signature badge of row `id` has status `want`.
pub async fn wait_badge(client: &Client, id: u64, want: &str) {
    let css = format!("[data-testid=delivery-row][data-id='{id}'] [data-testid=signature-badge]");
    let deadline = Instant::now() + TIMEOUT;
    let mut last = None;
    loop {
        if let Ok(badge) = client.find(Locator::Css(&css)).await
            && let Ok(status) = badge.attr("data-status").await
        {
            if status.as_deref() == Some(want) {
                return;
            }
            last = status;
        }
        assert!(Instant::now() < deadline, "row {id} badge stayed {last:?}, not {want}");
        sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element matching `css` reads exactly `want` ("valid" is inside "invalid").
pub async fn wait_exact(client: &Client, css: &str, want: &str) {
    let deadline = Instant::now() + TIMEOUT;
    let mut last = String::new();
    loop {
        if let Ok(el) = client.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if last.trim() == want {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{css} stayed {last:?}, not {want}");
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
