//! `POST /api/<command>` to the [`App`] method of the same name: arguments read from the JSON
//! object the page passes (the keys Tauri's `invoke` takes), the answer serialised back.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use hookscope_core::app::{App, AppError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{ApiError, Backend, CommandRequest, Reply, ServerEvent};

/// Every command the desktop window has, plus the browser's `import_har` upload. The two that
/// name a path on the server's disk are refused: the page may not choose files there.
pub const COMMANDS: &[&str] = &[
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
    "get_outbound_record",
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
    "run_handler_check",
    "list_handler_check_runs",
    "get_handler_check_run",
    "compare_handler_check_runs",
    "import_har",
];

/// The [`Backend`] of a running Hookscope.
pub struct AppBackend(pub Arc<App>);

impl Backend for AppBackend {
    fn call(
        &self,
        command: String,
        request: CommandRequest,
    ) -> BoxFuture<'static, Result<Reply, ApiError>> {
        let app = self.0.clone();
        async move { dispatch(&app, &command, request).await }.boxed()
    }

    fn events(&self) -> BoxStream<'static, ServerEvent> {
        let rx = self.0.events();
        futures::stream::unfold(rx, |mut rx| async {
            let event = rx.recv().await?;
            Some((ServerEvent { name: event.name().to_owned(), data: event.payload() }, rx))
        })
        .boxed()
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError::new(err.code(), err.to_string())
    }
}

/// The JSON arguments object; a key absent reads as `null` (an `Option` then is `None`).
struct Args(Map<String, Value>);

impl Args {
    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::invalid("the arguments must be a JSON object")),
            Err(err) => Err(ApiError::invalid(format!("the arguments are not JSON: {err}"))),
        }
    }

    fn get<T: DeserializeOwned>(&mut self, key: &str) -> Result<T, ApiError> {
        let value = self.0.remove(key).unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|err| ApiError::invalid(format!("{key}: {err}")))
    }
}

fn json<T: Serialize>(value: T) -> Result<Reply, ApiError> {
    serde_json::to_vec(&value)
        .map(Reply::Json)
        .map_err(|err| ApiError::new("internal", format!("cannot encode the answer: {err}")))
}

/// The `name` of `import_har?name=…`, decoded.
fn upload_name(query: Option<&str>) -> String {
    let name = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "name").map(|(_, v)| v)
    });
    name.map_or_else(|| "uploaded HAR".to_owned(), |n| n.into_owned())
}

async fn dispatch(app: &App, command: &str, request: CommandRequest) -> Result<Reply, ApiError> {
    if command == "import_har" {
        let name = upload_name(request.query.as_deref());
        return json(app.import_har(request.body.to_vec(), name).await?);
    }
    let mut a = Args::parse(&request.body)?;
    match command {
        "get_server_info" => json(app.get_server_info()),
        "list_endpoints" => json(app.list_endpoints().await?),
        "list_endpoint_counts" => json(app.list_endpoint_counts().await?),
        "list_deliveries" => json(app.list_deliveries(a.get("query")?).await?),
        "get_delivery" => json(app.get_delivery(a.get("id")?).await?),
        "get_delivery_body" => Ok(Reply::Bytes(app.get_delivery_body(a.get("id")?).await?)),
        "get_delivery_responses" => json(app.get_delivery_responses(a.get("id")?).await?),
        "list_event_types" => json(app.list_event_types().await?),
        "get_delivery_group" => json(app.get_delivery_group(a.get("id")?).await?),
        "list_endpoint_settings" => json(app.list_endpoint_settings().await?),
        "save_endpoint" => json(app.save_endpoint(a.get("endpoint")?).await?),
        "delete_endpoint" => json(app.delete_endpoint(a.get("id")?).await?),
        "set_endpoint_secrets" => {
            json(app.set_endpoint_secrets(a.get("id")?, a.get("secrets")?).await?)
        }
        "reveal_endpoint_secret" => {
            json(app.reveal_endpoint_secret(a.get("id")?, a.get("index")?).await?)
        }
        "get_secret_storage" => json(app.get_secret_storage()),
        "get_flovi_settings" => json(app.get_flovi_settings().await?),
        "set_flovi_base_url" => json(app.set_flovi_base_url(a.get("baseUrl")?).await?),
        "set_flovi_api_key" => json(app.set_flovi_api_key(a.get("key")?).await?),
        "list_flovi_offices" => json(app.list_flovi_offices().await?),
        "validate_flovi_schedule" => json(app.validate_flovi_schedule(a.get("request")?).await?),
        "create_flovi_schedule" => json(app.create_flovi_schedule(a.get("request")?).await?),
        "list_flovi_calls" => json(app.list_flovi_calls().await?),
        "rerun_flovi_call" => json(app.rerun_flovi_call(a.get("id")?).await?),
        "get_replay_draft" => json(app.get_replay_draft(a.get("id")?).await?),
        "replay_delivery" => json(app.replay_delivery(a.get("request")?).await?),
        "replay_deliveries" => {
            json(app.replay_deliveries(a.get("ids")?, a.get("url")?, a.get("options")?).await?)
        }
        "list_replays" => json(app.list_replays(a.get("id")?).await?),
        "get_outbound_record" => json(app.get_outbound_record(a.get("id")?).await?),
        "get_outbound_bodies" => json(app.get_outbound_bodies(a.get("id")?).await?),
        "diff_deliveries" => json(app.diff_deliveries(a.get("a")?, a.get("b")?).await?),
        "list_samples" => json(app.list_samples()),
        "send_sample" => json(app.send_sample(a.get("request")?).await?),
        "get_endpoint_lab" => json(app.get_endpoint_lab(a.get("id")?).await?),
        "set_endpoint_response" => {
            json(app.set_endpoint_response(a.get("id")?, a.get("rule")?).await?)
        }
        "set_endpoint_forward" => {
            json(app.set_endpoint_forward(a.get("id")?, a.get("forward")?).await?)
        }
        "get_delivery_lab" => json(app.get_delivery_lab(a.get("id")?).await?),
        "export_deliveries" => json(app.export_deliveries(a.get("ids")?, a.get("format")?).await?),
        "export_deliveries_to_file" | "import_har_file" => Err(ApiError::new(
            "unavailable",
            "the browser cannot name files on the server: download the export, or upload the HAR",
        )),
        "get_tunnel_status" => json(app.get_tunnel_status()),
        "get_tunnel_settings" => json(app.get_tunnel_settings().await?),
        "save_tunnel_settings" => json(app.save_tunnel_settings(a.get("input")?).await?),
        "start_tunnel" => json(app.start_tunnel(a.get("kind")?).await?),
        "stop_tunnel" => json(app.stop_tunnel().await?),
        "run_handler_check" => json(app.run_handler_check(a.get("input")?).await?),
        "list_handler_check_runs" => json(app.list_handler_check_runs().await?),
        "get_handler_check_run" => json(app.get_handler_check_run(a.get("id")?).await?),
        "compare_handler_check_runs" => {
            json(app.compare_handler_check_runs(a.get("before")?, a.get("after")?).await?)
        }
        other => Err(ApiError::not_found(other)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The desktop's command list, read from the shell's `generate_handler!`.
    fn desktop_commands() -> Vec<&'static str> {
        let shell = include_str!("../../../src/lib.rs");
        let start = shell.find("generate_handler![").unwrap();
        let end = start + shell[start..].find(']').unwrap();
        shell[start..end]
            .split(',')
            .filter_map(|item| item.trim().rsplit("::").next())
            .filter(|name| !name.is_empty() && !name.contains('['))
            .collect()
    }

    #[test]
    fn every_desktop_command_is_served() {
        let desktop = desktop_commands();
        assert!(desktop.len() > 40, "{desktop:?}");
        let mut served: Vec<&str> =
            COMMANDS.iter().copied().filter(|c| *c != "import_har").collect();
        let mut desktop_sorted = desktop.clone();
        served.sort_unstable();
        desktop_sorted.sort_unstable();
        assert_eq!(served, desktop_sorted);
        // And the dispatch knows each: its own source names every one as a match arm.
        let source = include_str!("dispatch.rs");
        let arms = &source[source.find("async fn dispatch").unwrap()..];
        for command in COMMANDS {
            assert!(arms.contains(&format!("\"{command}\"")), "{command} has no arm");
        }
    }

    #[test]
    fn arguments_are_an_object_or_nothing() {
        assert!(Args::parse(b"").unwrap().0.is_empty());
        assert!(Args::parse(b" \n").unwrap().0.is_empty());
        let mut args = Args::parse(br#"{"id": 3, "baseUrl": "x"}"#).unwrap();
        assert_eq!(args.get::<i64>("id").unwrap(), 3);
        assert_eq!(args.get::<String>("baseUrl").unwrap(), "x");
        assert_eq!(args.get::<Option<i64>>("rule").unwrap(), None);
        assert_eq!(args.get::<i64>("id").unwrap_err().code, "invalid");
        assert_eq!(Args::parse(b"[1]").err().unwrap().code, "invalid");
        assert_eq!(Args::parse(b"{").err().unwrap().code, "invalid");
    }

    #[test]
    fn upload_names_are_decoded() {
        assert_eq!(upload_name(Some("name=my%20hooks.har")), "my hooks.har");
        assert_eq!(upload_name(Some("x=1&name=a+b.har")), "a b.har");
        assert_eq!(upload_name(None), "uploaded HAR");
    }
}
