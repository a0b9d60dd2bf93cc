//! Tunnels from a terminal: `serve --tunnel …` and `hookscope-cli tunnel …` for the stored
//! settings. The ngrok authtoken and bore secret come from environment variables (never from
//! arguments, which show in `ps` and shell history) and are never printed.

use std::io::Write;

use anyhow::Result;
use clap::Subcommand;
use hookscope_core::registry::Registry;
use hookscope_core::tunnel::{
    Hidden, NGROK_AUTHTOKEN_ENV, TunnelKind, TunnelManager, TunnelOverrides, TunnelSettingsInput,
    TunnelStatus, endpoint_url, settings,
};

use crate::{DataDir, UsageError, secret_values, term};

/// `serve`'s tunnel flags.
#[derive(clap::Args, Clone, Default)]
pub struct TunnelArgs {
    /// Also serve through a public tunnel: ngrok, bore or external. Prints `public: URL` once
    /// online; on failure says why on stderr and keeps capturing locally
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    tunnel: Option<TunnelKind>,
    /// bore server, host or host:7835 [default: the stored one, else bore.pub]
    #[arg(long, value_name = "HOST", requires = "tunnel")]
    bore_server: Option<String>,
    /// Environment variable holding the bore server's secret [default: the stored secret]
    #[arg(long, value_name = "VAR", requires = "tunnel")]
    bore_secret_env: Option<String>,
    /// The public URL an external tunnel serves [default: the stored one]
    #[arg(long, value_name = "URL", requires = "tunnel")]
    public_url: Option<String>,
    /// Reserved ngrok domain [default: the stored one, else a random one]
    #[arg(long, value_name = "DOMAIN", requires = "tunnel")]
    ngrok_domain: Option<String>,
}

fn parse_kind(s: &str) -> Result<TunnelKind, String> {
    s.parse()
}

impl TunnelArgs {
    /// Checks the flags before the listener starts, so usage errors still exit 2.
    pub fn overrides(&self) -> Result<TunnelOverrides> {
        let bore_secret = match &self.bore_secret_env {
            Some(var) => secret_values(&[], std::slice::from_ref(var))?.pop().map(Hidden::new),
            None => None,
        };
        Ok(TunnelOverrides {
            ngrok_domain: self.ngrok_domain.clone(),
            bore_server: self.bore_server.clone(),
            bore_secret,
            public_url: self.public_url.clone(),
        })
    }

    /// Starts the tunnel beside a running listener and reports its status: `public: URL` on
    /// stdout each time it comes online, everything else on stderr. Serving locally goes on
    /// whatever happens here.
    pub fn start(
        &self,
        registry: &Registry,
        manager: TunnelManager,
        overrides: TunnelOverrides,
    ) -> Option<TunnelManager> {
        let kind = self.tunnel?;
        let config = match settings::config(registry, kind, &overrides) {
            Ok(config) => config,
            Err(err) => {
                eprintln!("tunnel error: {kind}: {err}; capturing locally only");
                return None;
            }
        };
        manager.start(config);
        let mut status = manager.subscribe();
        let endpoints = registry.settings().unwrap_or_default();
        report(&manager.status(), &endpoints);
        tokio::spawn(async move {
            while status.changed().await.is_ok() {
                let current = status.borrow_and_update().clone();
                report(&current, &endpoints);
            }
        });
        Some(manager)
    }
}

fn report(status: &TunnelStatus, endpoints: &[hookscope_core::store::EndpointSettings]) {
    match status {
        TunnelStatus::Stopped => eprintln!("tunnel: stopped"),
        TunnelStatus::Connecting { kind } => eprintln!("tunnel: {kind} connecting"),
        TunnelStatus::Online { kind, url } => {
            let mut out = term::raw_stdout();
            let url = term::line(url);
            let _ = writeln!(out, "public: {url}");
            let _ = out.flush();
            eprintln!("tunnel: {kind} online at {url}");
            for endpoint in endpoints {
                let at = endpoint_url(&url, &endpoint.path_prefix);
                eprintln!("  {:<10} {}", term::line(&endpoint.name), term::line(&at));
            }
        }
        TunnelStatus::Error { kind, reason, retry_in_ms } => {
            match (retry_in_ms, term::line(reason)) {
                (Some(ms), reason) => eprintln!(
                    "tunnel error: {kind}: {reason}; retrying in {:.0}s (capturing locally meanwhile)",
                    *ms as f64 / 1000.0
                ),
                (None, reason) => {
                    eprintln!("tunnel error: {kind}: {reason}; capturing locally only")
                }
            }
        }
    }
}

#[derive(Subcommand)]
pub enum TunnelCommand {
    /// Show the stored tunnel settings (secrets only as present or not)
    Show {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// Change stored tunnel settings; an empty value clears one
    Set {
        #[command(flatten)]
        data: DataDir,
        #[arg(long, value_name = "DOMAIN")]
        ngrok_domain: Option<String>,
        /// host or host:7835
        #[arg(long, value_name = "HOST")]
        bore_server: Option<String>,
        /// Environment variable holding the bore server's secret (stored sealed)
        #[arg(long, value_name = "VAR", conflicts_with = "clear_bore_secret")]
        bore_secret_env: Option<String>,
        #[arg(long)]
        clear_bore_secret: bool,
        #[arg(long, value_name = "URL")]
        external_url: Option<String>,
    },
    /// Store the ngrok authtoken (sealed) from an environment variable, or remove it
    SetNgrokToken {
        #[command(flatten)]
        data: DataDir,
        /// Environment variable holding the authtoken
        #[arg(long, value_name = "VAR", required_unless_present = "clear")]
        token_env: Option<String>,
        #[arg(long, conflicts_with = "token_env")]
        clear: bool,
    },
}

pub fn run(command: TunnelCommand) -> Result<()> {
    match command {
        TunnelCommand::Show { data, json } => {
            let current = settings::load(&data.registry()?)?;
            let mut out = term::raw_stdout();
            if json {
                serde_json::to_writer_pretty(&mut out, &current)?;
                writeln!(out)?;
            } else {
                let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                let active = current.active.map_or("-".to_owned(), |k| k.to_string());
                let token = match (current.has_ngrok_token, current.ngrok_token_in_env) {
                    (true, _) => "stored".to_owned(),
                    (false, true) => format!("from {NGROK_AUTHTOKEN_ENV}"),
                    (false, false) => "none".to_owned(),
                };
                writeln!(out, "active         {active}")?;
                writeln!(out, "ngrok token    {token}")?;
                writeln!(out, "ngrok domain   {}", or_dash(&current.ngrok_domain))?;
                writeln!(out, "bore server    {}", or_dash(&current.bore_server))?;
                let secret = if current.has_bore_secret { "stored" } else { "none" };
                writeln!(out, "bore secret    {secret}")?;
                writeln!(out, "external URL   {}", or_dash(&current.external_url))?;
            }
        }
        TunnelCommand::Set {
            data,
            ngrok_domain,
            bore_server,
            bore_secret_env,
            clear_bore_secret,
            external_url,
        } => {
            let bore_secret = match bore_secret_env {
                Some(var) => secret_values(&[], &[var])?.pop(),
                None if clear_bore_secret => Some(String::new()),
                None => None,
            };
            let registry = data.registry()?;
            let current = settings::load(&registry)?;
            let input = TunnelSettingsInput {
                ngrok_domain: ngrok_domain.or(current.ngrok_domain),
                bore_server: bore_server.or(current.bore_server),
                external_url: external_url.or(current.external_url),
                ngrok_token: None,
                bore_secret,
            };
            settings::save(&registry, &input).map_err(|e| UsageError(e.to_string()))?;
            eprintln!("tunnel settings saved");
        }
        TunnelCommand::SetNgrokToken { data, token_env, clear } => {
            let token = match token_env {
                Some(var) if !clear => secret_values(&[], &[var])?.pop(),
                _ => None,
            };
            settings::set_ngrok_token(&data.registry()?, token.as_deref())?;
            eprintln!(
                "{}",
                if token.is_some() { "ngrok authtoken stored" } else { "ngrok authtoken removed" }
            );
        }
    }
    Ok(())
}
