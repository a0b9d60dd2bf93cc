//! The API's one error shape, `{ "code", "message" }`, with the status each code travels under.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

#[derive(Debug)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            "unauthorized",
            "missing or wrong token: open the address `hookscope-cli serve --ui` printed",
        )
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new("forbidden", format!("refused: {what}"))
    }

    pub fn not_found(what: &str) -> Self {
        Self::new("not_found", format!("no such command: {what}"))
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid", message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new("too_large", format!("the request body is over the limit of {limit} bytes"))
    }

    pub fn status(&self) -> StatusCode {
        status_for(self.code)
    }
}

/// The HTTP status of an error code; the page reads only the code and message.
pub fn status_for(code: &str) -> StatusCode {
    match code {
        "unauthorized" => StatusCode::UNAUTHORIZED,
        "forbidden" => StatusCode::FORBIDDEN,
        "invalid" | "unavailable" => StatusCode::BAD_REQUEST,
        "not_found" => StatusCode::NOT_FOUND,
        "too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "no_listener" | "busy" => StatusCode::SERVICE_UNAVAILABLE,
        "network" | "timeout" | "flovi_api" => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // One line, as the contract promises, whatever the underlying error printed.
        let message = self.message.replace(['\r', '\n'], " ");
        let body = serde_json::json!({ "code": self.code, "message": message });
        (self.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_contracts_statuses() {
        let cases = [
            ("unauthorized", 401),
            ("forbidden", 403),
            ("invalid", 400),
            ("unavailable", 400),
            ("not_found", 404),
            ("too_large", 413),
            ("no_listener", 503),
            ("network", 502),
            ("timeout", 502),
            ("flovi_api", 502),
            ("store", 500),
            ("secrets", 500),
            ("tunnel", 500),
            ("io", 500),
            ("internal", 500),
        ];
        for (code, status) in cases {
            assert_eq!(status_for(code).as_u16(), status, "{code}");
        }
    }
}
