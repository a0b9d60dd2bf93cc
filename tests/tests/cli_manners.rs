//! How the CLI behaves around its output: quiet stderr unless asked, counts in the right
//! number, a reader that stops early, imported deliveries marked, and search answering the
//! same before and after the index catches up. Real processes, real pipes, real files.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use hookscope_e2e::{Serve, bin, fleiko_headers, post, wait_for};

/// `hookscope-cli` with `args`, logging left to its defaults (no RUST_LOG from the caller).
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin("hookscope-cli"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("HOOKSCOPE_DATA_DIR")
        .env("HOOKSCOPE_NO_KEYRING", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Runs `args`, asserts success and an empty stderr, and returns stdout.
fn quiet(args: &[&str]) -> String {
    quiet_with_env(args, &[])
}

fn quiet_with_env(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(args, env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    assert!(stderr.is_empty(), "{args:?} wrote to stderr: {stderr:?}");
    String::from_utf8(out.stdout).unwrap()
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
        "response": { "status": 200, "content": { "size": 0, "text": "" } },
    })
}

fn write_har(path: &Path, entries: &[serde_json::Value]) {
    let har = serde_json::json!({
        "log": { "version": "1.2", "creator": { "name": "test", "version": "1" }, "entries": entries }
    });
    std::fs::write(path, serde_json::to_vec(&har).unwrap()).unwrap();
}

fn plain(n: usize) -> Vec<serde_json::Value> {
    (0..n).map(|i| entry(&format!("/plain/{i}"), &[], &format!("n={i}"))).collect()
}

#[test]
fn ordinary_commands_write_nothing_to_stderr_and_v_shows_logs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let d = d.to_str().unwrap();
    // The first command migrates a new store: that is a log line, not output.
    quiet(&["list", "--data-dir", d]);
    quiet(&["endpoint", "list", "--data-dir", d]);
    let har = dir.path().join("one.har");
    write_har(&har, &plain(1));
    quiet(&["import", har.to_str().unwrap(), "--data-dir", d]);
    quiet(&["list", "--data-dir", d]);
    quiet(&["list", "--json", "--data-dir", d]);
    quiet(&["show", "1", "--data-dir", d]);
    quiet(&["show", "1", "--json", "--data-dir", d]);

    let fresh = dir.path().join("fresh");
    let out = run(&["-v", "list", "--data-dir", fresh.to_str().unwrap()], &[]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.to_lowercase().contains("migrated"), "-v shows the migration: {stderr:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("migrated"), "logs stay off stdout");
    // RUST_LOG still decides when set.
    let again = dir.path().join("again");
    let out = run(&["list", "--data-dir", again.to_str().unwrap()], &[("RUST_LOG", "info")]);
    assert!(String::from_utf8_lossy(&out.stderr).to_lowercase().contains("migrated"));
}

#[test]
fn counts_read_right_for_one_and_for_two() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let d = d.to_str().unwrap();
    let one = dir.path().join("one.har");
    write_har(&one, &[entry("/fleiko/a", &[], "{}")]);
    let two = dir.path().join("two.har");
    write_har(&two, &[entry("/fleiko/b", &[], "{}"), entry("/fleiko/c", &[], "{}")]);

    let out = quiet(&["import", one.to_str().unwrap(), "--data-dir", d]);
    assert_eq!(out.trim(), "imported 1 delivery as #1");
    let out = quiet(&["import", two.to_str().unwrap(), "--data-dir", d]);
    assert_eq!(out.trim(), "imported 2 deliveries as #2..#3");
    let out = quiet(&["import", one.to_str().unwrap(), "--retention", "3", "--data-dir", d]);
    assert_eq!(out.trim(), "imported 1 delivery as #4; pruned 1 older one to keep the newest 3");
    let out = quiet(&["import", two.to_str().unwrap(), "--retention", "3", "--data-dir", d]);
    assert_eq!(
        out.trim(),
        "imported 2 deliveries as #5..#6; pruned 2 older ones to keep the newest 3"
    );

    // Three fleiko deliveries are left (#4..#6); one secret, then two.
    let set = ["endpoint", "set-secrets", "fleiko", "--data-dir", d, "--secret-env", "A"];
    let out = quiet_with_env(&set, &[("A", "whsec_one")]);
    assert_eq!(out.trim(), "fleiko: 1 secret set; re-verified 3 deliveries");
    let mut both = set.to_vec();
    both.extend(["--secret-env", "B"]);
    let out = quiet_with_env(&both, &[("A", "whsec_one"), ("B", "whsec_two")]);
    assert_eq!(out.trim(), "fleiko: 2 secrets set; re-verified 3 deliveries");
    // One delivery on an endpoint of its own.
    let out = quiet(&[
        "endpoint",
        "add",
        "--name",
        "solo",
        "--path",
        "/solo",
        "--provider",
        "fleiko",
        "--data-dir",
        d,
    ]);
    assert_eq!(out.trim(), "added endpoint solo at /solo with 0 secrets");
    let solo = dir.path().join("solo.har");
    write_har(&solo, &[entry("/solo/x", &[], "{}")]);
    quiet(&["import", solo.to_str().unwrap(), "--data-dir", d]);
    let out = quiet_with_env(
        &["endpoint", "set-secrets", "solo", "--data-dir", d, "--secret-env", "A"],
        &[("A", "whsec_one")],
    );
    assert_eq!(out.trim(), "solo: 1 secret set; re-verified 1 delivery");

    let file = dir.path().join("out.har");
    let f = file.to_str().unwrap();
    let out = run(&["export", "4", "--out", f, "--data-dir", d], &[]);
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), format!("exported 1 delivery to {f}"));
    let out = run(&["export", "4", "5", "--out", f, "--data-dir", d], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!("exported 2 deliveries to {f}")
    );
    let out = run(&["export", "--out", f, "--data-dir", d], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!("exported every delivery to {f}")
    );
}

/// Runs `args` with stdout a pipe whose reader is already gone, so the first write fails.
fn into_closed_pipe(args: &[&str], env: &[(&str, &str)]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = Command::new(bin("hookscope-cli"))
        .args(args)
        .env_remove("RUST_LOG")
        .env("HOOKSCOPE_NO_KEYRING", "1")
        .envs(env.iter().copied())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_reader_that_stops_early_gets_no_broken_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let d = d.to_str().unwrap();
    // Output well past a pipe's buffer, so a reader stopping after a line leaves writes behind.
    let har = dir.path().join("many.har");
    let mut entries = plain(1_500);
    entries.push(entry("/big", &[], &"body line\n".repeat(20_000)));
    write_har(&har, &entries);
    quiet(&["import", har.to_str().unwrap(), "--data-dir", d]);
    let body = dir.path().join("body.json");
    let text = r#"{"id":"evt_1","type":"job.completed"}"#;
    std::fs::write(&body, text).unwrap();
    let headers = fleiko_headers("whsec_pipe", 1_700_000_000, text, "dlv_1", 1);
    let mut verify = vec![
        "verify".to_owned(),
        "--provider".into(),
        "fleiko".into(),
        "--secret".into(),
        "whsec_pipe".into(),
        "--now".into(),
        "1700000000".into(),
        "--body-file".into(),
        body.to_str().unwrap().into(),
    ];
    for (name, value) in &headers {
        verify.extend(["--header".into(), format!("{name}: {value}")]);
    }
    let verify: Vec<&str> = verify.iter().map(String::as_str).collect();
    let mut invalid = verify.clone();
    invalid[4] = "whsec_wrong";

    let commands: Vec<(Vec<&str>, i32)> = vec![
        (vec!["list", "--limit", "2000", "--data-dir", d], 0),
        (vec!["list", "--json", "--limit", "2000", "--data-dir", d], 0),
        (vec!["show", "1501", "--data-dir", d], 0),
        (vec!["show", "1501", "--json", "--data-dir", d], 0),
        (vec!["show", "1501", "--raw", "--data-dir", d], 0),
        (vec!["export", "--data-dir", d], 0),
        (vec!["endpoint", "list", "--data-dir", d], 0),
        // The verdict survives: valid 0, invalid 1, whoever reads the explanation.
        (verify.clone(), 0),
        (invalid.clone(), 1),
    ];
    for (args, status) in &commands {
        let out = into_closed_pipe(args, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*status), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} wrote to stderr: {stderr:?}");
    }

    // `| head -1`: a reader that takes one line and goes.
    for args in [vec!["list", "--limit", "2000", "--data-dir", d], vec!["export", "--data-dir", d]]
    {
        let mut child = Command::new(bin("hookscope-cli"))
            .args(&args)
            .env_remove("RUST_LOG")
            .env("HOOKSCOPE_NO_KEYRING", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(!line.is_empty());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} wrote to stderr: {stderr:?}");
    }
}

#[test]
fn imported_deliveries_are_marked_in_list_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let serve = Serve::start(&data, &[]);
    let captured = post(&serve, "/flovi/live", &[], b"{}");
    assert_eq!(captured.status, 200);
    drop(serve);
    let har = dir.path().join("from-browser.har");
    write_har(&har, &plain(1));
    quiet(&["import", har.to_str().unwrap(), "--data-dir", d]);

    let list: Vec<serde_json::Value> =
        serde_json::from_str(&quiet(&["list", "--json", "--data-dir", d])).unwrap();
    assert_eq!(list.len(), 2);
    let (imported, live) = (&list[0], &list[1]);
    assert_eq!(imported["imported"], true, "{imported}");
    assert_eq!(imported["importSource"], "from-browser.har");
    assert!(imported["importedAt"].as_i64().unwrap() > 1_700_000_000_000);
    assert_eq!(live["imported"], false, "{live}");
    assert!(live.get("importSource").is_none());

    let id = imported["id"].as_u64().unwrap().to_string();
    let shown: serde_json::Value =
        serde_json::from_str(&quiet(&["show", &id, "--json", "--data-dir", d])).unwrap();
    assert_eq!(shown["imported"], true);
    assert_eq!(shown["importSource"], "from-browser.har");
    let live_id = live["id"].as_u64().unwrap().to_string();
    let shown: serde_json::Value =
        serde_json::from_str(&quiet(&["show", &live_id, "--json", "--data-dir", d])).unwrap();
    assert_eq!(shown["imported"], false);

    let table = quiet(&["list", "--data-dir", d]);
    let marked: Vec<&str> = table.lines().filter(|l| l.ends_with("(imported)")).collect();
    assert_eq!(marked.len(), 1, "{table}");
    assert!(marked[0].contains("/plain/0"), "{table}");
    let human = quiet(&["show", &id, "--data-dir", d]);
    assert!(human.lines().any(|l| l.starts_with("imported") && l.contains("from-browser.har")));
    let human = quiet(&["show", &live_id, "--data-dir", d]);
    assert!(!human.lines().any(|l| l.starts_with("imported")), "{human}");
}

/// Texts whose words fold (case, accents, ligatures, other scripts) and the queries to try.
const TRICKY_BODIES: [&str; 10] = [
    "Åsa Öberg paid",
    "ÉCOLE normale supérieure",
    "Straße in München",
    "naïve café crème",
    "e\u{301}cole de\u{301}compose\u{301}e",
    "Ελληνικά Άλφα",
    "日本語テキスト",
    "evt_7f3a9c job.completed",
    "ﬁnance İstanbul ǅemal",
    "ＡＢＣ fullwidth ①②",
];
const TRICKY_QUERIES: [&str; 30] = [
    "asa",
    "ÅSA",
    "oberg",
    "ecole",
    "école",
    "ÉCOLE",
    "superieure",
    "strasse",
    "straße",
    "STRASSE",
    "munchen",
    "naive cafe",
    "cafe naive",
    "creme",
    "decompose",
    "ελληνικα",
    "αλφα",
    "日本",
    "テキスト",
    "evt_7f3",
    "7f3a",
    "completed job",
    "finance",
    "ﬁ",
    "istanbul",
    "dzemal",
    "abc",
    "ａｂｃ",
    "e",
    "nothing-here",
];

fn search_ids(d: &str, query: &str) -> Vec<u64> {
    let out = quiet(&["list", "--json", "--search", query, "--data-dir", d]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    rows.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

#[test]
fn search_answers_the_same_before_and_after_indexing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let har = dir.path().join("tricky.har");
    let entries: Vec<_> = TRICKY_BODIES
        .iter()
        .enumerate()
        .map(|(n, body)| entry(&format!("/t/{n}"), &[], body))
        .collect();
    write_har(&har, &entries);
    quiet(&["import", har.to_str().unwrap(), "--data-dir", d]);
    let indexed_upto = || -> i64 {
        let db = rusqlite::Connection::open(data.join("hookscope.db")).unwrap();
        db.query_row("SELECT value FROM meta WHERE key = 'fts_indexed_upto'", [], |r| r.get(0))
            .unwrap()
    };
    // Imported rows wait for a writer to index them: nothing has yet.
    assert_eq!(indexed_upto(), 0);
    let before: Vec<Vec<u64>> = TRICKY_QUERIES.iter().map(|q| search_ids(d, q)).collect();

    let serve = Serve::start(&data, &[]);
    wait_for(Duration::from_secs(60), "the index to catch up", || {
        (indexed_upto() == TRICKY_BODIES.len() as i64).then_some(())
    });
    drop(serve);
    let after: Vec<Vec<u64>> = TRICKY_QUERIES.iter().map(|q| search_ids(d, q)).collect();
    for ((query, before), after) in TRICKY_QUERIES.iter().zip(&before).zip(&after) {
        assert_eq!(before, after, "{query:?}: scanned {before:?}, indexed {after:?}");
    }
    let found = |query: &str| &after[TRICKY_QUERIES.iter().position(|q| *q == query).unwrap()];
    // Ids follow the bodies' order, from 1.
    assert_eq!(found("asa"), &[1]);
    assert!(found("ecole").contains(&2), "{:?}", found("ecole"));
    assert_eq!(found("école"), found("ecole"));
    assert_eq!(found("naive cafe"), &[4]);
    assert_eq!(found("cafe naive"), &[4]);
    assert_eq!(found("evt_7f3"), &[8]);
    assert!(found("nothing-here").is_empty());
}
