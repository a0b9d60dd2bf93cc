//! Provider intelligence through the real binaries: `verify` against the published vectors,
//! endpoints and secrets through `endpoint`, and signed deliveries captured by `serve`.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookscope_e2e::{
    Serve, cli, cli_with_env, fleiko_headers, hmac_hex, list_json, post, wait_for,
};

/// The providers' published vectors, kept in the repository beside the core's own tests.
const VECTORS: &str =
    include_str!("../../src-tauri/crates/core/src/providers/fixtures/signatures.json");

fn vectors() -> serde_json::Value {
    serde_json::from_str(VECTORS).unwrap()
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn verify_agrees_with_every_published_vector() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = vectors();
    let mut checked = 0;
    for provider in ["flovi", "flowella", "fleiko"] {
        for (i, v) in vectors[provider].as_array().unwrap().iter().enumerate() {
            let body = dir.path().join(format!("{provider}-{i}.body"));
            std::fs::write(&body, v["body"].as_str().unwrap()).unwrap();
            let mut args = vec![
                "verify".to_owned(),
                "--provider".into(),
                provider.into(),
                "--secret-env".into(),
                "VECTOR_SECRET".into(),
                "--header".into(),
                v["header"].as_str().unwrap().into(),
                "--body-file".into(),
                body.to_str().unwrap().into(),
                "--json".into(),
            ];
            if let Some(now) = v["now"].as_i64() {
                args.extend(["--now".into(), now.to_string()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = cli_with_env(&args, &[("VECTOR_SECRET", v["secret"].as_str().unwrap())]);
            let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let valid = v["valid"].as_bool().unwrap();
            assert_eq!(
                out.status.code(),
                Some(if valid { 0 } else { 1 }),
                "{provider} #{i}: {result}"
            );
            assert_eq!(result["status"], if valid { "valid" } else { "invalid" });
            let source = v["source"].as_str().unwrap();
            if source.contains("trailing newline") {
                assert_eq!(result["reason"]["kind"], "bodyChanged", "{result}");
            }
            if source.contains("window") {
                assert_eq!(result["reason"]["kind"], "timestampOutsideWindow", "{result}");
                assert_eq!(result["reason"]["skewSecs"], 301);
            }
            // ("secret" itself is too common a word to look for in the output.)
            let secret = v["secret"].as_str().unwrap();
            let printed = String::from_utf8_lossy(&out.stdout);
            assert!(secret.len() < 8 || !printed.contains(secret), "the secret was printed");
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn verify_explains_in_plain_text_and_rejects_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body");
    std::fs::write(&body, b"{\"id\":\"evt_1\"}").unwrap();
    let body = body.to_str().unwrap();
    let sig = format!("x-hub-signature: sha1={}", "ab".repeat(20));
    let out = cli(&[
        "verify",
        "--provider",
        "flovi",
        "--secret",
        "s",
        "--header",
        &sig,
        "--body-file",
        body,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("invalid: "), "{text}");
    assert!(text.to_lowercase().contains("sha1"), "{text}");

    let out = cli(&["verify", "--provider", "flovi", "--secret", "s", "--body-file", body]);
    assert_eq!(out.status.code(), Some(1), "no signature header: unsigned");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("unsigned"));

    for (args, why) in [
        (vec!["verify", "--provider", "flovi", "--body-file", body], "at least one --secret"),
        (
            vec!["verify", "--provider", "nobody", "--secret", "s", "--body-file", body],
            "invalid value",
        ),
        (
            vec![
                "verify",
                "--provider",
                "flovi",
                "--secret-env",
                "HOOKSCOPE_TEST_UNSET",
                "--body-file",
                body,
            ],
            "HOOKSCOPE_TEST_UNSET is not set",
        ),
        (
            vec![
                "verify",
                "--provider",
                "flovi",
                "--secret",
                "s",
                "--header",
                "nocolon",
                "--body-file",
                body,
            ],
            "Name: value",
        ),
        (
            vec![
                "verify",
                "--provider",
                "flovi",
                "--secret",
                "s",
                "--body-file",
                "/nonexistent/body",
            ],
            "cannot read",
        ),
    ] {
        let out = cli(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
}

#[test]
fn endpoints_keep_secrets_sealed_and_never_print_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let env = [("STAGING_SECRET", "whsec_staging_value"), ("OLD_SECRET", "whsec_old_value")];
    let out = cli_with_env(
        &[
            "endpoint",
            "add",
            "--data-dir",
            data,
            "--name",
            "staging",
            "--path",
            "/fleiko-staging",
            "--provider",
            "fleiko",
            "--secret-env",
            "STAGING_SECRET",
            "--secret-env",
            "OLD_SECRET",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let listed = cli(&["endpoint", "list", "--data-dir", data]);
    let json = cli(&["endpoint", "list", "--json", "--data-dir", data]);
    for out in [&listed, &json] {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains("whsec_"), "a secret was printed: {text}");
    }
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains("current, previous"), "{text}");
    assert!(text.contains("key file"), "headless runs keep the key in a file and say so: {text}");
    let settings: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    let staging = settings.iter().find(|e| e["name"] == "staging").unwrap();
    assert_eq!(staging["pathPrefix"], "/fleiko-staging");
    assert_eq!(staging["provider"], "fleiko");
    assert_eq!(staging["secretLabels"], serde_json::json!(["current", "previous"]));

    // Nothing on disk holds a secret in the clear; the key file is owner-only.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(11).any(|w| w == b"whsec_stagi"), "a secret is stored in the clear");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let out = cli(&[
        "endpoint",
        "add",
        "--data-dir",
        data,
        "--name",
        "again",
        "--path",
        "/fleiko-staging",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already uses"));
    let out = cli(&["endpoint", "remove", "staging", "--data-dir", data]);
    assert!(out.status.success());
    let out = cli(&["endpoint", "remove", "staging", "--data-dir", data]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("endpoint staging not found"));
}

fn post_with(serve: &Serve, path: &str, headers: &[(String, String)], body: &str) -> u64 {
    let headers: Vec<(&str, &[u8])> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let response = post(serve, path, &headers, body.as_bytes());
    assert_eq!(response.status, 200);
    response.json()["id"].as_u64().unwrap()
}

fn delivery(data: &std::path::Path, id: u64) -> serde_json::Value {
    list_json(data, &["--limit", "1000"])
        .into_iter()
        .find(|d| d["id"].as_u64() == Some(id))
        .unwrap()
}

#[test]
fn captured_deliveries_are_verified_decoded_and_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = cli_with_env(
        &["endpoint", "set-secrets", "fleiko", "--data-dir", data, "--secret-env", "S"],
        &[("S", "whsec_fleiko")],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let serve = Serve::start(dir.path(), &[]);
    let body = r#"{"id":"evt_9c1d","type":"job.completed","created":1700000000,"company_id":"co_1","api_version":"2024-01-01","data":{"job_id":"job_42"}}"#;
    let t = now();

    let valid =
        post_with(&serve, "/fleiko", &fleiko_headers("whsec_fleiko", t, body, "dlv_1", 1), body);
    let d = delivery(dir.path(), valid);
    assert_eq!(d["provider"], "fleiko");
    assert_eq!(d["signature"], "valid", "{d}");
    assert_eq!(d["signatureDetail"]["matchedSecret"], "current");
    assert_eq!(d["eventType"], "job.completed");
    assert_eq!(d["eventId"], "evt_9c1d");
    assert_eq!(d["attempt"], 1);
    assert!(d["duplicateOf"].is_null());

    // A retry of the same delivery: grouped with the first, attempt 2.
    let retry = post_with(
        &serve,
        "/fleiko",
        &fleiko_headers("whsec_fleiko", t + 60, body, "dlv_1", 2),
        body,
    );
    let d = delivery(dir.path(), retry);
    assert_eq!(d["duplicateOf"].as_u64(), Some(valid));
    assert_eq!(d["attempt"], 2);

    // Body changed after signing: a trailing newline.
    let tampered = post_with(
        &serve,
        "/fleiko",
        &fleiko_headers("whsec_fleiko", t, body, "dlv_2", 1),
        &format!("{body}\n"),
    );
    let d = delivery(dir.path(), tampered);
    assert_eq!(d["signature"], "invalid");
    assert_eq!(d["signatureDetail"]["reason"]["kind"], "bodyChanged", "{d}");

    // Signed ten minutes ago: outside the 300 s window, by how much.
    let stale = post_with(
        &serve,
        "/fleiko",
        &fleiko_headers("whsec_fleiko", t - 600, body, "dlv_3", 1),
        body,
    );
    let d = delivery(dir.path(), stale);
    assert_eq!(d["signatureDetail"]["reason"]["kind"], "timestampOutsideWindow", "{d}");
    let skew = d["signatureDetail"]["reason"]["skewSecs"].as_i64().unwrap();
    assert!((599..=602).contains(&skew), "{skew}");

    // Signed with another secret; then that secret is configured (rotation) while serve runs:
    // stored deliveries are re-verified and new ones verify at once.
    let rotated =
        post_with(&serve, "/fleiko", &fleiko_headers("whsec_new", t, body, "dlv_4", 1), body);
    assert_eq!(delivery(dir.path(), rotated)["signatureDetail"]["reason"]["kind"], "wrongSecret");
    let out = cli_with_env(
        &[
            "endpoint",
            "set-secrets",
            "fleiko",
            "--data-dir",
            data,
            "--secret-env",
            "NEW",
            "--secret-env",
            "OLD",
        ],
        &[("NEW", "whsec_new"), ("OLD", "whsec_fleiko")],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("re-verified 5 deliveries"), "{text}");
    assert_eq!(delivery(dir.path(), rotated)["signature"], "valid");
    let d = delivery(dir.path(), valid);
    assert_eq!(d["signature"], "valid");
    assert_eq!(d["signatureDetail"]["matchedSecret"], "previous");
    let fresh = wait_for(Duration::from_secs(10), "serve to load the new secrets", || {
        let id = post_with(
            &serve,
            "/fleiko",
            &fleiko_headers("whsec_new", now(), body, "dlv_5", 1),
            body,
        );
        (delivery(dir.path(), id)["signature"] == "valid").then_some(id)
    });
    assert!(fresh > rotated);

    // Unsigned, and a provider without secrets: unchecked.
    let unsigned = post_with(&serve, "/fleiko", &[], body);
    assert_eq!(delivery(dir.path(), unsigned)["signature"], "unsigned");
    let flovi_body =
        r#"{"event":"reservation_state_changed","reservationId":"R-1","state":"sealed"}"#;
    let flovi_sig = format!("sha256={}", hmac_hex("unknown", flovi_body.as_bytes()));
    let unchecked =
        post_with(&serve, "/flovi", &[("x-hub-signature".into(), flovi_sig)], flovi_body);
    let d = delivery(dir.path(), unchecked);
    assert_eq!(d["signature"], "unchecked");
    assert_eq!(d["eventType"], "reservation_status_change.sealed");

    let filtered = list_json(dir.path(), &["--provider", "fleiko", "--limit", "100"]);
    assert!(filtered.iter().all(|d| d["provider"] == "fleiko"));
    let printed = String::from_utf8_lossy(&cli(&["list", "--data-dir", data]).stdout).into_owned();
    assert!(printed.contains("job.completed") && printed.contains("invalid"), "{printed}");
}

#[test]
fn flowella_signature_is_found_in_whatever_header_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = cli_with_env(
        &["endpoint", "set-secrets", "flowella", "--data-dir", data, "--secret-env", "S"],
        &[("S", "flowella-secret")],
    );
    assert!(out.status.success());
    let serve = Serve::start(dir.path(), &[]);
    let body = r#"{"id":"ev_1","type":"message.received","data":{"text":"hei"}}"#;
    let digest = hmac_hex("flowella-secret", body.as_bytes());
    let id = post_with(&serve, "/flowella", &[("X-Wa-Hmac".into(), digest)], body);
    let d = delivery(dir.path(), id);
    assert_eq!(d["signature"], "valid", "{d}");
    assert_eq!(d["signatureDetail"]["header"], "X-Wa-Hmac");
    assert_eq!(d["eventType"], "message.received");
}
