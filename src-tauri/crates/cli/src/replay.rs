//! `hookscope-cli replay | send-sample | diff`: send captured deliveries again (edited,
//! re-signed), send a provider's signed sample, compare two deliveries or a replay.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use hookscope_core::outbound::{DEFAULT_TIMEOUT, MAX_RESPONSE_BODY, SendOptions};
use hookscope_core::providers::ProviderId;
use hookscope_core::replay::diff::{self, BodyDiff, Change, DiffSide, LineKind};
use hookscope_core::replay::{
    self, ReplayEdits, ReplayOptions, ReplayResult, ReplaySpec, remembered_target, sample,
    target_url,
};

use crate::term;
use crate::{DataDir, UsageError, secret_values};

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Deliveries to send again, in this order
    #[arg(required = true, value_name = "ID")]
    ids: Vec<i64>,
    /// Target URL standing for the delivery's path (its query is added unless the URL has
    /// one) [default: the last target used for the delivery's endpoint]
    #[arg(long, value_name = "URL")]
    to: Option<String>,
    /// Sign again with the endpoint's current secret (Fleiko: fresh timestamp)
    #[arg(long)]
    resign: bool,
    /// With --resign: also sign with the previous secret (rotation)
    #[arg(long, requires = "resign")]
    also_previous: bool,
    /// Send a fresh delivery id and payload event id (idempotency testing)
    #[arg(long)]
    new_id: bool,
    /// Add one to the attempt header (Fleiko)
    #[arg(long)]
    bump_attempt: bool,
    /// Set a header, "Name: value"; replaces the delivery's headers of that name. Repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Send this file's bytes as the body
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// Send with this method instead of the delivery's
    #[arg(long, value_name = "METHOD")]
    method: Option<String>,
    #[command(flatten)]
    send: SendArgs,
    /// Print the recorded replays as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataDir,
}

#[derive(clap::Args)]
pub struct SendArgs {
    /// Seconds to wait for the target's answer, connecting included
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT.as_secs_f64())]
    timeout: f64,
}

impl SendArgs {
    fn options(&self) -> Result<SendOptions, UsageError> {
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0) {
            return Err(UsageError("--timeout must be between 0 and 3600 seconds".into()));
        }
        Ok(SendOptions {
            timeout: Duration::from_secs_f64(self.timeout),
            max_response_body: MAX_RESPONSE_BODY,
        })
    }
}

#[derive(clap::Args)]
pub struct SampleArgs {
    /// List every provider's documented events instead of sending
    #[arg(long, conflicts_with_all = ["event", "to", "secrets", "secret_envs"])]
    list: bool,
    /// flovi, flowella or fleiko
    #[arg(long, value_name = "P", required_unless_present = "list")]
    provider: Option<ProviderId>,
    /// The event, e.g. job.created (see --list)
    #[arg(long, value_name = "E", required_unless_present = "list")]
    event: Option<String>,
    /// Where to send it
    #[arg(long, value_name = "URL", required_unless_present = "list")]
    to: Option<String>,
    /// Signing secret (prefer --secret-env: arguments show up in process lists)
    #[arg(long = "secret", value_name = "S")]
    secrets: Vec<String>,
    /// Environment variable holding the signing secret
    #[arg(long = "secret-env", value_name = "VAR")]
    secret_envs: Vec<String>,
    /// Flowella: the header to put the signature in
    #[arg(long, value_name = "NAME")]
    signature_header: Option<String>,
    #[command(flatten)]
    send: SendArgs,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataDir,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// A delivery id (12) or a replay id (r12)
    a: DiffSide,
    /// A delivery id (12) or a replay id (r12)
    b: DiffSide,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataDir,
}

fn parse_header(text: &str) -> Result<(String, String), UsageError> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(UsageError(format!("--header {text:?} must look like \"Name: value\""))),
    }
}

/// One line about an outcome; `None` when it is a success.
fn failure(result: &ReplayResult) -> Option<String> {
    let r = &result.record;
    match (&r.error, r.status) {
        (Some(error), _) => Some(error.clone()),
        (None, Some(status)) if !result.ok => Some(format!(
            "{} answered {status}{}, not 2xx",
            r.url,
            reason(status).map(|s| format!(" {s}")).unwrap_or_default()
        )),
        _ => None,
    }
}

fn reason(status: u16) -> Option<&'static str> {
    hookscope_core::outbound::reason_phrase(status)
}

fn outcome_line(result: &ReplayResult) -> String {
    let r = &result.record;
    let answer = match (r.status, &r.error) {
        (_, Some(_)) => "no answer".to_owned(),
        (Some(s), None) => {
            format!("{s}{}", reason(s).map(|p| format!(" {p}")).unwrap_or_default())
        }
        (None, None) => "-".to_owned(),
    };
    let source = r.delivery_id.map(|d| format!("#{d} ")).unwrap_or_default();
    format!(
        "r{} {source}→ {} {}: {answer} in {} ms",
        r.id,
        term::line(&r.method),
        term::line(&r.url),
        r.duration_ms
    )
}

fn report(results: &[ReplayResult], json: bool) -> Result<u8> {
    if json {
        let mut out = term::raw_stdout();
        serde_json::to_writer_pretty(&mut out, results)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        let mut out = term::stdout();
        for result in results {
            writeln!(out, "{}", outcome_line(result))?;
            for note in &result.notes {
                writeln!(out, "  {}", term::line(note))?;
            }
            if result.record.truncated {
                writeln!(
                    out,
                    "  The answer was over {} MiB; the rest was dropped.",
                    MAX_RESPONSE_BODY >> 20
                )?;
            }
        }
        out.flush()?;
    }
    let failures: Vec<String> = results.iter().filter_map(failure).collect();
    for failure in &failures {
        eprintln!("error: {}", term::line(failure));
    }
    Ok(u8::from(!failures.is_empty()))
}

pub fn replay(args: ReplayArgs) -> Result<u8> {
    let send = args.send.options()?;
    let set_headers =
        args.headers.iter().map(|h| parse_header(h)).collect::<Result<Vec<_>, _>>()?;
    let body = match &args.body_file {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?)
        }
        None => None,
    };
    let registry = args.data.registry()?;
    let store = registry.store();
    let options = ReplayOptions {
        resign: args.resign,
        also_previous: args.also_previous,
        new_delivery_id: args.new_id,
        bump_attempt: args.bump_attempt,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let mut results = Vec::new();
    for &id in &args.ids {
        let detail = store.detail(id)?;
        let base = match (&args.to, detail.summary.endpoint_id) {
            (Some(to), _) => to.clone(),
            (None, Some(endpoint)) => remembered_target(store, endpoint)?.ok_or_else(|| {
                UsageError(format!(
                    "no --to given and no target remembered for delivery {id}'s endpoint"
                ))
            })?,
            (None, None) => {
                return Err(UsageError(format!("no --to given for delivery {id}")).into());
            }
        };
        let spec = ReplaySpec {
            delivery_id: id,
            url: target_url(&base, detail.summary.query.as_deref()),
            edits: ReplayEdits {
                method: args.method.clone(),
                headers: None,
                set_headers: set_headers.clone(),
                body: body.clone(),
            },
            options,
        };
        results.push(runtime.block_on(replay::replay(&registry, &spec, send))?);
    }
    report(&results, args.json)
}

pub fn send_sample(args: SampleArgs) -> Result<u8> {
    let mut out = term::raw_stdout();
    if args.list {
        let samples = sample::list();
        let samples: Vec<_> =
            samples.into_iter().filter(|s| args.provider.is_none_or(|p| s.provider == p)).collect();
        if args.json {
            serde_json::to_writer_pretty(&mut out, &samples)?;
            writeln!(out)?;
        } else {
            for s in samples {
                let (event, description) = (term::line(&s.event), term::line(&s.description));
                writeln!(out, "{:<9} {event:<40} {description}", s.provider.as_str())?;
            }
        }
        return Ok(0);
    }
    drop(out);
    let (Some(provider), Some(event), Some(to)) = (args.provider, &args.event, &args.to) else {
        return Err(UsageError("--provider, --event and --to are required".into()).into());
    };
    let secrets = secret_values(&args.secrets, &args.secret_envs)?;
    if secrets.is_empty() {
        return Err(UsageError(
            "give the signing secret with --secret-env VAR or --secret S".into(),
        )
        .into());
    }
    let send = args.send.options()?;
    let found = sample::find(provider, event).map_err(|e| UsageError(e.to_string()))?;
    let registry = args.data.registry()?;
    let secrets: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let result = runtime.block_on(sample::send(
        &registry,
        &found,
        to,
        &secrets,
        args.signature_header.as_deref(),
        send,
    ))?;
    report(&[result], args.json)
}

pub fn diff(args: DiffArgs) -> Result<u8> {
    let store = args.data.open()?;
    let d = diff::diff_stored(&store, args.a, args.b)?;
    if args.json {
        let mut out = term::raw_stdout();
        serde_json::to_writer_pretty(&mut out, &d)?;
        writeln!(out)?;
        return Ok(0);
    }
    let mut out = term::stdout();
    writeln!(out, "{} → {}", term::line(&d.a), term::line(&d.b))?;
    if d.is_empty() {
        writeln!(out, "no differences")?;
        return Ok(0);
    }
    if let Some(line) = &d.request_line {
        writeln!(out, "request  {}", term::line(line))?;
    }
    if !d.headers.is_empty() {
        writeln!(out, "headers")?;
        for h in &d.headers {
            let (old, new) = (h.old.as_deref().unwrap_or(""), h.new.as_deref().unwrap_or(""));
            let (name, old, new) = (term::line(&h.name), term::line(old), term::line(new));
            match h.change {
                Change::Added => writeln!(out, "  + {name}: {new}")?,
                Change::Removed => writeln!(out, "  - {name}: {old}")?,
                Change::Changed => writeln!(out, "  ~ {name}: {old} → {new}")?,
            }
        }
    }
    match &d.body {
        BodyDiff::Same => writeln!(out, "body     the same")?,
        BodyDiff::Json { changes } if changes.is_empty() => {
            writeln!(out, "body     the same JSON, formatted differently")?;
        }
        BodyDiff::Json { changes } => {
            writeln!(out, "body (JSON)")?;
            let show = |v: &Option<serde_json::Value>| {
                term::line(&v.as_ref().map(|v| v.to_string()).unwrap_or_default()).into_owned()
            };
            for c in changes {
                let path = term::line(&c.path);
                match c.change {
                    Change::Added => writeln!(out, "  + {path}: {}", show(&c.new))?,
                    Change::Removed => writeln!(out, "  - {path}: {}", show(&c.old))?,
                    Change::Changed => {
                        writeln!(out, "  ~ {path}: {} → {}", show(&c.old), show(&c.new))?;
                    }
                }
            }
        }
        BodyDiff::Text { lines } => {
            writeln!(out, "body (text)")?;
            for line in lines {
                let mark = match line.kind {
                    LineKind::Same => ' ',
                    LineKind::Added => '+',
                    LineKind::Removed => '-',
                };
                writeln!(out, "  {mark} {}", term::line(&line.text))?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
