//! `hookscope-cli check-handler`: prove a webhook handler against a provider's documented
//! contract and print a scorecard (or JSON, or JUnit XML for CI). Exit 0 when every required
//! check passes, 1 when one fails, 2 on usage errors. Secrets are never printed.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use hookscope_core::handler_check::{
    self, CheckId, CheckOutcome, CheckResult, CheckSpec, HandlerCheckError, HandlerCheckReport,
    RetryOutcome, RetrySpec,
};
use hookscope_core::providers::{ProviderId, Secret};
use quick_xml::Writer;
use quick_xml::events::BytesText;

use crate::{DataDir, UsageError, secret_values, term};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// flovi, flowella or fleiko [default: the endpoint's, or the --from delivery's, provider]
    #[arg(long, value_name = "P")]
    provider: Option<ProviderId>,
    /// The handler's URL
    #[arg(long, value_name = "URL")]
    to: String,
    /// Environment variable holding the endpoint's signing secret; repeat for rotation
    /// (current first)
    #[arg(long = "secret-env", value_name = "VAR")]
    secret_envs: Vec<String>,
    /// Take the secrets (and provider, and Flowella's signature header) from this stored
    /// endpoint
    #[arg(long, value_name = "NAME")]
    endpoint: Option<String>,
    /// Build the deliveries from this captured delivery instead of the provider's sample
    #[arg(long, value_name = "ID")]
    from: Option<i64>,
    /// Run only these checks, comma-separated (e.g. valid,tampered-body)
    #[arg(long, value_name = "CHECKS", value_delimiter = ',')]
    only: Vec<String>,
    /// Seconds the handler has to answer [default: the provider's, 10 s]
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// Flowella: the header the handler reads the signature from
    #[arg(long, value_name = "NAME")]
    signature_header: Option<String>,
    /// Also play the provider's retry schedule against the handler
    #[arg(long)]
    retries: bool,
    /// With --retries: provider seconds per real second (3600 plays an hour in a second)
    #[arg(long, value_name = "N", requires = "retries", default_value_t = 3600.0)]
    time_scale: f64,
    /// With --retries: consecutive failures the endpoint already has, toward auto-disable
    #[arg(long, value_name = "N", requires = "retries", default_value_t = 0)]
    prior_failures: u32,
    /// Print the scorecard as JSON
    #[arg(long)]
    json: bool,
    /// Also write the scorecard as JUnit XML to this file
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    data: DataDir,
}

pub fn run(args: CheckArgs) -> Result<u8> {
    let only = if args.only.is_empty() {
        None
    } else {
        let parsed = args
            .only
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| c.parse::<CheckId>().map_err(UsageError))
            .collect::<Result<Vec<_>, _>>()?;
        Some(parsed)
    };
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(UsageError("--time-scale must be a number above 0".into()).into());
    }
    let registry = args.data.registry()?;
    let mut secrets: Vec<Secret> =
        Secret::ranked(secret_values(&[], &args.secret_envs)?.into_iter().map(String::into_bytes));
    let mut provider = args.provider;
    let mut signature_header = args.signature_header.clone();
    if let Some(name) = &args.endpoint {
        let endpoint = handler_check::endpoint_secrets(&registry, name)
            .map_err(|e| UsageError(e.to_string()))?;
        if secrets.is_empty() {
            secrets = endpoint.secrets;
        }
        if provider.is_none() {
            provider = endpoint.provider;
        }
        if signature_header.is_none() {
            signature_header = endpoint.signature_header;
        }
    }
    if let (None, Some(id)) = (provider, args.from) {
        let detail = registry.store().detail(id)?;
        provider = detail.summary.provider.as_deref().and_then(|p| p.parse().ok());
    }
    let Some(provider) = provider else {
        return Err(UsageError(
            "give --provider (flovi, flowella or fleiko), or an --endpoint or --from delivery \
             that has one"
                .into(),
        )
        .into());
    };
    if secrets.is_empty() {
        return Err(UsageError(
            "give the endpoint's signing secret with --secret-env VAR, or --endpoint NAME with \
             a stored secret"
                .into(),
        )
        .into());
    }
    let timeout = match args.timeout {
        None => handler_check::default_timeout(provider),
        Some(secs) if secs.is_finite() && secs > 0.0 && secs <= 3600.0 => {
            Duration::from_secs_f64(secs)
        }
        Some(_) => {
            return Err(UsageError("--timeout must be between 0 and 3600 seconds".into()).into());
        }
    };
    let spec = CheckSpec {
        provider,
        url: args.to.clone(),
        secrets,
        signature_header,
        from: args.from,
        only,
        timeout,
        retries: args.retries.then_some(RetrySpec {
            time_scale: args.time_scale,
            prior_failures: args.prior_failures,
        }),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let report = runtime.block_on(handler_check::run(&registry, &spec)).map_err(|e| match e {
        HandlerCheckError::Invalid(message) => anyhow::Error::new(UsageError(message)),
        other => anyhow::Error::new(other),
    })?;
    if let Some(path) = &args.junit {
        let xml = junit(&report).context("cannot write the JUnit XML")?;
        std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        scorecard(&report)?;
    }
    Ok(u8::from(!report.passed))
}

fn mark(outcome: CheckOutcome) -> &'static str {
    match outcome {
        CheckOutcome::Pass => "PASS",
        CheckOutcome::Fail => "FAIL",
        CheckOutcome::Warning => "WARN",
        CheckOutcome::Info => "INFO",
        CheckOutcome::Inconclusive => "????",
        CheckOutcome::Skipped => "SKIP",
    }
}

fn scorecard(report: &HandlerCheckReport) -> Result<()> {
    let mut out = term::stdout();
    let source = match report.from_delivery {
        Some(id) => format!("delivery #{id}"),
        None => "the provider's sample".to_owned(),
    };
    writeln!(out, "Handler check: {} → {}", report.provider.name(), term::line(&report.target))?;
    writeln!(
        out,
        "Deliveries built from {source} ({}); timeout {} s. {}",
        term::line(&report.event),
        report.timeout_ms as f64 / 1000.0,
        term::line(&report.timeout_note)
    )?;
    for note in &report.notes {
        writeln!(out, "{}", term::line(note))?;
    }
    writeln!(out)?;
    for result in &report.results {
        check_lines(&mut out, report.provider, result)?;
    }
    if let Some(retry) = &report.retry {
        writeln!(out)?;
        writeln!(out, "Retry simulation (time scale {}×)", retry.time_scale)?;
        writeln!(out, "  {}", term::line(&retry.schedule))?;
        for attempt in &retry.attempts {
            let e = &attempt.exchange;
            writeln!(
                out,
                "  attempt {:<2} +{:<8} {}  (r{})",
                attempt.attempt,
                format_secs(attempt.at_secs),
                term::line(&answer(e.status, e.error.as_deref())),
                e.record_id
            )?;
        }
        let arrow = match retry.outcome {
            RetryOutcome::Delivered => "delivered",
            RetryOutcome::DeadLettered => "dead-lettered",
            RetryOutcome::AutoDisabled => "endpoint auto-disabled",
            RetryOutcome::NotRetried => "not retried",
        };
        writeln!(out, "  → {arrow}: {}", term::line(&retry.summary))?;
    }
    let c = &report.counts;
    writeln!(out)?;
    writeln!(
        out,
        "{}: {} pass, {} fail, {} warning, {} info, {} inconclusive, {} skipped (run {})",
        if report.passed { "PASSED" } else { "FAILED" },
        c.pass,
        c.fail,
        c.warning,
        c.info,
        c.inconclusive,
        c.skipped,
        report.run_id
    )?;
    out.flush()?;
    Ok(())
}

fn check_lines(out: &mut impl Write, provider: ProviderId, r: &CheckResult) -> Result<()> {
    writeln!(out, "{}  {:<21} {}", mark(r.outcome), r.id.as_str(), r.title)?;
    writeln!(out, "      {}", term::line(&r.summary))?;
    if matches!(r.outcome, CheckOutcome::Pass | CheckOutcome::Skipped) {
        return Ok(());
    }
    writeln!(out, "      expected: {}", r.expected)?;
    writeln!(out, "      why: {} ({})", term::line(&r.why), term::line(&r.source))?;
    for e in &r.exchanges {
        writeln!(
            out,
            "      {} (r{}): {}: {}",
            term::line(&e.label),
            e.record_id,
            provider.name(),
            term::line(&e.reading.text)
        )?;
    }
    for note in &r.notes {
        writeln!(out, "      note: {}", term::line(note))?;
    }
    Ok(())
}

fn answer(status: Option<u16>, error: Option<&str>) -> String {
    match (error, status) {
        (Some(error), _) => error.to_owned(),
        (None, Some(status)) => match hookscope_core::outbound::reason_phrase(status) {
            Some(reason) => format!("{status} {reason}"),
            None => status.to_string(),
        },
        (None, None) => "-".to_owned(),
    }
}

fn format_secs(secs: u64) -> String {
    match secs {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Characters XML 1.0 cannot carry even escaped, written as `\u{..}` instead.
fn xml_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c.to_string(),
            c if (c as u32) < 0x20 || matches!(c, '\u{fffe}' | '\u{ffff}') => {
                format!("\\u{{{:x}}}", c as u32)
            }
            c => c.to_string(),
        })
        .collect()
}

/// The scorecard as JUnit XML: one test case per check, failures as `<failure>`, checks
/// that did not run or could not tell as `<skipped>`, warnings and notes in `<system-out>`.
pub fn junit(report: &HandlerCheckReport) -> std::io::Result<Vec<u8>> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(quick_xml::events::Event::Decl(quick_xml::events::BytesDecl::new(
        "1.0",
        Some("UTF-8"),
        None,
    )))?;
    let suite = format!("hookscope check-handler {}", report.provider.as_str());
    let classname = format!("handler-check.{}", report.provider.as_str());
    let tests = report.results.len().to_string();
    let failures = report.counts.fail.to_string();
    let skipped = (report.counts.skipped + report.counts.inconclusive).to_string();
    let target = xml_safe(&report.target);
    writer
        .create_element("testsuites")
        .with_attribute(("name", suite.as_str()))
        .with_attribute(("tests", tests.as_str()))
        .with_attribute(("failures", failures.as_str()))
        .write_inner_content(|w| {
            w.create_element("testsuite")
                .with_attribute(("name", suite.as_str()))
                .with_attribute(("tests", tests.as_str()))
                .with_attribute(("failures", failures.as_str()))
                .with_attribute(("errors", "0"))
                .with_attribute(("skipped", skipped.as_str()))
                .write_inner_content(|w| {
                    w.create_element("properties").write_inner_content(|w| {
                        w.create_element("property")
                            .with_attribute(("name", "target"))
                            .with_attribute(("value", target.as_str()))
                            .write_empty()?;
                        w.create_element("property")
                            .with_attribute(("name", "run"))
                            .with_attribute(("value", report.run_id.to_string().as_str()))
                            .write_empty()?;
                        Ok(())
                    })?;
                    for r in &report.results {
                        testcase(w, &classname, report.provider, r)?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    let mut xml = writer.into_inner();
    xml.push(b'\n');
    Ok(xml)
}

fn testcase(
    w: &mut Writer<Vec<u8>>,
    classname: &str,
    provider: ProviderId,
    r: &CheckResult,
) -> std::io::Result<()> {
    let seconds: u64 = r.exchanges.iter().map(|e| e.duration_ms).sum();
    let time = format!("{:.3}", seconds as f64 / 1000.0);
    let summary = xml_safe(&r.summary);
    let mut detail = format!("expected: {}\nwhy: {} ({})", r.expected, r.why, r.source);
    for e in &r.exchanges {
        detail.push_str(&format!(
            "\n{} (record r{}): {}: {}",
            e.label,
            e.record_id,
            provider.name(),
            e.reading.text
        ));
    }
    for note in &r.notes {
        detail.push_str(&format!("\nnote: {note}"));
    }
    let detail = xml_safe(&detail);
    w.create_element("testcase")
        .with_attribute(("name", r.id.as_str()))
        .with_attribute(("classname", classname))
        .with_attribute(("time", time.as_str()))
        .write_inner_content(|w| {
            match r.outcome {
                CheckOutcome::Fail => {
                    w.create_element("failure")
                        .with_attribute(("message", summary.as_str()))
                        .with_attribute(("type", "handler-check"))
                        .write_text_content(BytesText::new(&detail))?;
                }
                CheckOutcome::Skipped | CheckOutcome::Inconclusive => {
                    w.create_element("skipped")
                        .with_attribute(("message", summary.as_str()))
                        .write_empty()?;
                }
                CheckOutcome::Pass | CheckOutcome::Warning | CheckOutcome::Info => {}
            }
            let out = format!("{}: {summary}\n{detail}", r.outcome.as_str());
            w.create_element("system-out").write_text_content(BytesText::new(&out))?;
            Ok(())
        })?;
    Ok(())
}
