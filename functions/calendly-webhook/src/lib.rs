//! Calendly webhooks: `POST /webhooks/calendly/{accountId}`, and the compatibility route
//! `POST /api/webhooks/calendar/calendly` with the account in `x-account-id`.
//!
//! The handler is a library so that `booking-tracker serve` mounts it unchanged.

use lambda_http::{Body, Request, Response};
use shared::domain::Provider;
use shared::store::Store;
use shared::webhooks::WebhookService;

pub async fn handle<S: Store + ?Sized>(
    service: &WebhookService<S>,
    request: Request,
) -> Response<Body> {
    shared::lambda::webhook(service, Provider::Calendly, &request).await
}
