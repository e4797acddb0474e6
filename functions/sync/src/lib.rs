//! The reconciliation, in one function: the hourly EventBridge schedule syncs every account with
//! provider credentials; `POST /sync` (API Gateway) syncs the API key's account now.
//!
//! The handlers are a library so that `booking-tracker serve` mounts `handle_http` unchanged.

use std::time::Duration;

use lambda_http::lambda_runtime::LambdaEvent;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::store::Store;
use shared::sync::SyncService;
use tokio::time::Instant;

/// Time kept back from the Lambda deadline to save the run's state and answer.
const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// `POST /sync`.
pub async fn handle_http<S: Store + ?Sized>(
    service: &SyncService<S>,
    request: Request,
) -> Response<Body> {
    let response = service
        .handle_http(request.method(), request.headers())
        .await;
    shared::lambda::into_lambda(response)
}

/// The scheduled run: one report per account with credentials.
pub async fn handle_scheduled<S: Store + ?Sized>(
    service: &SyncService<S>,
    deadline: Instant,
) -> Result<Value, lambda_http::Error> {
    let reports = service.sync_all(deadline).await?;
    Ok(json!({ "reports": reports }))
}

/// What invoked the function.
#[derive(Debug)]
pub enum Invocation {
    /// An API Gateway HTTP API request.
    Http(Box<Request>),
    /// The EventBridge schedule.
    Scheduled,
}

/// Tells an API Gateway request from an EventBridge scheduled event.
pub fn classify(event: &Value) -> Result<Invocation, String> {
    if event.get("requestContext").is_some() {
        return lambda_http::request::from_str(&event.to_string())
            .map(|request| Invocation::Http(Box::new(request)))
            .map_err(|e| format!("not an API Gateway request: {e}"));
    }
    let scheduled = event.get("source").and_then(Value::as_str) == Some("aws.events")
        || event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event");
    if scheduled {
        Ok(Invocation::Scheduled)
    } else {
        Err("neither an API Gateway request nor an EventBridge scheduled event".into())
    }
}

/// The function's entry point: dispatches on the kind of event.
pub async fn handle_event<S: Store + ?Sized>(
    service: &SyncService<S>,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_http::Error> {
    let remaining = event
        .context
        .deadline()
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    let deadline = Instant::now() + remaining.saturating_sub(DEADLINE_MARGIN);
    match classify(&event.payload)? {
        Invocation::Scheduled => handle_scheduled(service, deadline).await,
        Invocation::Http(request) => Ok(gateway_response(handle_http(service, *request).await)),
    }
}

/// An HTTP response in API Gateway's payload format 2.0.
fn gateway_response(response: Response<Body>) -> Value {
    let headers: serde_json::Map<String, Value> = response
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.to_string(), Value::from(value.to_str().ok()?))))
        .collect();
    json!({
        "statusCode": response.status().as_u16(),
        "headers": headers,
        "body": String::from_utf8_lossy(response.body().as_ref()),
        "isBase64Encoded": false,
    })
}
