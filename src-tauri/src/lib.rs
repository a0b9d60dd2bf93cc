//! The desktop shell: starts the core's listener, hands the command layer to the window
//! and forwards its live feed. All logic lives in `hookscope-core`.

mod args;
mod bridge;
mod commands;

use std::net::SocketAddr;

use hookscope_core::capture::ListenerHandle;
use hookscope_core::capture::{
    CaptureConfig, DEFAULT_MAX_BODY, Listener, ServerInfo, exposure_warning,
};
use hookscope_core::flovi_api::{DEFAULT_TIMEOUT, FloviClient, FloviOptions};
use hookscope_core::paths;
use hookscope_core::registry::Registry;
use hookscope_core::store::{Store, StoreOptions};
use hookscope_core::tunnel::{TunnelManager, TunnelService};

use hookscope_core::app::App;

use crate::args::Args;

const DEFAULT_LISTEN: ([u8; 4], u16) = ([127, 0, 0, 1], 8787);

pub fn run() {
    // A log line that cannot be written is dropped, never a failure: a panic in the thread
    // that logged it (the store's writer, say) would cost captures.
    tracing_subscriber::fmt()
        .with_writer(|| hookscope_core::logging::LogStderr)
        .log_internal_errors(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    };
    let data_dir = paths::data_dir(args.data_dir.clone());
    let store = match Store::open(&data_dir, StoreOptions::default()) {
        Ok(store) => store,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(1);
        }
    };
    let registry = match Registry::open(store.clone(), &data_dir) {
        Ok(registry) => registry,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(1);
        }
    };
    let flovi_options = FloviOptions {
        timeout: args.flovi_timeout.unwrap_or(DEFAULT_TIMEOUT),
        ..FloviOptions::default()
    };
    let flovi = FloviClient::new(store.clone(), registry.secret_box(), flovi_options);
    let max_body = args.max_body.unwrap_or(DEFAULT_MAX_BODY);
    let (server, listener) =
        tauri::async_runtime::block_on(start_listener(&registry, &args, max_body));
    let server = ServerInfo { data_dir: data_dir.display().to_string(), max_body, ..server };
    tracing::info!("listening on {} with data in {}", server.base_url, server.data_dir);
    let tunnel = listener.clone().map(|handle| {
        let runtime = tauri::async_runtime::block_on(async { tokio::runtime::Handle::current() });
        TunnelService::new(registry.clone(), TunnelManager::new(handle, runtime))
    });

    let app = App::new(registry, server, listener, flovi, tunnel.clone());
    let result = tauri::Builder::default()
        .manage(app.clone())
        .invoke_handler(tauri::generate_handler![
            commands::server::get_server_info,
            commands::server::list_endpoints,
            commands::server::list_endpoint_counts,
            commands::deliveries::list_deliveries,
            commands::deliveries::get_delivery,
            commands::deliveries::get_delivery_body,
            commands::deliveries::get_delivery_responses,
            commands::deliveries::list_event_types,
            commands::deliveries::get_delivery_group,
            commands::endpoints::list_endpoint_settings,
            commands::endpoints::save_endpoint,
            commands::endpoints::delete_endpoint,
            commands::endpoints::set_endpoint_secrets,
            commands::endpoints::reveal_endpoint_secret,
            commands::endpoints::get_secret_storage,
            commands::flovi::get_flovi_settings,
            commands::flovi::set_flovi_base_url,
            commands::flovi::set_flovi_api_key,
            commands::flovi::list_flovi_offices,
            commands::flovi::validate_flovi_schedule,
            commands::flovi::create_flovi_schedule,
            commands::flovi::list_flovi_calls,
            commands::flovi::rerun_flovi_call,
            commands::replay::get_replay_draft,
            commands::replay::replay_delivery,
            commands::replay::replay_deliveries,
            commands::replay::list_replays,
            commands::replay::get_outbound_record,
            commands::replay::get_outbound_bodies,
            commands::replay::diff_deliveries,
            commands::replay::list_samples,
            commands::replay::send_sample,
            commands::lab::get_endpoint_lab,
            commands::lab::set_endpoint_response,
            commands::lab::set_endpoint_forward,
            commands::lab::get_delivery_lab,
            commands::lab::export_deliveries,
            commands::lab::export_deliveries_to_file,
            commands::lab::import_har_file,
            commands::tunnel::get_tunnel_status,
            commands::tunnel::get_tunnel_settings,
            commands::tunnel::save_tunnel_settings,
            commands::tunnel::start_tunnel,
            commands::tunnel::stop_tunnel,
            commands::handler_check::run_handler_check,
            commands::handler_check::list_handler_check_runs,
            commands::handler_check::get_handler_check_run,
            commands::handler_check::compare_handler_check_runs,
        ])
        .setup(move |window| {
            bridge::spawn(window.handle().clone(), app);
            if let Some(tunnel) = &tunnel {
                // The tunnel running when the app last closed comes back with it.
                if let Err(err) = tunnel.restore() {
                    tracing::warn!("cannot restore the tunnel: {err}");
                }
            }
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("error: the window could not run: {err}");
        std::process::exit(1);
    }
}

/// Binds the listener and leaves it serving for the life of the app. Without `--listen`,
/// a taken default port (a CLI `serve` running, say) falls back to any free port.
async fn start_listener(
    registry: &Registry,
    args: &Args,
    max_body: u64,
) -> (ServerInfo, Option<ListenerHandle>) {
    let requested = args.listen.unwrap_or_else(|| SocketAddr::from(DEFAULT_LISTEN));
    let config = |listen| CaptureConfig { listen, max_body, ..CaptureConfig::default() };
    let mut bound = Listener::bind(&config(requested), registry).await;
    if bound.is_err() && args.listen.is_none() {
        let any = SocketAddr::new(requested.ip(), 0);
        bound = Listener::bind(&config(any), registry).await;
    }
    let empty = ServerInfo {
        base_url: String::new(),
        data_dir: String::new(),
        max_body,
        listen_error: None,
    };
    match bound {
        Ok(listener) => {
            if let Some(warning) = exposure_warning(&listener.local_addr()) {
                eprintln!("{warning}");
            }
            let base_url = format!("http://{}", listener.local_addr());
            let handle = listener.handle();
            tauri::async_runtime::spawn(listener.run(std::future::pending()));
            (ServerInfo { base_url, ..empty }, Some(handle))
        }
        Err(err) => {
            tracing::error!("{err}");
            (ServerInfo { listen_error: Some(err.to_string()), ..empty }, None)
        }
    }
}
