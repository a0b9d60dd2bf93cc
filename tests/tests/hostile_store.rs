//! The store under hostile conditions, through the real `hookscope-cli`: a stderr that cannot
//! be written, a disk that fills up and frees again, a damaged database file, data read by
//! other local users, and several processes opening a new data dir at once.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use hookscope_e2e::{bin, cli, list_json, request};

/// A process started by a test, killed (by its id) and reaped when dropped.
struct Proc {
    child: Child,
    addr: SocketAddr,
    _stdout: BufReader<ChildStdout>,
}

impl Proc {
    /// Spawns `cmd` (a `serve`, possibly behind a wrapper that execs it) and reads the
    /// `local:` line.
    fn serve(mut cmd: Command) -> Self {
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = match line.trim().strip_prefix("local: http://") {
            Some(addr) => addr.parse().unwrap(),
            None => {
                let status = child.wait().unwrap();
                panic!("serve did not start ({status}); first line {line:?}");
            }
        };
        Self { child, addr, _stdout: stdout }
    }

    fn post(&self, path: &str, body: &[u8]) -> (u16, serde_json::Value) {
        let mut stream = std::net::TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let raw = request("POST", path, &[("Content-Type", b"application/json")], body);
        let response = hookscope_e2e::exchange(&mut stream, &raw).unwrap();
        let json = serde_json::from_slice(&response.body).unwrap_or_default();
        (response.status, json)
    }

    fn assert_running(&mut self) {
        assert!(self.child.try_wait().unwrap().is_none(), "serve is still running");
    }

    /// SIGTERM, then the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        self.child.wait().unwrap()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(bin("hookscope-cli"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("HOOKSCOPE_DATA_DIR")
        .env("RUST_LOG", "warn")
        .env("HOOKSCOPE_NO_KEYRING", "1");
    cmd
}

/// Every stored delivery's path by id.
fn stored(data_dir: &Path) -> HashMap<i64, String> {
    list_json(data_dir, &["--limit", "10000"])
        .into_iter()
        .map(|d| (d["id"].as_i64().unwrap(), d["path"].as_str().unwrap().to_owned()))
        .collect()
}

/// A file's permission bits, in octal as `ls` and `chmod` spell them.
fn mode(path: &Path) -> String {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{:o}", meta.permissions().mode() & 0o777)
}

fn companion(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut path = db.as_os_str().to_owned();
    path.push(suffix);
    path.into()
}

#[test]
fn capture_goes_on_when_log_lines_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    // Every write to /dev/full fails with "no space left on device".
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let mut cmd = serve_command(dir.path());
    cmd.env("RUST_LOG", "debug").stderr(full);
    let mut serve = Proc::serve(cmd);
    let mut acknowledged = HashMap::new();
    for n in 0..200 {
        let path = format!("/fleiko/{n}");
        let (status, json) =
            serve.post(&path, format!(r#"{{"type":"job.completed","n":{n}}}"#).as_bytes());
        assert_eq!(status, 200, "delivery {n}: {json}");
        acknowledged.insert(json["id"].as_i64().unwrap(), path);
        if n % 50 == 0 {
            // Quiet moments: the writer's background work logs too.
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    // A path no endpoint routes logs on another code path.
    let (status, _) = serve.post("/nowhere", b"{}");
    assert_eq!(status, 200);
    serve.assert_running();
    let stored = stored(dir.path());
    for (id, path) in &acknowledged {
        assert_eq!(stored.get(id), Some(path), "acknowledged delivery {id} is stored");
    }
    assert!(serve.terminate().success(), "a clean exit");
}

#[test]
fn a_full_disk_fails_deliveries_with_503_until_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    // A file-size limit is a full disk for real as far as the process can tell: writes past
    // it fail (SIGXFSZ ignored, as the shell leaves it for the process it execs). Only the
    // soft limit is set, so it can be raised again for the running process.
    let limit = 3 << 20;
    let mut cmd = Command::new("sh");
    cmd.args(["-c", r#"trap '' XFSZ; exec prlimit --fsize="$0": -- "$@""#])
        .arg(limit.to_string())
        .arg(bin("hookscope-cli"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("HOOKSCOPE_DATA_DIR")
        .env("RUST_LOG", "error")
        .env("HOOKSCOPE_NO_KEYRING", "1");
    let mut serve = Proc::serve(cmd);
    let pad = "x".repeat(64 * 1024);
    let mut answers: Vec<(String, u16, Option<i64>)> = Vec::new();
    let send = |serve: &Proc, answers: &mut Vec<_>, n: usize| {
        let path = format!("/flovi/{n}");
        let (status, json) = serve.post(&path, format!(r#"{{"n":{n},"pad":"{pad}"}}"#).as_bytes());
        assert!(status == 200 || status == 503, "delivery {n}: {status} {json}");
        if status == 503 {
            assert_eq!(json["captured"], false, "{json}");
        }
        answers.push((path, status, json["id"].as_i64()));
        status
    };

    // Far more than fits under the limit: the disk fills up on the way.
    let mut refused_in_a_row = 0;
    let mut n = 0;
    while refused_in_a_row < 5 {
        assert!(n < 1_000, "the disk never filled up");
        refused_in_a_row =
            if send(&serve, &mut answers, n) == 503 { refused_in_a_row + 1 } else { 0 };
        n += 1;
    }
    let before_full = answers.iter().take_while(|a| a.1 == 200).count();
    assert!(before_full > 0, "deliveries were stored before the disk filled up");
    serve.assert_running();

    // Space comes back: the very next delivery is stored, and the ones after it.
    let pid = serve.child.id().to_string();
    let raised = Command::new("prlimit").args(["--pid", &pid, "--fsize=unlimited"]).status();
    assert!(raised.unwrap().success());
    for _ in 0..30 {
        assert_eq!(send(&serve, &mut answers, n), 200, "delivery {n} after space came back");
        n += 1;
    }

    let stored = stored(dir.path());
    let acknowledged: Vec<_> = answers.iter().filter(|a| a.1 == 200).collect();
    let refused = answers.len() - acknowledged.len();
    eprintln!(
        "{} acknowledged ({before_full} before the disk filled up), {refused} refused, {} stored",
        acknowledged.len(),
        stored.len()
    );
    for (path, _, id) in &acknowledged {
        let id = id.unwrap();
        assert_eq!(stored.get(&id), Some(path), "acknowledged delivery {id} is stored");
    }
    let sent: HashSet<_> = answers.iter().map(|a| a.0.as_str()).collect();
    assert!(stored.values().all(|p| sent.contains(p.as_str())));
    assert!(serve.terminate().success(), "a clean exit");
}

#[test]
fn serve_refuses_a_store_with_damaged_pages() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Proc::serve(serve_command(dir.path()));
    let pad = "d".repeat(4096);
    for n in 0..300 {
        assert_eq!(
            serve.post(&format!("/flovi/{n}"), format!(r#"{{"pad":"{pad}"}}"#).as_bytes()).0,
            200
        );
    }
    assert!(serve.terminate().success());
    let db = dir.path().join("hookscope.db");
    // Everything into the database file itself, where the damage goes.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    let page_size = conn.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)).unwrap() as u64;
    drop(conn);
    let pages = std::fs::metadata(&db).unwrap().len() / page_size;
    assert!(pages > 40, "{pages} pages");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
        file.seek(SeekFrom::Start(pages / 2 * page_size)).unwrap();
        file.write_all(&vec![0x5a; 4 * page_size as usize]).unwrap();
    }

    let mut child = serve_command(dir.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve kept running on a damaged store");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    eprintln!("{stderr}");
    assert!(!status.success());
    assert!(stdout.is_empty(), "never listened: {stdout:?}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(&db.display().to_string()), "names the file: {stderr}");
    assert!(stderr.contains("damaged") && stderr.contains(".recover"), "says what to do: {stderr}");
}

#[test]
fn data_at_rest_is_readable_by_its_owner_only() {
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = root.path().join("new/hookscope");
    let db = dir.join("hookscope.db");
    let serve = Proc::serve(serve_command(&dir));
    assert_eq!(serve.post("/fleiko", br#"{"type":"test.ping"}"#).0, 200);
    assert_eq!(mode(&dir), "700", "the data dir");
    assert_eq!(mode(root.path()), "755", "the dirs above it are left alone");
    for path in [
        db.clone(),
        companion(&db, "-wal"),
        companion(&db, "-shm"),
        dir.join("secret.key"),
        dir.join("hookscope.lock"),
    ] {
        assert_eq!(mode(&path), "600", "{}", path.display());
    }

    // An export, new or over a file others could read.
    let new_export = root.path().join("deliveries.har");
    let old_export = root.path().join("old.json");
    std::fs::write(&old_export, "older export").unwrap();
    std::fs::set_permissions(&old_export, std::fs::Permissions::from_mode(0o644)).unwrap();
    for (out, format) in [(&new_export, "har"), (&old_export, "json")] {
        let result = cli(&[
            "export",
            "--data-dir",
            dir.to_str().unwrap(),
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
        assert_eq!(mode(out), "600", "{}", out.display());
        assert!(std::fs::read_to_string(out).unwrap().contains("test.ping"));
    }
    assert!(serve.terminate().success());

    // A store from before: opened by any command, it is tightened.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for name in ["hookscope.db", "secret.key", "hookscope.lock"] {
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let listed = cli(&["endpoint", "list", "--data-dir", dir.to_str().unwrap()]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    assert_eq!(mode(&dir), "700");
    for name in ["hookscope.db", "secret.key", "hookscope.lock"] {
        assert_eq!(mode(&dir.join(name)), "600", "{name}");
    }
    assert_eq!(list_json(&dir, &[]).len(), 1, "the delivery is still there");
}

#[test]
fn processes_opening_a_new_data_dir_at_once_all_succeed() {
    for round in 0..3 {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("hookscope");
        let dir_arg = dir.to_str().unwrap();
        let commands: Vec<Vec<&str>> = (0..8)
            .map(|n| {
                if n % 2 == 0 {
                    vec!["endpoint", "list", "--data-dir", dir_arg]
                } else {
                    vec!["list", "--data-dir", dir_arg]
                }
            })
            .collect();
        let mut children: Vec<_> = commands
            .iter()
            .map(|args| {
                Command::new(bin("hookscope-cli"))
                    .args(args)
                    .env_remove("HOOKSCOPE_DATA_DIR")
                    .env("HOOKSCOPE_NO_KEYRING", "1")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let serve = Proc::serve(serve_command(&dir));
        for (child, args) in children.drain(..).zip(&commands) {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "round {round}: {args:?} failed: {stderr}");
            // A new store logs its migration; nothing worse.
            assert!(!stderr.to_lowercase().contains("error"), "round {round}: {args:?}: {stderr}");
        }
        let (status, json) = serve.post("/flowella", b"{}");
        assert_eq!(status, 200, "{json}");
        let endpoints = cli(&["endpoint", "list", "--json", "--data-dir", dir_arg]);
        let endpoints: Vec<serde_json::Value> = serde_json::from_slice(&endpoints.stdout).unwrap();
        assert_eq!(endpoints.len(), 3, "the default endpoints, once each");
        assert!(serve.terminate().success());
    }
}

#[test]
fn a_clean_stop_leaves_no_long_write_ahead_log_behind() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Proc::serve(serve_command(dir.path()));
    // Enough deliveries that the log holds megabytes when the stop comes. Binary bodies are not
    // indexed for search, so what background indexing writes after the log is emptied stays
    // small (a few pages for the paths and headers).
    let body = vec![0xff_u8; 64 * 1024];
    for _ in 0..200 {
        assert_eq!(serve.post("/fleiko", &body).0, 200);
    }
    assert!(serve.terminate().success());
    let wal = companion(&dir.path().join("hookscope.db"), "-wal");
    let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
    // Emptied: at most what background indexing wrote after the copy, not the 12.5 MiB the
    // deliveries took.
    assert!(left < 1024 * 1024, "{left} bytes of log left after a clean stop");
    assert_eq!(stored(dir.path()).len(), 200);
}
