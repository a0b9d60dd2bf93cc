//! `hookscope-cli`: the capture core without a window — serve, list and show deliveries.

mod check;
mod endpoint;
mod export;
mod flovi;
mod replay;
mod term;
mod tunnel;
mod ui;
mod verify;

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hookscope_core::app::App;
use hookscope_core::capture::ServerInfo;
use hookscope_core::capture::{
    CaptureConfig, DEFAULT_BODY_IDLE_TIMEOUT, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IN_FLIGHT, Listener, exposure_warning,
};
use hookscope_core::flovi_api::{FloviClient, FloviOptions};
use hookscope_core::paths;
use hookscope_core::registry::Registry;
use hookscope_core::replay::form::BodyPreview;
use hookscope_core::store::responses::DeliveryResponses;
use hookscope_core::store::rules::{self, ImportInfo};
use hookscope_core::store::{
    DEFAULT_RETENTION, DeliveryQuery, DeliverySummary, MAX_LIST_LIMIT, Store, StoreOptions,
    SyncMode,
};
use hookscope_core::tunnel::{TunnelManager, TunnelService};
use hookscope_web::UiConfig;

#[derive(Parser)]
#[command(
    name = "hookscope-cli",
    version,
    about = "Capture and inspect webhook deliveries",
    after_help = "Logs go to stderr: only warnings and errors unless -v (info) or -vv (debug) \
                  is given; RUST_LOG, when set, chooses instead (e.g. RUST_LOG=hookscope_core=debug)."
)]
struct Cli {
    /// Log more on stderr: -v for what the program does, -vv for debugging
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DataDir {
    /// Where deliveries are stored [default: $HOOKSCOPE_DATA_DIR, else the OS data dir]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDir {
    fn open(&self) -> Result<Store> {
        self.open_with(StoreOptions::default())
    }

    fn open_with(&self, options: StoreOptions) -> Result<Store> {
        let dir = paths::data_dir(self.data_dir.clone());
        Ok(Store::open(&dir, options)?)
    }

    /// The store with endpoints and their secrets.
    fn registry(&self) -> Result<Registry> {
        self.registry_with(StoreOptions::default())
    }

    fn registry_with(&self, options: StoreOptions) -> Result<Registry> {
        let dir = paths::data_dir(self.data_dir.clone());
        Ok(Registry::open(Store::open(&dir, options)?, &dir)?)
    }
}

/// Bad arguments found after parsing; exits 2 like clap's own usage errors.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Secrets given literally, then those named by environment variables, in order.
pub fn secret_values(literal: &[String], envs: &[String]) -> Result<Vec<String>, UsageError> {
    let mut values = literal.to_vec();
    for var in envs {
        match std::env::var(var) {
            Ok(value) if !value.is_empty() => values.push(value),
            Ok(_) => return Err(UsageError(format!("environment variable {var} is empty"))),
            Err(_) => return Err(UsageError(format!("environment variable {var} is not set"))),
        }
    }
    Ok(values)
}

#[derive(Subcommand)]
enum Command {
    /// Run the capture listener until interrupted
    Serve {
        #[command(flatten)]
        data: DataDir,
        /// Address to listen on (port 0 picks a free port)
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Largest body stored; larger ones are answered 413 and only their metadata is kept
        #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY)]
        max_body: u64,
        /// Longest wait for the next byte of a body before answering 408
        #[arg(long, value_name = "SECS", value_parser = parse_secs,
            default_value_t = DEFAULT_BODY_IDLE_TIMEOUT.as_secs_f64())]
        body_idle_timeout: f64,
        /// Longest time to receive a whole body before answering 408
        #[arg(long, value_name = "SECS", value_parser = parse_secs,
            default_value_t = DEFAULT_BODY_TIMEOUT.as_secs_f64())]
        body_timeout: f64,
        /// Most connections open at once (lowered to fit the file handle limit); at the cap the
        /// connection silent the longest is closed to make room
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS as u32,
            value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: u32,
        /// Bytes all bodies being received may hold together; past it requests are answered
        /// 503 with Retry-After
        #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_IN_FLIGHT,
            value_parser = clap::value_parser!(u64).range(1..))]
        max_in_flight: u64,
        /// Keep at most this many deliveries (oldest pruned)
        #[arg(long, value_name = "N", default_value_t = DEFAULT_RETENTION)]
        retention: u64,
        /// How far a delivery is committed before the 2xx: `normal` survives the process being
        /// killed, `full` also fsyncs so it survives power loss
        #[arg(long, value_name = "MODE", default_value = "normal")]
        sync: SyncMode,
        #[command(flatten)]
        tunnel: tunnel::TunnelArgs,
        #[command(flatten)]
        ui: ui::UiArgs,
    },
    /// List stored deliveries, newest first
    List {
        #[command(flatten)]
        data: DataDir,
        /// Print a JSON array instead of a table
        #[arg(long)]
        json: bool,
        /// How many deliveries to print (any number: large ones are read in pages)
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: u32,
        /// Only deliveries older than this one (the next page: the last id printed)
        #[arg(long, value_name = "ID")]
        before: Option<i64>,
        /// Full-text search over path, headers and text bodies
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Only this provider's deliveries (flovi, flowella, fleiko)
        #[arg(long, value_name = "P")]
        provider: Option<String>,
        /// Only this HTTP method
        #[arg(long, value_name = "METHOD")]
        method: Option<String>,
    },
    /// Check a delivery's signature (exit 0 valid, 1 invalid or unsigned, 2 usage error)
    Verify(verify::VerifyArgs),
    /// Manage endpoints and their signing secrets
    #[command(subcommand)]
    Endpoint(endpoint::EndpointCommand),
    /// Call Flovi's customer API: offices, schedules, and the calls made
    #[command(subcommand)]
    Flovi(flovi::FloviCommand),
    /// Send deliveries again to a target URL, as captured or edited and re-signed (exit 0
    /// when every target answered 2xx)
    Replay(replay::ReplayArgs),
    /// Send a provider's ready-made, signed delivery of a documented event to a URL
    SendSample(replay::SampleArgs),
    /// Compare two deliveries, or a delivery and a replay (r12): headers and JSON paths
    Diff(replay::DiffArgs),
    /// Prove a webhook handler against a provider's documented contract: signed and broken
    /// deliveries, judged check by check (exit 0 all required checks pass, 1 one fails, 2 usage)
    CheckHandler(check::CheckArgs),
    /// Export deliveries as HAR 1.2, curl commands or JSON (secrets are never included)
    Export(export::ExportArgs),
    /// Import a HAR file's requests as deliveries (marked imported)
    Import(export::ImportArgs),
    /// Stored settings of the public tunnel (ngrok authtoken, bore server, external URL)
    #[command(subcommand)]
    Tunnel(tunnel::TunnelCommand),
    /// Show one delivery
    Show {
        id: i64,
        #[command(flatten)]
        data: DataDir,
        /// Print the delivery as JSON (headers as ordered [name, value] pairs)
        #[arg(long, conflicts_with = "raw")]
        json: bool,
        /// Write the body's bytes exactly as received
        #[arg(long)]
        raw: bool,
    },
}

// Many small allocations per request across worker threads: glibc's allocator contends there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A log line that cannot be written is dropped, never a failure (see `LogStderr`); nor is
    // it reported on the same stderr that just failed.
    tracing_subscriber::fmt()
        .with_writer(|| hookscope_core::logging::LogStderr)
        .log_internal_errors(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| log_level(cli.verbose).into()),
        )
        .init();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // The exit status still tells the failure when stderr cannot.
            let _ = writeln!(std::io::stderr(), "error: {}", term::line(&format!("{err:#}")));
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// What is logged without RUST_LOG: a command's output is what it prints, so libraries'
/// progress lines (a migration run, say) stay out of it unless asked for.
fn log_level(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Verify(args) => return verify::run(args),
        Command::Endpoint(command) => endpoint::run(command)?,
        Command::Flovi(command) => return flovi::run(command),
        Command::Replay(args) => return replay::replay(args),
        Command::SendSample(args) => return replay::send_sample(args),
        Command::Diff(args) => return replay::diff(args),
        Command::CheckHandler(args) => return check::run(args),
        Command::Export(args) => export::run_export(args)?,
        Command::Import(args) => export::run_import(args)?,
        Command::Tunnel(command) => tunnel::run(command)?,
        Command::Serve {
            data,
            listen,
            max_body,
            body_idle_timeout,
            body_timeout,
            max_connections,
            max_in_flight,
            retention,
            sync,
            tunnel,
            ui,
        } => {
            let overrides = tunnel.overrides()?;
            let ui = ui.config()?;
            let config = CaptureConfig {
                listen,
                max_body,
                body_idle_timeout: Duration::from_secs_f64(body_idle_timeout),
                body_timeout: Duration::from_secs_f64(body_timeout),
                max_connections: max_connections as usize,
                max_in_flight,
            };
            let registry = data.registry_with(StoreOptions { retention, sync })?;
            let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
            let data_dir = paths::data_dir(data.data_dir.clone());
            runtime.block_on(serve(registry, &data_dir, config, tunnel, overrides, ui))?;
        }
        Command::List { data, json, limit, before, search, provider, method } => {
            let store = data.open()?;
            let query = DeliveryQuery {
                search,
                provider,
                method,
                before_id: before,
                ..DeliveryQuery::default()
            };
            let deliveries = list_all(&store, query, limit)?;
            let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
            let imports = store.read(|c| rules::imports(c, &ids))?;
            if json {
                print_json(&deliveries, &imports)?;
            } else {
                print_table(&deliveries, &imports)?;
            }
        }
        Command::Show { id, data, json, raw } => {
            let store = data.open()?;
            let detail = store.detail(id)?;
            let body = store.body(id)?;
            let import = store.read(|c| rules::imports(c, &[id]))?.remove(&id);
            let mut out = term::raw_stdout();
            if raw {
                out.write_all(&body)?;
            } else if json {
                let responses = store.responses(id)?;
                let mut value = serde_json::to_value(&detail)?;
                mark_import(&mut value, import.as_ref());
                value["bodyText"] = match std::str::from_utf8(&body) {
                    Ok(text) => text.into(),
                    Err(_) => serde_json::Value::Null,
                };
                value["response"] = serde_json::to_value(&responses.response)?;
                value["forwardResponse"] = serde_json::to_value(&responses.forward_response)?;
                serde_json::to_writer_pretty(&mut out, &value)?;
                writeln!(out)?;
            } else {
                drop(out);
                print_detail(&detail, import.as_ref(), &body)?;
                print_responses(&store.responses(id)?)?;
                return Ok(0);
            }
            out.flush()?;
        }
    }
    Ok(0)
}

async fn serve(
    registry: Registry,
    data_dir: &Path,
    config: CaptureConfig,
    tunnel: tunnel::TunnelArgs,
    overrides: hookscope_core::tunnel::TunnelOverrides,
    ui: Option<UiConfig>,
) -> Result<()> {
    let listener = Listener::bind(&config, &registry).await?;
    let addr = listener.local_addr();
    if let Some(warning) = exposure_warning(&addr) {
        eprintln!("{warning}");
    }
    if config.max_in_flight < config.max_body {
        eprintln!(
            "warning: --max-in-flight {} is below --max-body {}: larger bodies are always \
             answered 503",
            config.max_in_flight, config.max_body
        );
    }
    {
        let mut out = term::raw_stdout();
        writeln!(out, "local: http://{addr}")?;
        out.flush()?;
    }
    // One manager for `--tunnel` and the browser's tunnel view, so the page shows its status.
    let manager = TunnelManager::new(listener.handle(), tokio::runtime::Handle::current());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let ui_server = match ui {
        Some(ui) => {
            let server = ServerInfo {
                base_url: format!("http://{addr}"),
                data_dir: data_dir.display().to_string(),
                max_body: config.max_body,
                listen_error: None,
            };
            let flovi = FloviClient::new(
                registry.store().clone(),
                registry.secret_box(),
                FloviOptions::default(),
            );
            let service = TunnelService::new(registry.clone(), manager.clone());
            let app =
                App::new(registry.clone(), server, Some(listener.handle()), flovi, Some(service));
            let ui_server = hookscope_web::bind(ui, Arc::new(app)).await?;
            if let Some(warning) = ui::exposure_warning(&ui_server.local_addr()) {
                eprintln!("{warning}");
            }
            let mut out = term::raw_stdout();
            writeln!(out, "ui: {}", ui_server.url())?;
            out.flush()?;
            let mut stopped = stopped.clone();
            Some(tokio::spawn(ui_server.run(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })))
        }
        None => None,
    };
    // Kept alive while serving; its tunnel ends with the process.
    let _tunnel = tunnel.start(&registry, manager, overrides);
    tracing::info!("capturing into {}", registry.store().path().display());
    let mut stopped = stopped;
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    listener
        .run(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .await;
    if let Some(ui_server) = ui_server {
        let _ = ui_server.await;
    }
    // A clean stop leaves no write-ahead log behind, however long a flood made it.
    let store = registry.store().clone();
    match tokio::task::spawn_blocking(move || store.truncate_log()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!("the write-ahead log was not emptied: {err}"),
        Err(_) => tracing::warn!("the write-ahead log was not emptied"),
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A positive, finite number of seconds, at most a day.
fn parse_secs(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .ok_or_else(|| format!("not a number of seconds between 0 and 86400: {value}"))
}

/// Up to `limit` deliveries matching `query`, newest first, read a page at a time: one read
/// returns at most [`MAX_LIST_LIMIT`] rows and each page starts below the last one's end.
fn list_all(store: &Store, mut query: DeliveryQuery, limit: u32) -> Result<Vec<DeliverySummary>> {
    let mut out: Vec<DeliverySummary> = Vec::new();
    while out.len() < limit as usize {
        let want = (limit as usize - out.len()).min(MAX_LIST_LIMIT as usize);
        query.limit = Some(want as u32);
        let page = store.list(&query)?;
        let full = page.len() == want;
        query.before_id = page.last().map(|d| d.id).or(query.before_id);
        out.extend(page);
        if !full {
            break;
        }
    }
    Ok(out)
}

fn print_detail(
    detail: &hookscope_core::store::DeliveryDetail,
    import: Option<&ImportInfo>,
    body: &[u8],
) -> Result<()> {
    let mut out = term::stdout();
    let s = &detail.summary;
    writeln!(out, "#{} {} {}", s.id, term::line(&s.method), path_line(s))?;
    writeln!(out, "received   {}", format_time(s.received_at))?;
    writeln!(out, "endpoint   {}", term::or_dash(s.endpoint.as_deref()))?;
    writeln!(out, "from       {}", term::or_dash(detail.remote_addr.as_deref()))?;
    writeln!(out, "protocol   {}", term::line(&detail.http_version))?;
    if let Some(tunnel) = &s.via_tunnel {
        writeln!(out, "via        {} tunnel", term::line(tunnel))?;
    }
    if let Some(import) = import {
        let source = import.source.as_deref().map(|s| format!(" from {}", term::line(s)));
        let when = format_time(import.imported_at);
        writeln!(out, "imported   {when}{}", source.unwrap_or_default())?;
    }
    writeln!(out, "answered   {}", status_text(s))?;
    if let Some(event) = &s.event_type {
        let attempt = s.attempt.map(|a| format!(", attempt {a}")).unwrap_or_default();
        writeln!(out, "event      {}{attempt}", term::line(event))?;
    }
    if let Some(summary) = &s.summary {
        writeln!(out, "summary    {}", term::line(summary))?;
    }
    if let Some(first) = s.duplicate_of {
        writeln!(out, "repeats    #{first}")?;
    }
    if let Some(v) = &s.signature_detail {
        writeln!(out, "signature  {}", term::line(&v.explanation))?;
    }
    writeln!(
        out,
        "body       {} bytes, sha256 {}",
        s.body_size,
        s.body_sha256.as_deref().unwrap_or("- (refused)")
    )?;
    writeln!(out)?;
    for (name, value) in &detail.headers {
        writeln!(out, "{}: {}", term::line(name), term::line(value))?;
    }
    writeln!(out)?;
    match std::str::from_utf8(body) {
        Ok(text) => writeln!(out, "{}", term::text(text))?,
        Err(_) => writeln!(out, "({} bytes of binary data; use --raw)", body.len())?,
    }
    out.flush()?;
    Ok(())
}

/// Adds to a delivery's JSON whether it was imported from a file rather than captured and,
/// if so, when and from which file.
fn mark_import(value: &mut serde_json::Value, import: Option<&ImportInfo>) {
    value["imported"] = import.is_some().into();
    if let Some(import) = import {
        value["importedAt"] = import.imported_at.into();
        value["importSource"] = import.source.clone().into();
    }
}

/// The answer the sender got and, in forward mode, what the target answered: status line,
/// headers, body, each escaped for the terminal.
fn print_responses(responses: &DeliveryResponses) -> Result<()> {
    let mut out = term::stdout();
    writeln!(out)?;
    match &responses.response {
        Some(r) => {
            writeln!(out, "response   {} {} (from {})", r.status, r.reason, r.source.describe())?;
            print_headers_and_body(&mut out, &r.headers, &r.body)?;
            if r.truncated {
                writeln!(out, "(truncated: {} of {} bytes kept)", r.body.size, r.body_size)?;
            }
        }
        None => writeln!(out, "response   not recorded")?,
    }
    if let Some(f) = &responses.forward_response {
        writeln!(out)?;
        let outcome = match (f.status, &f.error) {
            (_, Some(error)) => format!("no answer: {}", term::line(error)),
            (Some(status), None) => format!("{status} {}", f.reason),
            (None, None) => "no answer".to_owned(),
        };
        writeln!(
            out,
            "forwarded  {} {} -> {outcome} in {} ms",
            term::line(&f.method),
            term::line(&f.url),
            f.duration_ms
        )?;
        if f.error.is_none() {
            print_headers_and_body(&mut out, &f.headers, &f.body)?;
            if f.truncated {
                writeln!(out, "(truncated: the target's answer was longer than the record keeps)")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn print_headers_and_body(
    out: &mut impl Write,
    headers: &[(String, String)],
    body: &BodyPreview,
) -> Result<()> {
    for (name, value) in headers {
        writeln!(out, "{}: {}", term::line(name), term::line(value))?;
    }
    writeln!(out)?;
    if body.binary {
        writeln!(out, "({} bytes of binary data)", body.size)?;
    } else if !body.text.is_empty() {
        writeln!(out, "{}", term::text(&body.text))?;
    }
    Ok(())
}

fn print_json(deliveries: &[DeliverySummary], imports: &HashMap<i64, ImportInfo>) -> Result<()> {
    let mut rows = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        let mut value = serde_json::to_value(d)?;
        mark_import(&mut value, imports.get(&d.id));
        rows.push(value);
    }
    let mut out = term::raw_stdout();
    serde_json::to_writer_pretty(&mut out, &rows)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn print_table(deliveries: &[DeliverySummary], imports: &HashMap<i64, ImportInfo>) -> Result<()> {
    let mut out = term::stdout();
    if deliveries.is_empty() {
        writeln!(out, "no deliveries")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>8}  {:<23}  {:<7} {:<9} {:>9}  {:<6} {:<9} PATH / EVENT",
        "ID", "RECEIVED", "METHOD", "PROVIDER", "SIZE", "STATUS", "SIGNATURE"
    )?;
    for d in deliveries {
        writeln!(
            out,
            "{:>8}  {:<23}  {:<7} {:<9} {:>9}  {:<6} {:<9} {}{}{}",
            d.id,
            format_time(d.received_at),
            term::line(&d.method),
            term::or_dash(d.provider.as_deref()),
            d.body_size,
            d.response_status.map_or("-".to_owned(), |s| s.to_string()),
            d.signature.map_or("-", hookscope_core::store::status_text),
            path_line(d),
            d.event_type.as_deref().map(|e| format!("  {}", term::line(e))).unwrap_or_default(),
            if imports.contains_key(&d.id) { "  (imported)" } else { "" },
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Path and query as received, escaped for the terminal.
fn path_line(d: &DeliverySummary) -> String {
    let query = d.query.as_deref().map(|q| format!("?{q}")).unwrap_or_default();
    term::line(&format!("{}{query}", d.path)).into_owned()
}

fn status_text(d: &DeliverySummary) -> String {
    match (d.response_status, d.body_stored) {
        (Some(status), true) => status.to_string(),
        (Some(status), false) => format!("{status} (body refused)"),
        (None, _) => "-".to_owned(),
    }
}

/// UTC time as `YYYY-MM-DD HH:MM:SS.mmm`: the export's ISO 8601, spaced for reading.
fn format_time(ms: i64) -> String {
    hookscope_core::time::display_utc(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_times() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00.000");
        assert_eq!(format_time(1_533_204_620_123), "2018-08-02 10:10:20.123");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00:00.000");
    }
}
