//! The browser harness: `hookscope-cli serve --ui` and a headless Chromium driven through
//! chromedriver. Like the desktop harness (see [`crate::gui`]), one browser at a time, the driver
//! and the browser in a process group that goes when the test process does, and a screenshot in
//! `artifacts/` whatever the outcome. The page is the same React app as the desktop window, so the
//! desktop's waits and selectors apply: they are re-exported here.

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

pub use crate::gui::{
    ONE_APP, TIMEOUT, click, fill, rows, select, wait_badge, wait_exact, wait_rows, wait_text,
};
use crate::{Serve, artifacts_dir, retry_on_port_taken};

/// Debian's Chromium (package `chromium`), which `.ci/setup` installs.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`), which `.ci/setup` installs.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Runs chromedriver (`$0`) in a process group of its own, led by a shell that waits on a pipe
/// from this process: when the test process goes, however it goes, the pipe closes and the shell
/// kills its group (chromedriver and the Chromium it started), so nothing outlives the test and
/// nothing else is ever killed. The shell prints `exited` when chromedriver does, which is how a
/// port taken under it is noticed.
const DRIVER_SHELL: &str = r#"
( "$0" "$@" </dev/null; echo "exited $?" ) &
read -r _
kill -KILL 0
"#;

/// Fails, never skips, when the browser the tests need is not installed.
fn require_installed() {
    for (path, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: the browser tests need Debian's `{package}` package, which \
             `bash .ci/setup` installs (or: apt-get install chromium chromium-driver)"
        );
    }
}

/// chromedriver and the Chromium it starts, in their own process group (see [`DRIVER_SHELL`]).
pub struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    /// Starts chromedriver on a free port, again on other ports should one be taken first.
    pub fn start() -> Self {
        require_installed();
        retry_on_port_taken(5, "chromedriver", Self::try_start)
    }

    /// `None` when chromedriver exited at once, as it does when its port is taken.
    fn try_start(port: u16) -> Option<Self> {
        let mut child = Command::new("sh")
            .args(["-c", DRIVER_SHELL, CHROMEDRIVER, &format!("--port={port}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("cannot run sh");
        let (tx, exited) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            // chromedriver's own banner goes through here too; only the shell's line matters.
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
                eprintln!(
                    "chromedriver exited with {code} on port {port} (taken?): trying another"
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
            assert!(Instant::now() < deadline, "chromedriver never listened on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens a session: headless Chromium with a fresh profile in `profile`.
    pub async fn session(&self, profile: &Path) -> Result<Client, String> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--window-size=1440,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            let attempt = builder.capabilities(caps.clone()).connect(&url);
            let error = match tokio::time::timeout(TIMEOUT, attempt).await {
                Ok(Ok(client)) => return Ok(client),
                Ok(Err(err)) => err.to_string(),
                Err(_) => format!("no session after {} s", TIMEOUT.as_secs()),
            };
            if Instant::now() >= deadline {
                return Err(error);
            }
            sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // Closing the pipe makes the shell kill its group; killing the group here as well does
        // not depend on the shell having got that far.
        drop(self.child.stdin.take());
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// What a browser test is given besides the session.
#[derive(Clone, Debug)]
pub struct Page {
    /// The capture listener, where deliveries are POSTed.
    pub capture: SocketAddr,
    /// The `ui:` address `serve --ui` printed, token included.
    pub ui_url: String,
    /// `http://127.0.0.1:PORT` of the UI, without path or token.
    pub origin: String,
}

/// How the page is first opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Open {
    /// The `ui:` address as printed, then wait until the app shows the capture address.
    WithToken,
    /// The UI's origin with no token, and no wait.
    WithoutToken,
}

/// Runs `checks` against `serve --ui` on `data_dir` in a fresh headless Chromium opened on the
/// printed `ui:` address, saves `artifacts/<screenshot>.png` whatever the outcome, closes
/// everything, then reports.
pub async fn with_browser<F, Fut>(data_dir: &Path, screenshot: &str, checks: F)
where
    F: FnOnce(Client, Page) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    with_browser_opening(data_dir, screenshot, Open::WithToken, checks).await;
}

/// [`with_browser`], opening the page as `open` says.
pub async fn with_browser_opening<F, Fut>(data_dir: &Path, screenshot: &str, open: Open, checks: F)
where
    F: FnOnce(Client, Page) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    require_installed();
    let _one = ONE_APP.lock().await;
    let serve = Serve::start_ui(data_dir, &[]);
    let ui_url = serve.ui_url.clone().expect("started with --ui");
    let origin = match ui_url.split_once("/#") {
        Some((origin, _)) => origin.to_owned(),
        None => panic!("the ui: address carries no #token= fragment: {ui_url}"),
    };
    let page = Page { capture: serve.addr, ui_url, origin };
    let profile = tempfile::tempdir().expect("a temp dir for the browser profile");
    let mut attempts = 0;
    let (driver, client) = loop {
        attempts += 1;
        let driver = ChromeDriver::start();
        match driver.session(profile.path()).await {
            Ok(client) => break (driver, client),
            Err(error) if attempts < 3 => eprintln!("no chromedriver session ({error}): again"),
            Err(error) => panic!("cannot start a Chromium session through chromedriver: {error}"),
        }
    };
    // A failed wait panics: catch it so that the screenshot and the clean-up still happen.
    let run = async {
        if open == Open::WithToken {
            open_ui(&client, &page).await?;
        } else {
            client.goto(&format!("{}/", page.origin)).await?;
        }
        checks(client.clone(), page.clone()).await
    };
    let result = AssertUnwindSafe(run).catch_unwind().await;
    let _ = save_screenshot(&client, screenshot).await;
    if !matches!(result, Ok(Ok(()))) {
        // What the page said is the quickest clue to why a wait gave up.
        let text = "return document.body ? document.body.innerText.slice(0, 4000) : '';";
        if let Ok(Ok(text)) = tokio::time::timeout(TIMEOUT, client.execute(text, vec![])).await {
            eprintln!("page text at the failure:\n{}", text.as_str().unwrap_or_default());
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
    drop(driver);
    drop(serve);
    drop(profile);
    match result {
        Ok(Ok(())) => {}
        Ok(Err(err)) => panic!("{err:?}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Opens the `ui:` address in the current tab and waits until the app shows the capture
/// address, which it learns only through the API (so the token was accepted).
pub async fn open_ui(client: &Client, page: &Page) -> anyhow::Result<()> {
    client.goto(&page.ui_url).await?;
    wait_text(client, "[data-testid=base-url]", &format!("http://{}", page.capture)).await;
    Ok(())
}

/// Saves the page as `artifacts/<name>.png`.
pub async fn save_screenshot(client: &Client, name: &str) -> anyhow::Result<()> {
    let png = tokio::time::timeout(TIMEOUT, client.screenshot()).await??;
    std::fs::write(artifacts_dir().join(format!("{name}.png")), png)?;
    Ok(())
}

/// The page's visible text.
pub async fn page_text(client: &Client) -> anyhow::Result<String> {
    let text = client.execute("return document.body.innerText;", vec![]).await?;
    Ok(text.as_str().unwrap_or_default().to_owned())
}

/// Whether any element matches `css` right now.
pub async fn exists(client: &Client, css: &str) -> anyhow::Result<bool> {
    Ok(!client.find_all(Locator::Css(css)).await?.is_empty())
}
