use std::path::Path;
use std::time::Duration;

use base64::Engine;

use super::*;
use crate::flovi_api::FloviOptions;
use crate::store::{DeliveryAnalysis, NewDelivery, StoreOptions};

fn app(dir: &Path) -> App {
    // A key file first, so tests never reach for the developer's keyring.
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    std::fs::write(dir.join(crate::secrets::KEY_FILE), key).unwrap();
    let store = Store::open(dir, StoreOptions::default()).unwrap();
    let registry = Registry::open(store.clone(), dir).unwrap();
    let flovi = FloviClient::new(store, registry.secret_box(), FloviOptions::default());
    let server = ServerInfo {
        base_url: String::new(),
        data_dir: dir.display().to_string(),
        max_body: 1024,
        listen_error: None,
    };
    App::new(registry, server, None, flovi, None)
}

fn delivery(n: u8) -> NewDelivery {
    NewDelivery {
        received_at: 1_700_000_000_000 + i64::from(n),
        method: "POST".into(),
        path: "/fleiko".into(),
        query: None,
        target: None,
        http_version: "HTTP/1.1".into(),
        headers: vec![(b"content-type".to_vec(), b"application/json".to_vec())],
        body_size: 2,
        body: Some(b"{}".to_vec().into()),
        remote_addr: None,
        via_tunnel: None,
        endpoint_id: None,
        endpoint: None,
        provider: None,
        response_status: 200,
        response_latency_us: 10,
        analysis: DeliveryAnalysis::default(),
    }
}

#[tokio::test]
async fn a_burst_of_deliveries_reaches_a_receiver_whole_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let mut events = app.events();
    let writer = app.store().writer().unwrap();
    let mut stored = Vec::new();
    for n in 0..40 {
        stored.push(writer.insert(delivery(n)).await.unwrap().id);
    }
    let mut seen = Vec::new();
    let mut batches = 0;
    while seen.len() < stored.len() {
        let event = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("the feed went quiet")
            .expect("the feed ended");
        if let AppEvent::Deliveries(batch) = &event {
            assert_eq!(event.name(), BATCH_EVENT);
            let payload = event.payload();
            assert_eq!(payload.as_array().unwrap().len(), batch.len());
            seen.extend(batch.iter().map(|d| d.id));
            batches += 1;
        }
    }
    assert_eq!(seen, stored);
    assert!(batches >= 1);
}

#[tokio::test]
async fn endpoint_changes_reach_every_receiver_and_secrets_never_leave() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let (mut first, mut second) = (app.events(), app.events());
    let fleiko =
        app.list_endpoints().await.unwrap().into_iter().find(|e| e.path_prefix == "/fleiko");
    let id = fleiko.expect("the default Fleiko endpoint").id;
    let slot = crate::registry::SecretSlot::New { value: "whsec_not_for_pages".into() };
    app.set_endpoint_secrets(id, vec![slot]).await.unwrap();
    for events in [&mut first, &mut second] {
        loop {
            let event = tokio::time::timeout(Duration::from_secs(30), events.recv())
                .await
                .expect("no store change arrived")
                .expect("the feed ended");
            if let AppEvent::StoreChanged(change) = event {
                assert!(change.endpoints);
                break;
            }
        }
    }
    let listed = serde_json::to_string(&app.list_endpoint_settings().await.unwrap()).unwrap();
    assert!(!listed.contains("whsec_not_for_pages"));
    assert_eq!(app.reveal_endpoint_secret(id, 0).await.unwrap(), "whsec_not_for_pages");
}

#[tokio::test]
async fn desktop_only_and_missing_things_say_so_with_their_code() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let missing = app.get_delivery(999).await.unwrap_err();
    assert_eq!(missing.code(), "not_found");
    let no_tunnel = app.start_tunnel(crate::tunnel::TunnelKind::Bore).await.unwrap_err();
    assert_eq!(no_tunnel.code(), "no_listener");
    let unavailable =
        serde_json::to_value(AppError::Unavailable("only in the desktop app")).unwrap();
    assert_eq!(
        unavailable,
        serde_json::json!({"code": "unavailable", "message": "only in the desktop app"})
    );
}
