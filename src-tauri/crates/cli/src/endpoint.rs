//! `hookscope-cli endpoint …`: endpoints and their secrets. Secret values come only from
//! environment variables and are never printed.

use std::io::Write;

use anyhow::Result;
use clap::Subcommand;
use hookscope_core::providers::{DEFAULT_TOLERANCE_SECS, ProviderId};
use hookscope_core::registry::{Registry, RegistryError};
use hookscope_core::store::rules::{
    DEFAULT_FALLBACK_STATUS, EndpointLab, ForwardConfig, ForwardMode, ResponseRule,
};
use hookscope_core::store::{EndpointInput, StoreError, endpoints};

use crate::{DataDir, UsageError, secret_values, term};
use hookscope_core::plural::count;

#[derive(Subcommand)]
pub enum EndpointCommand {
    /// Add an endpoint
    Add {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        name: String,
        /// Path prefix, e.g. /fleiko-staging
        #[arg(long)]
        path: String,
        /// flovi, flowella or fleiko
        #[arg(long)]
        provider: Option<ProviderId>,
        /// Environment variable holding a signing secret; repeat for rotation (current first)
        #[arg(long = "secret-env", value_name = "VAR")]
        secret_envs: Vec<String>,
        /// The header carrying the signature (Flowella; default: look in every header)
        #[arg(long, value_name = "NAME")]
        signature_header: Option<String>,
        /// Accepted timestamp distance in seconds (Fleiko)
        #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TOLERANCE_SECS)]
        tolerance: u64,
    },
    /// List endpoints (secret values are never shown)
    List {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// Replace an endpoint's secrets and re-verify its stored deliveries
    SetSecrets {
        /// Endpoint name (or id)
        endpoint: String,
        #[command(flatten)]
        data: DataDir,
        /// Environment variable holding a secret; repeat for rotation (current first).
        /// None removes every secret.
        #[arg(long = "secret-env", value_name = "VAR")]
        secret_envs: Vec<String>,
    },
    /// Set what the endpoint answers: status, headers, body, delay (replaces any sequence)
    SetResponse {
        /// Endpoint name (or id)
        endpoint: String,
        #[command(flatten)]
        data: DataDir,
        #[arg(long, default_value_t = 200)]
        status: u16,
        /// A response header as "Name: value"; repeat for more
        #[arg(long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// Response body [default: JSON with the delivery id]
        #[arg(long)]
        body: Option<String>,
        /// Hold the answer back this long (0-60000)
        #[arg(long, value_name = "MS", default_value_t = 0)]
        delay_ms: u64,
    },
    /// Answer the n-th delivery with the same idempotency key with the n-th status (the last
    /// repeats), e.g. 500,500,200
    SetSequence {
        /// Endpoint name (or id)
        endpoint: String,
        /// Comma-separated statuses
        #[arg(value_delimiter = ',', required = true)]
        statuses: Vec<u16>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Answer with the default 200 JSON again
    ClearResponse {
        /// Endpoint name (or id)
        endpoint: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Forward each delivery on arrival to local code
    SetForward {
        /// Endpoint name (or id)
        endpoint: String,
        #[command(flatten)]
        data: DataDir,
        /// Target URL, e.g. http://localhost:3000/webhooks/fleiko
        #[arg(long, value_name = "URL")]
        to: String,
        /// proxy: answer with the target's response; rule: answer with the endpoint's rule
        #[arg(long, default_value = "proxy")]
        mode: ForwardMode,
        /// Status given to the provider when the target is down or too slow (proxy mode)
        #[arg(long, value_name = "STATUS", default_value_t = DEFAULT_FALLBACK_STATUS)]
        fallback_status: u16,
        /// Seconds to wait for the target
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        timeout: f64,
    },
    /// Stop forwarding the endpoint's deliveries
    ClearForward {
        /// Endpoint name (or id)
        endpoint: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Remove an endpoint (its deliveries stay, as other paths)
    Remove {
        /// Endpoint name (or id)
        endpoint: String,
        #[command(flatten)]
        data: DataDir,
    },
}

pub fn run(command: EndpointCommand) -> Result<()> {
    let mut out = term::raw_stdout();
    match command {
        EndpointCommand::Add {
            data,
            name,
            path,
            provider,
            secret_envs,
            signature_header,
            tolerance,
        } => {
            let secrets = secret_values(&[], &secret_envs)?;
            let registry = data.registry()?;
            let input = EndpointInput {
                id: None,
                name,
                path_prefix: path,
                provider,
                signature_header,
                tolerance_secs: tolerance,
            };
            let saved = registry.save(&input)?;
            if !secrets.is_empty() {
                registry.set_secrets(saved.id, &secrets)?;
            }
            writeln!(
                out,
                "added endpoint {} at {} with {}",
                term::line(&saved.name),
                term::line(&saved.path_prefix),
                count(secrets.len() as u64, "secret", "secrets")
            )?;
        }
        EndpointCommand::List { data, json } => {
            let registry = data.registry()?;
            let settings = registry.settings()?;
            let labs = registry.labs()?;
            if json {
                let rows: Vec<serde_json::Value> = settings
                    .iter()
                    .map(|e| {
                        let mut row = serde_json::to_value(e).unwrap_or_default();
                        let lab = labs.get(&e.id);
                        row["response"] = serde_json::json!(lab.and_then(|l| l.rule.as_ref()));
                        row["forward"] = serde_json::json!(lab.and_then(|l| l.forward.as_ref()));
                        row
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{:<14} {:<20} {:<9} SECRETS", "NAME", "PATH", "PROVIDER")?;
                for e in &settings {
                    let provider = e.provider.map_or("-", |p| p.as_str());
                    let secrets = if e.secret_labels.is_empty() {
                        "none".to_owned()
                    } else {
                        e.secret_labels.join(", ")
                    };
                    let (name, path) = (term::line(&e.name), term::line(&e.path_prefix));
                    let secrets = term::line(&secrets);
                    writeln!(out, "{name:<14} {path:<20} {provider:<9} {secrets}")?;
                    for line in lab_lines(labs.get(&e.id)) {
                        writeln!(out, "{:<14} {line}", "")?;
                    }
                }
                writeln!(out, "secrets kept with: {}", key_source(&registry))?;
            }
        }
        EndpointCommand::SetSecrets { endpoint, data, secret_envs } => {
            let secrets = secret_values(&[], &secret_envs)?;
            let registry = data.registry()?;
            let id = registry.store().read(|c| endpoints::find(c, &endpoint))?;
            let reverified = registry.set_secrets(id, &secrets)?;
            writeln!(
                out,
                "{}: {} set; re-verified {}",
                term::line(&endpoint),
                count(secrets.len() as u64, "secret", "secrets"),
                count(reverified, "delivery", "deliveries")
            )?;
        }
        EndpointCommand::SetResponse { endpoint, data, status, headers, body, delay_ms } => {
            let headers = headers.iter().map(|h| parse_header(h)).collect::<Result<_, _>>()?;
            let rule = ResponseRule { status, headers, body, delay_ms, sequence: Vec::new() };
            let registry = data.registry()?;
            let id = registry.store().read(|c| endpoints::find(c, &endpoint))?;
            usage(registry.set_response_rule(id, Some(&rule)))?;
            writeln!(out, "{}: {}", term::line(&endpoint), rule_text(&rule))?;
        }
        EndpointCommand::SetSequence { endpoint, statuses, data } => {
            let registry = data.registry()?;
            let id = registry.store().read(|c| endpoints::find(c, &endpoint))?;
            let mut rule = registry.lab(id)?.rule.unwrap_or_default();
            rule.sequence = statuses;
            usage(registry.set_response_rule(id, Some(&rule)))?;
            writeln!(out, "{}: {}", term::line(&endpoint), rule_text(&rule))?;
        }
        EndpointCommand::ClearResponse { endpoint, data } => {
            let registry = data.registry()?;
            let id = registry.store().read(|c| endpoints::find(c, &endpoint))?;
            registry.set_response_rule(id, None)?;
            writeln!(out, "{}: answers 200 with the delivery id", term::line(&endpoint))?;
        }
        EndpointCommand::SetForward { endpoint, data, to, mode, fallback_status, timeout } => {
            if !(timeout.is_finite() && timeout > 0.0) {
                return Err(
                    UsageError("--timeout must be a positive number of seconds".into()).into()
                );
            }
            let forward = ForwardConfig {
                url: to,
                mode,
                fallback_status,
                timeout_ms: (timeout * 1000.0).round() as u64,
            };
            let registry = data.registry()?;
            let id = registry.store().read(|c| endpoints::find(c, &endpoint))?;
            usage(registry.set_forward(id, Some(&forward)))?;
            writeln!(out, "{}: {}", term::line(&endpoint), forward_text(&forward))?;
        }
        EndpointCommand::ClearForward { endpoint, data } => {
            let registry = data.registry()?;
            let id = registry.store().read(|c| endpoints::find(c, &endpoint))?;
            registry.set_forward(id, None)?;
            writeln!(out, "{}: no longer forwards", term::line(&endpoint))?;
        }
        EndpointCommand::Remove { endpoint, data } => {
            let registry = data.registry()?;
            let id = registry.store().read(|c| endpoints::find(c, &endpoint))?;
            registry.delete(id)?;
            writeln!(out, "removed endpoint {}", term::line(&endpoint))?;
        }
    }
    Ok(())
}

fn key_source(registry: &Registry) -> String {
    match registry.key_source() {
        hookscope_core::secrets::KeySource::Keyring => "the OS keyring".into(),
        hookscope_core::secrets::KeySource::KeyFile { path } => {
            format!("the key file {path} (no OS keyring available)")
        }
    }
}

/// Settings the user typed that the core refused are usage errors (exit 2).
fn usage(result: Result<(), RegistryError>) -> Result<()> {
    match result {
        Err(RegistryError::Store(StoreError::Invalid(message))) => Err(UsageError(message).into()),
        other => Ok(other?),
    }
}

fn parse_header(text: &str) -> Result<(String, String), UsageError> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(UsageError(format!("--header {text:?} is not \"Name: value\""))),
    }
}

fn rule_text(rule: &ResponseRule) -> String {
    let mut text = if rule.sequence.is_empty() {
        format!("answers {}", rule.status)
    } else {
        let steps: Vec<String> = rule.sequence.iter().map(u16::to_string).collect();
        format!("answers {} per idempotency key (last repeats)", steps.join(", "))
    };
    if !rule.headers.is_empty() {
        text.push_str(&format!(", {}", count(rule.headers.len() as u64, "header", "headers")));
    }
    if let Some(body) = &rule.body {
        text.push_str(&format!(", a {}-byte body", body.len()));
    }
    if rule.delay_ms > 0 {
        text.push_str(&format!(", after {} ms", rule.delay_ms));
    }
    text
}

fn forward_text(forward: &ForwardConfig) -> String {
    format!(
        "forwards to {} ({} mode, fallback {}, timeout {} s)",
        term::line(&forward.url),
        forward.mode.as_str(),
        forward.fallback_status,
        forward.timeout_ms as f64 / 1000.0
    )
}

fn lab_lines(lab: Option<&EndpointLab>) -> Vec<String> {
    let Some(lab) = lab else {
        return Vec::new();
    };
    let rule = lab.rule.as_ref().map(rule_text);
    let forward = lab.forward.as_ref().map(forward_text);
    rule.into_iter().chain(forward).collect()
}
