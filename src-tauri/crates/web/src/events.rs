//! `GET /api/events`: the desktop's Tauri events as Server-Sent Events.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use crate::{KEEP_ALIVE, Shared, busy};

pub(crate) async fn stream(State(shared): State<Arc<Shared>>) -> Response {
    let Ok(permit) = shared.streams.clone().try_acquire_owned() else {
        return busy().into_response();
    };
    // Subscribed before `: ready` goes out, so a client that waits for it misses nothing.
    let events = shared.backend.events();
    let ready =
        futures::stream::once(async { Ok::<_, Infallible>(Event::default().comment("ready")) });
    let live = events.map(move |event| {
        // The slot is held for as long as the stream lives.
        let _held = &permit;
        let sse = Event::default().event(event.name);
        Ok(sse.json_data(&event.data).unwrap_or_else(|_| Event::default().comment("unencodable")))
    });
    Sse::new(ready.chain(live))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
        .into_response()
}
