fn main() {
    // Declaring the app's commands makes each one need a permission, so the capability file
    // lists exactly what the window may call.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "get_server_info",
        "list_endpoints",
        "list_endpoint_counts",
        "list_deliveries",
        "get_delivery",
        "get_delivery_body",
        "get_delivery_responses",
        "list_event_types",
        "get_delivery_group",
        "list_endpoint_settings",
        "save_endpoint",
        "delete_endpoint",
        "set_endpoint_secrets",
        "reveal_endpoint_secret",
        "get_secret_storage",
        "get_flovi_settings",
        "set_flovi_base_url",
        "set_flovi_api_key",
        "list_flovi_offices",
        "validate_flovi_schedule",
        "create_flovi_schedule",
        "list_flovi_calls",
        "rerun_flovi_call",
        "get_replay_draft",
        "replay_delivery",
        "replay_deliveries",
        "list_replays",
        "get_outbound_bodies",
        "diff_deliveries",
        "list_samples",
        "send_sample",
        "get_endpoint_lab",
        "set_endpoint_response",
        "set_endpoint_forward",
        "get_delivery_lab",
        "export_deliveries",
        "export_deliveries_to_file",
        "import_har_file",
        "get_tunnel_status",
        "get_tunnel_settings",
        "save_tunnel_settings",
        "start_tunnel",
        "stop_tunnel",
    ]);
    if let Err(err) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
    {
        println!("cargo::error={err:#}");
    }
}
