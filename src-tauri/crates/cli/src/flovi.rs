//! `hookscope-cli flovi …`: Flovi's customer API from a terminal. The API key comes from
//! `FLOVI_API_KEY` or the store, never from an argument (arguments show in `ps` and shell
//! history), and is never printed.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use hookscope_core::flovi_api::{
    API_KEY_ENV, ApiKey, FloviCall, FloviClient, FloviError, FloviOptions, ScheduleRequest,
    check_base_url,
};
use hookscope_core::paths;
use hookscope_core::secrets::KeySource;
use hookscope_core::store::{Store, StoreOptions};

use crate::{DataDir, UsageError, format_time, secret_values, term};

#[derive(clap::Args)]
pub struct Connection {
    #[command(flatten)]
    data: DataDir,
    /// API base URL: https, or http to this machine only [default: the stored one, else
    /// https://api.go.flovi.io/customers/api]
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    #[command(flatten)]
    wait: Wait,
}

#[derive(clap::Args)]
pub struct Wait {
    /// Seconds to wait for Flovi's answer, connecting included
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
}

#[derive(clap::Args)]
pub struct ScheduleArgs {
    /// officeToOffice, homeDelivery, serviceDrive, purchaseCar or replacementCar (required)
    #[arg(long, value_name = "TYPE")]
    reservation_type: Option<String>,
    /// ownOffices, otherPlace or homeAddress (required)
    #[arg(long, value_name = "TYPE")]
    origin_type: Option<String>,
    /// Flovi office id, with --origin-type ownOffices (see `flovi offices`)
    #[arg(long, value_name = "ID", conflicts_with = "origin_address")]
    origin_office_id: Option<String>,
    /// "street number, zip city, country", with otherPlace or homeAddress, e.g.
    /// "Street 12, 00100 Helsinki, FI" (country FI or SE)
    #[arg(long, value_name = "ADDRESS")]
    origin_address: Option<String>,
    /// ownOffices, otherPlace or homeAddress (required)
    #[arg(long, value_name = "TYPE")]
    destination_type: Option<String>,
    /// Flovi office id, with --destination-type ownOffices
    #[arg(long, value_name = "ID", conflicts_with = "destination_address")]
    destination_office_id: Option<String>,
    /// "street number, zip city, country", with otherPlace or homeAddress
    #[arg(long, value_name = "ADDRESS")]
    destination_address: Option<String>,
    /// The car moves on test plates (Flovi adds 2 hours to the schedule)
    #[arg(long)]
    test_plates: bool,
    /// When the car can be picked up: ISO 8601 in UTC, e.g. 2025-04-23T12:00:00Z (required)
    #[arg(long, value_name = "ISO")]
    depart: Option<String>,
    #[command(flatten)]
    connection: Connection,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum FloviCommand {
    /// List your organisation's offices (and remember them for checking office ids)
    Offices {
        #[command(flatten)]
        connection: Connection,
        /// Print a JSON array
        #[arg(long)]
        json: bool,
    },
    /// Create a schedule and print the link where it is completed. Every field is checked
    /// first; nothing is sent when one is wrong (exit 2).
    Schedule(Box<ScheduleArgs>),
    /// Store the API key encrypted, read from an environment variable; or remove it
    SetKey {
        #[command(flatten)]
        data: DataDir,
        /// Environment variable holding the key
        #[arg(long, value_name = "VAR", required_unless_present = "remove")]
        key_env: Option<String>,
        /// Remove the stored key
        #[arg(long, conflicts_with = "key_env")]
        remove: bool,
    },
    /// Store the base URL calls go to (https, or http to this machine for testing)
    SetBaseUrl {
        #[command(flatten)]
        data: DataDir,
        #[arg(value_name = "URL", required_unless_present = "default")]
        url: Option<String>,
        /// Go back to Flovi's documented base URL
        #[arg(long, conflicts_with = "url")]
        default: bool,
    },
    /// Show the base URL and whether a key is set (never the key)
    Settings {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        json: bool,
    },
    /// List recorded calls, newest first
    History {
        #[command(flatten)]
        data: DataDir,
        /// Print a JSON array
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: u32,
    },
    /// Send a recorded call again, as it was, with the current key (recorded as a new call)
    Rerun {
        id: i64,
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        wait: Wait,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: FloviCommand) -> Result<u8> {
    let mut out = term::raw_stdout();
    match command {
        FloviCommand::Offices { connection, json } => {
            let client = connection.client()?;
            let offices = block_on(client.offices()).map_err(failure)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &offices)?;
                writeln!(out)?;
            } else if offices.is_empty() {
                writeln!(out, "no offices")?;
            } else {
                writeln!(out, "{:<12} NAME", "ID")?;
                for office in &offices {
                    writeln!(out, "{:<12} {}", term::line(&office.id), term::line(&office.name))?;
                }
            }
        }
        FloviCommand::Schedule(args) => {
            let request = args.request();
            let client = args.connection.client()?;
            let result = block_on(client.schedule(&request)).map_err(failure)?;
            if args.json {
                serde_json::to_writer_pretty(&mut out, &result)?;
                writeln!(out)?;
            } else {
                writeln!(out, "schedule  {}", term::line(&result.schedule_id))?;
                writeln!(
                    out,
                    "depart    {} .. {}",
                    term::line(&result.depart_at_earliest),
                    term::line(&result.depart_at_latest)
                )?;
                writeln!(
                    out,
                    "arrive    {} .. {}",
                    term::line(&result.arrive_at_earliest),
                    term::line(&result.arrive_at_latest)
                )?;
                writeln!(out, "complete  {}", term::line(&result.completion_link))?;
            }
        }
        FloviCommand::SetKey { data, key_env, remove } => {
            let client = open(&data, FloviOptions::default())?;
            if remove {
                client.set_api_key("").map_err(failure)?;
                writeln!(out, "Flovi API key removed")?;
            } else {
                let var = key_env.unwrap_or_default();
                let value = secret_values(&[], &[var])?.concat();
                let settings = client.set_api_key(&value).map_err(failure)?;
                writeln!(
                    out,
                    "Flovi API key stored, encrypted with {}",
                    sealed_by(&settings.key_source)
                )?;
            }
        }
        FloviCommand::SetBaseUrl { data, url, default } => {
            let client = open(&data, FloviOptions::default())?;
            let url = if default { String::new() } else { url.unwrap_or_default() };
            let settings = client.set_base_url(&url).map_err(failure)?;
            writeln!(out, "Flovi base URL: {}", settings.base_url)?;
        }
        FloviCommand::Settings { data, json } => {
            let from_env = env_key()?;
            let env_set = from_env.is_some();
            let client =
                open(&data, FloviOptions { api_key: from_env, ..FloviOptions::default() })?;
            let settings = client.settings().map_err(failure)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &settings)?;
                writeln!(out)?;
            } else {
                let key = match (env_set, settings.has_api_key) {
                    (true, _) => format!("from {API_KEY_ENV}"),
                    (false, true) => {
                        format!("stored, encrypted with {}", sealed_by(&settings.key_source))
                    }
                    (false, false) => "not set".to_owned(),
                };
                writeln!(out, "base URL  {}", settings.base_url)?;
                writeln!(out, "API key   {key}")?;
            }
        }
        FloviCommand::History { data, json, limit } => {
            let client = open(&data, FloviOptions::default())?;
            let calls = client.calls(limit).map_err(failure)?;
            if json {
                let calls: Vec<serde_json::Value> = calls.iter().map(call_json).collect();
                serde_json::to_writer_pretty(&mut out, &calls)?;
                writeln!(out)?;
            } else if calls.is_empty() {
                writeln!(out, "no calls")?;
            } else {
                writeln!(
                    out,
                    "{:>6}  {:<23}  {:<6} {:<6} {:>8}  URL / RESULT",
                    "ID", "AT", "METHOD", "STATUS", "TIME"
                )?;
                for call in &calls {
                    writeln!(
                        out,
                        "{:>6}  {:<23}  {:<6} {:<6} {:>6}ms  {}  {}",
                        call.id,
                        format_time(call.at),
                        call.method,
                        call.status.map_or("-".to_owned(), |s| s.to_string()),
                        call.duration_ms,
                        term::line(&call.url),
                        term::line(&outcome(call)),
                    )?;
                }
            }
        }
        FloviCommand::Rerun { id, data, wait, json } => {
            let options =
                FloviOptions { timeout: wait.duration()?, api_key: env_key()?, base_url: None };
            let client = open(&data, options)?;
            let call = block_on(client.rerun(id)).map_err(failure)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &call_json(&call))?;
                writeln!(out)?;
            } else {
                let status = call.status.map_or("no answer".to_owned(), |s| s.to_string());
                writeln!(
                    out,
                    "call {}: {} {} -> {status} in {} ms",
                    call.id,
                    call.method,
                    term::line(&call.url),
                    call.duration_ms
                )?;
                if let Some(schedule) = &call.schedule_id {
                    writeln!(out, "schedule  {}", term::line(schedule))?;
                    writeln!(
                        out,
                        "complete  {}",
                        term::line(&hookscope_core::flovi_api::completion_link(schedule))
                    )?;
                }
            }
            out.flush()?;
            if let Some(error) = &call.error {
                return Err(anyhow!("call {} failed: {}", call.id, term::line(error)));
            }
        }
    }
    out.flush()?;
    Ok(0)
}

impl ScheduleArgs {
    fn request(&self) -> ScheduleRequest {
        ScheduleRequest {
            reservation_type: self.reservation_type.clone().unwrap_or_default(),
            origin_type: self.origin_type.clone().unwrap_or_default(),
            origin_office_id: self.origin_office_id.clone(),
            origin_address: self.origin_address.clone(),
            destination_type: self.destination_type.clone().unwrap_or_default(),
            destination_office_id: self.destination_office_id.clone(),
            destination_address: self.destination_address.clone(),
            depart: self.depart.clone().unwrap_or_default(),
            test_plates: self.test_plates,
        }
    }
}

impl Connection {
    /// A client with the key from the environment (if set) and the flags' base URL and timeout.
    fn client(&self) -> Result<FloviClient> {
        if let Some(url) = &self.base_url {
            check_base_url(url).map_err(failure)?;
        }
        let options = FloviOptions {
            timeout: self.wait.duration()?,
            api_key: env_key()?,
            base_url: self.base_url.clone(),
        };
        open(&self.data, options)
    }
}

impl Wait {
    fn duration(&self) -> Result<Duration, UsageError> {
        if self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0 {
            Ok(Duration::from_secs_f64(self.timeout))
        } else {
            Err(UsageError(format!(
                "--timeout must be a number of seconds above 0 and at most 3600, not {}",
                self.timeout
            )))
        }
    }
}

fn open(data: &DataDir, options: FloviOptions) -> Result<FloviClient> {
    let dir = paths::data_dir(data.data_dir.clone());
    let store = Store::open(&dir, StoreOptions::default())?;
    Ok(FloviClient::open(store, &dir, options)?)
}

/// The key from `FLOVI_API_KEY`, when it is set and not empty.
fn env_key() -> Result<Option<ApiKey>, UsageError> {
    match std::env::var(API_KEY_ENV) {
        Ok(value) if !value.trim().is_empty() => {
            ApiKey::new(&value).map(Some).map_err(|e| UsageError(format!("{API_KEY_ENV}: {e}")))
        }
        _ => Ok(None),
    }
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime");
    match runtime {
        Ok(runtime) => runtime.block_on(future),
        // Building a current-thread runtime only fails when the OS refuses a timer or an
        // I/O driver; there is nothing sensible to fall back to.
        Err(err) => {
            eprintln!("error: {}", term::line(&format!("{err:#}")));
            std::process::exit(1);
        }
    }
}

/// Exit 2 for what the user must fix before anything can be sent, 1 for what went wrong
/// on the way or at Flovi.
fn failure(err: FloviError) -> anyhow::Error {
    match err {
        FloviError::Invalid(errors) => {
            let lines: Vec<String> =
                errors.iter().map(|e| format!("  {}: {}", e.field, e.message)).collect();
            UsageError(format!(
                "the schedule request has {}; nothing was sent:\n{}",
                hookscope_core::plural::count(errors.len() as u64, "problem", "problems"),
                lines.join("\n")
            ))
            .into()
        }
        FloviError::NoKey => UsageError(format!(
            "no Flovi API key: set {API_KEY_ENV} or store one with `hookscope-cli flovi set-key \
             --key-env VAR`; nothing was sent"
        ))
        .into(),
        FloviError::BaseUrl(why) => UsageError(format!("{why}; nothing was sent")).into(),
        FloviError::BadKey => UsageError(err.to_string()).into(),
        FloviError::Api { .. } => anyhow!("Flovi answered {err}"),
        other => other.into(),
    }
}

fn sealed_by(source: &KeySource) -> String {
    match source {
        KeySource::Keyring => "a data key in the OS keyring".into(),
        KeySource::KeyFile { path } => format!("the data key in {path}"),
    }
}

/// A call as JSON, with the truncation flag the window's type leaves out.
fn call_json(call: &FloviCall) -> serde_json::Value {
    let mut value = serde_json::to_value(call).unwrap_or_default();
    value["responseTruncated"] = call.response_truncated.into();
    value
}

fn outcome(call: &FloviCall) -> String {
    let mut text = match (&call.schedule_id, &call.error) {
        (_, Some(error)) => format!("error: {error}"),
        (Some(id), None) => format!("schedule {id}"),
        (None, None) => "ok".to_owned(),
    };
    if call.response_truncated {
        text.push_str(" (answer truncated at 1 MiB)");
    }
    text
}
