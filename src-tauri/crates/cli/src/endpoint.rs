//! `hookscope-cli endpoint …`: endpoints and their secrets. Secret values come only from
//! environment variables and are never printed.

use std::io::Write;

use anyhow::Result;
use clap::Subcommand;
use hookscope_core::providers::{DEFAULT_TOLERANCE_SECS, ProviderId};
use hookscope_core::registry::Registry;
use hookscope_core::store::{EndpointInput, endpoints};

use crate::{DataDir, secret_values};

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
    /// Remove an endpoint (its deliveries stay, as other paths)
    Remove {
        /// Endpoint name (or id)
        endpoint: String,
        #[command(flatten)]
        data: DataDir,
    },
}

pub fn run(command: EndpointCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
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
                "added endpoint {} at {} with {} secret(s)",
                saved.name,
                saved.path_prefix,
                secrets.len()
            )?;
        }
        EndpointCommand::List { data, json } => {
            let registry = data.registry()?;
            let settings = registry.settings()?;
            if json {
                serde_json::to_writer_pretty(&mut out, &settings)?;
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
                    writeln!(
                        out,
                        "{:<14} {:<20} {:<9} {secrets}",
                        e.name, e.path_prefix, provider
                    )?;
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
                "{endpoint}: {} secret(s) set; re-verified {reverified} deliveries",
                secrets.len()
            )?;
        }
        EndpointCommand::Remove { endpoint, data } => {
            let registry = data.registry()?;
            let id = registry.store().read(|c| endpoints::find(c, &endpoint))?;
            registry.delete(id)?;
            writeln!(out, "removed endpoint {endpoint}")?;
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
