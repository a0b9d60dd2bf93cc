//! The built UI, embedded at compile time so the binary serves it from anywhere.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};

#[derive(rust_embed::Embed)]
#[folder = "../../../ui/dist"]
struct Dist;

/// A file of `ui/dist` by request path (`/` is the index page); 404 plain text otherwise.
pub fn serve(method: &Method, path: &str) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n").into_response();
    }
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        name => name,
    };
    let Some(file) = Dist::get(name) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let body = if method == Method::HEAD { Body::empty() } else { Body::from(file.data) };
    ([(CONTENT_TYPE, file.metadata.mimetype().to_owned())], body).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn content_type(response: &Response) -> &str {
        response.headers()[CONTENT_TYPE].to_str().unwrap()
    }

    #[test]
    fn the_index_and_its_assets_have_their_types() {
        let index = serve(&Method::GET, "/");
        assert_eq!(index.status(), StatusCode::OK);
        assert!(content_type(&index).starts_with("text/html"), "{}", content_type(&index));
        let script = Dist::iter().find(|f| f.starts_with("assets/") && f.ends_with(".js")).unwrap();
        let response = serve(&Method::GET, &format!("/{script}"));
        assert!(content_type(&response).contains("javascript"), "{}", content_type(&response));
        assert_eq!(serve(&Method::GET, "/nope.js").status(), StatusCode::NOT_FOUND);
        assert_eq!(serve(&Method::GET, "/../Cargo.toml").status(), StatusCode::NOT_FOUND);
        assert_eq!(serve(&Method::POST, "/").status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
