//! `hookscope-cli verify`: checks a signature the way the listener does, from the terminal.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use hookscope_core::providers::{self, ProviderId, RequestView, Secret, VerifyOptions};

use crate::{UsageError, secret_values, term};

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// flovi, flowella or fleiko
    #[arg(long)]
    provider: ProviderId,
    /// A secret to check with; repeat for rotation (the first is the current one)
    #[arg(long = "secret", value_name = "S")]
    secrets: Vec<String>,
    /// An environment variable holding a secret (checked after any --secret); repeatable
    #[arg(long = "secret-env", value_name = "VAR")]
    secret_envs: Vec<String>,
    /// A request header as `Name: value`; repeat for each
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The body exactly as received
    #[arg(long, value_name = "FILE")]
    body_file: PathBuf,
    /// The time to check timestamps against, in Unix seconds [default: now]
    #[arg(long, value_name = "UNIX")]
    now: Option<i64>,
    /// Largest accepted distance between the signature's timestamp and now (Fleiko)
    #[arg(long, value_name = "SECS", default_value_t = providers::DEFAULT_TOLERANCE_SECS)]
    tolerance: u64,
    /// The header that carries the signature (Flowella; default: look in every header)
    #[arg(long, value_name = "NAME")]
    signature_header: Option<String>,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

/// Exit 0 when valid, 1 when not (invalid, unsigned, unchecked); usage errors exit 2.
pub fn run(args: VerifyArgs) -> Result<u8> {
    let values = secret_values(&args.secrets, &args.secret_envs)?;
    if values.is_empty() {
        return Err(UsageError("give at least one --secret or --secret-env".into()).into());
    }
    let headers =
        args.headers.iter().map(|h| parse_header(h)).collect::<Result<Vec<_>, UsageError>>()?;
    let body = std::fs::read(&args.body_file).map_err(|e| {
        UsageError(format!("cannot read the body file {}: {e}", args.body_file.display()))
    })?;
    let secrets = Secret::ranked(values.into_iter().map(String::into_bytes));
    let now = args.now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });
    let options = VerifyOptions {
        secrets: &secrets,
        signature_header: args.signature_header.as_deref(),
        tolerance_secs: args.tolerance,
        now,
    };
    let view = RequestView { method: "POST", path: "/", headers: &headers, body: &body };
    let result = providers::provider(args.provider).verify(&view, &options);
    if args.json {
        let mut out = term::raw_stdout();
        serde_json::to_writer_pretty(&mut out, &result)?;
        writeln!(out)?;
    } else {
        // The explanation quotes what the request carried (header values, timestamps).
        let mut out = term::stdout();
        let status = serde_json::to_value(result.status)?;
        let status = status.as_str().unwrap_or_default().to_owned();
        match &result.reason {
            Some(reason) => writeln!(out, "{status}: {}", term::line(&reason.to_string()))?,
            None => writeln!(out, "{status}")?,
        }
        writeln!(out, "{}", term::line(&result.explanation))?;
        if let Some(header) = &result.header {
            writeln!(out, "header: {}", term::line(header))?;
        }
        if let Some(secret) = &result.matched_secret {
            writeln!(out, "secret: {}", term::line(secret))?;
        }
        for note in &result.notes {
            writeln!(out, "note: {}", term::line(note))?;
        }
        out.flush()?;
    }
    Ok(if result.is_valid() { 0 } else { 1 })
}

/// `Name: value` into raw bytes; the value keeps inner spacing, as a header would.
pub fn parse_header(text: &str) -> Result<(Vec<u8>, Vec<u8>), UsageError> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| UsageError(format!("--header {text:?} is not `Name: value`")))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(UsageError(format!("--header {text:?} has no valid name")));
    }
    Ok((name.as_bytes().to_vec(), value.trim().as_bytes().to_vec()))
}
