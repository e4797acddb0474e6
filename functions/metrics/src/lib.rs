//! Dashboard metrics: `GET /metrics` (the API key's account) and the compatibility route
//! `GET /api/metrics?account_id=..`, with their CORS preflights; and `GET /explain`, "why didn't
//! this booking count?"; and `GET /dashboard` with its script and stylesheet, the page that shows
//! them.
//!
//! The handler is a library so that `booking-tracker serve` mounts it unchanged.

use lambda_http::{Body, Request, Response};
use shared::metrics::MetricsService;
use shared::store::Store;

pub async fn handle<S: Store + ?Sized>(
    service: &MetricsService<S>,
    request: Request,
) -> Response<Body> {
    if let Some(page) = shared::lambda::dashboard(&request) {
        return page;
    }
    if request.uri().path().ends_with("/explain") {
        return shared::lambda::explain(service, &request).await;
    }
    shared::lambda::metrics(service, &request).await
}
