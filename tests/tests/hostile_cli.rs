//! The CLI facing hostile captured data and large stores: terminal escapes in payloads, HAR
//! imports of any size (complete or nothing, retention, the body limit, memory), and listing
//! past one page. Real processes, real sockets, real files.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hookscope_e2e::{Serve, bin, cli, fleiko_headers, list_json, post, show};

fn dir_arg(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = cli(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Panics when `output` holds a character a terminal would act on: a C0 control other than a
/// line break, tab or a carriage return ending a line, DEL, a C1 control, or a bidi/zero-width
/// format character.
fn assert_inert(what: &str, output: &[u8]) {
    let text = String::from_utf8_lossy(output);
    let chars: Vec<char> = text.chars().collect();
    for (at, &c) in chars.iter().enumerate() {
        let line_end = c == '\r' && chars.get(at + 1) == Some(&'\n');
        let control = c.is_control() && c != '\n' && c != '\t' && !line_end;
        let format = matches!(
            c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}' | '\u{2029}'
                | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        );
        let around: String =
            chars[at.saturating_sub(30)..(at + 30).min(chars.len())].iter().collect();
        assert!(
            !control && !format,
            "{what}: raw U+{:04X} reaches the terminal: {around:?}",
            c as u32
        );
    }
}

fn stdout_of(args: &[&str]) -> Vec<u8> {
    let out = cli(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert_inert(&format!("stderr of {args:?}"), &out.stderr);
    out.stdout
}

/// An open HAR document written entry by entry, as a large export would be.
struct HarWriter {
    out: std::io::BufWriter<std::fs::File>,
    first: bool,
}

impl HarWriter {
    fn create(path: &Path) -> Self {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        out.write_all(
            br#"{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":["#,
        )
        .unwrap();
        Self { out, first: true }
    }

    fn entry(&mut self, entry: &serde_json::Value) {
        if !self.first {
            self.out.write_all(b",").unwrap();
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, entry).unwrap();
    }

    /// Writes raw JSON text as the next entry (to make a broken one).
    fn raw(&mut self, text: &str) {
        if !self.first {
            self.out.write_all(b",").unwrap();
        }
        self.first = false;
        self.out.write_all(text.as_bytes()).unwrap();
    }

    fn finish(mut self) {
        self.out.write_all(b"]}}").unwrap();
        self.out.flush().unwrap();
    }
}

fn entry(path: &str, headers: &[(&str, &str)], body: &str) -> serde_json::Value {
    let headers: Vec<_> =
        headers.iter().map(|(n, v)| serde_json::json!({ "name": n, "value": v })).collect();
    serde_json::json!({
        "startedDateTime": "2024-05-01T10:00:00.000Z",
        "time": 1.5,
        "request": {
            "method": "POST",
            "url": format!("http://127.0.0.1:8787{path}"),
            "httpVersion": "HTTP/1.1",
            "headers": headers,
            "queryString": [],
            "postData": { "mimeType": "text/plain", "text": body },
        },
        "response": { "status": 200, "content": { "size": 0, "text": "ignored" } },
    })
}

/// A HAR of `count` small entries, each with its number in the path and body.
fn small_har(path: &Path, count: usize) {
    let mut har = HarWriter::create(path);
    for n in 0..count {
        har.entry(&entry(
            &format!("/bulk/{n}"),
            &[("Content-Type", "text/plain")],
            &format!("n={n}"),
        ));
    }
    har.finish();
}

/// Row counts read straight from the database file, around the CLI.
fn counts(dir: &Path) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(dir.join("hookscope.db")).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        count("SELECT count(*) FROM deliveries"),
        count("SELECT count(*) FROM imported_deliveries"),
        count("SELECT coalesce(max(id), 0) FROM deliveries"),
    )
}

#[test]
fn terminal_escapes_in_captured_data_are_shown_escaped_and_stay_exact_in_json_and_raw() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let serve = Serve::start(dir.path(), &[]);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        as i64;
    // The event type holds an OSC that retitles the window (JSON-escaped in the body, raw once
    // decoded); a text body carries raw ESC, BEL, a C1 CSI and a right-to-left override.
    let event = "\u{1b}]0;pwned\u{7}";
    let json_body = |id: &str, note: &str| {
        serde_json::to_string_pretty(&serde_json::json!({
            "id": id, "type": event, "created": 1, "data": { "note": note },
        }))
        .unwrap()
    };
    let body_a = json_body("evt_1", "plain");
    let body_b = json_body("evt_2", "\u{1b}[5mblink\u{202e}");
    let body_c = "line one\n\u{1b}[2J\u{7}\u{9b}31m\u{202e}gpj.exe\r\n\tend\n".to_owned();
    // Over HTTP a path and a header value cannot carry C0 controls, but they can carry C1
    // controls and bidi overrides as UTF-8.
    let evil_path = "/fleiko/a\u{9b}31mb\u{202e}c";
    let evil_header = "x\u{9b}2J\u{202e}y";
    let mut ids = Vec::new();
    for (body, delivery) in [(&body_a, "dlv_a"), (&body_b, "dlv_b"), (&body_c, "dlv_c")] {
        let mut headers = fleiko_headers("whsec_t", t, body, delivery, 1);
        headers.push(("X-Evil".into(), evil_header.into()));
        let headers: Vec<(&str, &[u8])> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
        let response = post(&serve, evil_path, &headers, body.as_bytes());
        assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
        ids.push(response.json()["id"].as_u64().unwrap());
    }
    drop(serve);

    // A HAR can carry anything, C0 controls in the path and headers included.
    let har = dir.path().join("evil.har");
    let mut writer = HarWriter::create(&har);
    writer.entry(&entry("/flovi/\u{1b}]0;x\u{7}", &[("X-Esc", "\u{1b}[31mred\u{7}")], "\u{1b}c"));
    writer.finish();
    let imported = ok(&["import", har.to_str().unwrap(), "--data-dir", d]);
    assert_inert("import", imported.as_bytes());
    let har_id = list_json(dir.path(), &["--limit", "1"])[0]["id"].as_u64().unwrap();

    let list = stdout_of(&["list", "--data-dir", d]);
    assert_inert("list", &list);
    let list = String::from_utf8(list).unwrap();
    assert!(list.contains("\\u{1b}]0;pwned\\u{7}"), "the event type is shown escaped: {list}");
    assert!(list.contains("\\u{9b}31mb\\u{202e}c"), "the path is shown escaped: {list}");
    for id in [ids[0], ids[1], ids[2], har_id] {
        let shown = stdout_of(&["show", &id.to_string(), "--data-dir", d]);
        assert_inert(&format!("show {id}"), &shown);
        assert!(String::from_utf8_lossy(&shown).contains("\\u{"), "show {id} escapes something");
    }
    let shown =
        String::from_utf8(stdout_of(&["show", &ids[2].to_string(), "--data-dir", d])).unwrap();
    assert!(shown.contains("X-Evil: x\\u{9b}2J\\u{202e}y"), "{shown}");
    assert!(
        shown.contains("line one\n\\u{1b}[2J\\u{7}\\u{9b}31m\\u{202e}gpj.exe\r\n\tend\n"),
        "body lines kept: {shown}"
    );
    for (a, b) in [(ids[0], ids[1]), (ids[0], ids[2])] {
        let diff = stdout_of(&["diff", &a.to_string(), &b.to_string(), "--data-dir", d]);
        assert_inert("diff", &diff);
        let diff = String::from_utf8(diff).unwrap();
        assert!(diff.contains("\\u{202e}"), "{diff}");
    }

    // verify quotes what the header carried.
    let body_file = dir.path().join("body");
    std::fs::write(&body_file, &body_a).unwrap();
    let header = "X-Fleiko-Signature: t=1,v1=00,\u{1b}]0;pwned\u{7}=1";
    let verified = cli(&[
        "verify",
        "--provider",
        "fleiko",
        "--secret",
        "s",
        "--header",
        header,
        "--body-file",
        body_file.to_str().unwrap(),
        "--now",
        "1",
    ]);
    assert_eq!(verified.status.code(), Some(1));
    assert_inert("verify", &verified.stdout);
    assert_inert("verify's stderr", &verified.stderr);
    assert!(String::from_utf8_lossy(&verified.stdout).contains("\\u{1b}]0;pwned\\u{7}"));

    // --raw and --json stay exact.
    assert_eq!(show(dir.path(), ids[2], &["--raw"]), body_c.as_bytes());
    let json: serde_json::Value =
        serde_json::from_slice(&show(dir.path(), ids[2], &["--json"])).unwrap();
    assert_eq!(json["path"], evil_path);
    assert_eq!(json["bodyText"], body_c.as_str());
    let json: serde_json::Value =
        serde_json::from_slice(&show(dir.path(), ids[0], &["--json"])).unwrap();
    assert_eq!(json["eventType"], event);
    assert!(
        json["headers"].as_array().unwrap().iter().any(|h| h[0] == "X-Evil" && h[1] == evil_header)
    );
    let listed = list_json(dir.path(), &[]);
    assert!(listed.iter().any(|d| d["eventType"] == event), "list --json keeps the event type");
    let har_json: serde_json::Value =
        serde_json::from_slice(&show(dir.path(), har_id, &["--json"])).unwrap();
    assert_eq!(har_json["path"], "/flovi/\u{1b}]0;x\u{7}");
    assert_eq!(show(dir.path(), har_id, &["--raw"]), b"\x1bc");
}

#[test]
fn a_har_of_120_000_entries_imports_completely_and_retention_prunes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let har = dir.path().join("bulk.har");
    small_har(&har, 120_000);
    let started = Instant::now();
    // Past the default retention (100 000): keep them all.
    let printed = ok(&["import", har.to_str().unwrap(), "--retention", "200000", "--data-dir", d]);
    println!("imported 120 000 entries in {:.1?}: {}", started.elapsed(), printed.trim());
    assert!(printed.starts_with("imported 120000 deliveries as #1..#120000"), "{printed}");
    assert!(!printed.contains("pruned"), "{printed}");
    assert_eq!(counts(dir.path()), (120_000, 120_000, 120_000));
    let body = show(dir.path(), 120_000, &["--raw"]);
    assert_eq!(body, b"n=119999", "the last entry is the newest delivery");

    // Again, keeping 150 000: the oldest 90 000 go, after the import and in the same step.
    let printed = ok(&["import", har.to_str().unwrap(), "--retention", "150000", "--data-dir", d]);
    println!("{}", printed.trim());
    assert!(
        printed.starts_with(
            "imported 120000 deliveries as #120001..#240000; pruned 90000 older ones to keep the newest 150000"
        ),
        "{printed}"
    );
    assert_eq!(counts(dir.path()), (150_000, 150_000, 240_000));
    let oldest = list_json(dir.path(), &["--before", "90002", "--limit", "5"]);
    let oldest: Vec<u64> = oldest.iter().map(|d| d["id"].as_u64().unwrap()).collect();
    assert_eq!(oldest, [90_001], "everything older than the newest 150 000 is gone");
}

#[test]
fn a_har_that_fails_midway_changes_nothing_and_names_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let first = dir.path().join("first.har");
    small_har(&first, 3);
    ok(&["import", first.to_str().unwrap(), "--data-dir", d]);
    let before = counts(dir.path());
    let listed_before = stdout_of(&["list", "--json", "--data-dir", d]);

    // An entry without a method near the end of 5 000.
    let bad = dir.path().join("bad.har");
    let mut har = HarWriter::create(&bad);
    for n in 0..5_000 {
        if n == 4_990 {
            har.raw(r#"{"request":{"url":"http://h/x"}}"#);
        } else {
            har.entry(&entry(&format!("/bulk/{n}"), &[], "x"));
        }
    }
    har.finish();
    let refused = cli(&["import", bad.to_str().unwrap(), "--retention", "10", "--data-dir", d]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("log.entries[4990]") && stderr.contains("method"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");

    // A file cut off in the middle of an entry, and an entry of the wrong type.
    let text = std::fs::read_to_string(&bad).unwrap();
    let cut = dir.path().join("cut.har");
    let whole = text.replacen(
        r#"{"request":{"url":"http://h/x"}}"#,
        r#"{"request":{"method":"GET","url":"http://h/"}}"#,
        1,
    );
    std::fs::write(&cut, &whole[..whole.len() - 200]).unwrap();
    let wrong = dir.path().join("wrong.har");
    std::fs::write(
        &wrong,
        text.replacen(r#"{"request":{"url":"http://h/x"}}"#, r#"{"request":5}"#, 1),
    )
    .unwrap();
    for (file, expect) in [(&cut, "EOF"), (&wrong, "log.entries[4990]")] {
        let refused =
            cli(&["import", file.to_str().unwrap(), "--retention", "10", "--data-dir", d]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expect), "{expect}: {stderr}");
    }
    assert_eq!(counts(dir.path()), before, "nothing stored, marked or pruned");
    assert_eq!(stdout_of(&["list", "--json", "--data-dir", d]), listed_before);
}

#[test]
fn an_imported_body_over_the_limit_is_recorded_without_it_and_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let har = dir.path().join("big.har");
    let big = "b".repeat(3 << 20);
    let mut writer = HarWriter::create(&har);
    writer.entry(&entry("/flovi/small", &[], "kept"));
    writer.entry(&entry("/flovi/big", &[], &big));
    let mut base64 = entry("/flovi/big64", &[], "");
    // Base64 counts by the bytes it stands for: 2 MiB and a byte.
    base64["request"]["postData"] = serde_json::json!({
        "mimeType": "application/octet-stream",
        "encoding": "base64",
        "text": "AAAA".repeat((2 << 20) / 3 + 1),
    });
    writer.entry(&base64);
    writer.finish();
    let printed = ok(&["import", har.to_str().unwrap(), "--max-body", "1048576", "--data-dir", d]);
    println!("{printed}");
    assert!(printed.starts_with("imported 3 deliveries as #1..#3"), "{printed}");
    assert!(
        printed.contains(
            "log.entries[1] (#2): body of 3145728 bytes exceeds the 1048576 byte limit: stored without it"
        ),
        "{printed}"
    );
    assert!(printed.contains("log.entries[2] (#3): body of 2097153 bytes exceeds"), "{printed}");
    assert_eq!(show(dir.path(), 1, &["--raw"]), b"kept");
    for (id, size) in [(2, 3_145_728u64), (3, 2_097_153)] {
        let json: serde_json::Value =
            serde_json::from_slice(&show(dir.path(), id, &["--json"])).unwrap();
        assert_eq!(json["bodyStored"], false, "#{id}");
        assert_eq!(json["bodySize"], size, "#{id}");
        assert!(json["summary"].as_str().unwrap().contains("stored without it"), "#{id}");
        assert!(show(dir.path(), id, &["--raw"]).is_empty());
        let human = String::from_utf8(show(dir.path(), id, &[])).unwrap();
        assert!(
            human.contains("(body refused)") && human.contains("1048576 byte limit"),
            "{human}"
        );
    }
}

/// Runs `hookscope-cli` and returns its output with its peak resident set (VmHWM), read from
/// /proc while it runs.
fn run_measured(args: &[&str]) -> (Output, u64) {
    let child = Command::new(bin("hookscope-cli"))
        .args(args)
        .env("HOOKSCOPE_NO_KEYRING", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let poller = std::thread::spawn(move || {
        let mut peak_kib = 0u64;
        while done_rx.try_recv().is_err() {
            if let Ok(text) = std::fs::read_to_string(&status) {
                for line in text.lines() {
                    if let Some(kib) = line.strip_prefix("VmHWM:") {
                        let kib = kib.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
                        peak_kib = peak_kib.max(kib);
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        peak_kib
    });
    let output = child.wait_with_output().unwrap();
    done_tx.send(()).unwrap();
    (output, poller.join().unwrap() * 1024)
}

#[test]
fn importing_a_200_mb_har_keeps_memory_near_its_largest_body() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let har = dir.path().join("large.har");
    const MIB: usize = 1 << 20;
    let stored = 16 * MIB;
    let oversize = 30 * MIB;
    let mut writer = HarWriter::create(&har);
    for n in 0..12 {
        let fill = (b'a' + n as u8) as char;
        writer.entry(&entry(&format!("/flovi/{n}"), &[], &fill.to_string().repeat(stored)));
    }
    writer.entry(&entry("/flovi/huge", &[], &"z".repeat(oversize)));
    writer.finish();
    let file_size = std::fs::metadata(&har).unwrap().len();
    let largest = oversize as u64;

    let started = Instant::now();
    let (output, peak) = run_measured(&["import", har.to_str().unwrap(), "--data-dir", d]);
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    println!(
        "import of a {} MiB HAR (largest body {} MiB) took {:.1?}; peak RSS {} MiB",
        file_size >> 20,
        largest >> 20,
        started.elapsed(),
        peak >> 20
    );
    assert!(peak > 0, "the peak was measured");
    assert!(printed.starts_with("imported 13 deliveries"), "{printed}");
    assert!(printed.contains("log.entries[12] (#13): body of 31457280 bytes exceeds"), "{printed}");
    // The whole file in memory would be 220 MiB; a few copies of the largest body at most.
    assert!(
        peak < 4 * largest + (48 << 20),
        "peak RSS {} MiB for a {} MiB file whose largest body is {} MiB",
        peak >> 20,
        file_size >> 20,
        largest >> 20
    );
    assert_eq!(show(dir.path(), 12, &["--raw"]).len(), stored);
}

#[test]
fn list_honours_limits_past_one_page_and_pages_with_before() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir_arg(dir.path());
    let har = dir.path().join("many.har");
    small_har(&har, 12_500);
    ok(&["import", har.to_str().unwrap(), "--data-dir", d]);

    let all = list_json(dir.path(), &["--limit", "20000"]);
    assert_eq!(all.len(), 12_500, "every delivery, not one page of 10 000");
    let ids: Vec<u64> = all.iter().map(|d| d["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "newest first, none skipped or repeated");
    assert_eq!((ids[0], ids[12_499]), (12_500, 1));

    let page = list_json(dir.path(), &["--limit", "11000"]);
    assert_eq!(page.len(), 11_000);
    let last = page.last().unwrap()["id"].as_u64().unwrap();
    assert_eq!(last, 1_501);
    let next = list_json(dir.path(), &["--limit", "11000", "--before", &last.to_string()]);
    let next: Vec<u64> = next.iter().map(|d| d["id"].as_u64().unwrap()).collect();
    assert_eq!(next, (1..=1_500).rev().collect::<Vec<u64>>(), "the rest, from just below");

    let table =
        String::from_utf8(stdout_of(&["list", "--limit", "3", "--before", "10", "--data-dir", d]))
            .unwrap();
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(
        rows[0].trim_start().starts_with("9 ") && rows[2].trim_start().starts_with("7 "),
        "{table}"
    );
    let searched = list_json(dir.path(), &["--search", "bulk", "--limit", "10500"]);
    assert_eq!(searched.len(), 10_500, "searches page too");
}
