//! HTTP requests as API Gateway hands them to a function through `lambda_http`: method, path,
//! headers and query parameters, no body.

use std::collections::HashMap;

use lambda_http::{Body, Request, RequestExt};

/// A request without a body, for the read routes (`/metrics`, `/explain`, `/health`).
pub fn request(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Request {
    let mut builder = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let params: HashMap<String, String> = query
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    builder
        .body(Body::Empty)
        .expect("a valid request")
        .with_query_string_parameters(params)
}
