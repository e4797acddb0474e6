//! HTTP, framework-neutral: responses are `http::Response<String>` with JSON bodies. The Lambda
//! adapter and the local server both turn them into their own response types.

mod auth;
mod error;

pub use auth::{authenticate, read_account};
pub use error::ApiError;

use serde::Serialize;

/// The largest request body a webhook accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub type HttpResponse = http::Response<String>;

/// A JSON response with the given status.
pub fn json(status: u16, body: &impl Serialize) -> HttpResponse {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(text)
        .unwrap_or_else(|_| http::Response::new(String::new()))
}

pub fn error(error: &ApiError) -> HttpResponse {
    json(error.status(), &error.body())
}
