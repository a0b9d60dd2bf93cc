//! Forwards the command layer's live feed (new deliveries in batches, store changes, the
//! tunnel's status) to the window as Tauri events of the same names.

use hookscope_core::app::App;
use tauri::{AppHandle, Emitter};

pub fn spawn(handle: AppHandle, app: App) {
    tauri::async_runtime::spawn(async move {
        let mut events = app.events();
        while let Some(event) = events.recv().await {
            if let Err(err) = handle.emit(event.name(), event.payload()) {
                tracing::warn!("cannot send {} to the window: {err}", event.name());
            }
        }
    });
}
