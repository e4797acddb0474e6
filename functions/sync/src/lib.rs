//! The reconciliation, in one function: the hourly EventBridge schedule enqueues every account
//! that needs sync on the sync queue; the queue's records (SQS) are synced one account each;
//! `POST /sync` (API Gateway) syncs the API key's account now; `GET /health` answers the
//! doctor's checks of it; `POST /appointments/{id}/cancel|no-show` acts on one booking at its
//! provider.
//!
//! The handlers are a library so that `booking-tracker serve` mounts `handle_http` unchanged.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_http::lambda_runtime::LambdaEvent;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use shared::store::Store;
use shared::sync::{SyncQueue, SyncService};
use tokio::time::Instant;

/// Time kept back from the Lambda deadline to save the run's state and answer.
const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// What the function holds across invocations.
pub struct SyncFunction<S: ?Sized> {
    pub service: SyncService<S>,
    /// Where the schedule enqueues accounts (`SYNC_QUEUE_URL`).
    pub queue: Arc<dyn SyncQueue>,
}

impl<S: ?Sized> std::fmt::Debug for SyncFunction<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncFunction")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// Builds what the function holds, once per cold start.
pub async fn build(
    config: shared::lambda::FunctionConfig,
) -> Result<SyncFunction<shared::store::dynamo::DynamoStore>, String> {
    let (service, queue) = shared::lambda::sync_service(config).await?;
    Ok(SyncFunction {
        service,
        queue: Arc::new(queue),
    })
}

/// `POST /sync`, `GET /health` (the doctor's report) and `POST /appointments/{id}/cancel|no-show`.
pub async fn handle_http<S: Store + ?Sized>(
    service: &SyncService<S>,
    request: Request,
) -> Response<Body> {
    let path = request.uri().path();
    let response = if shared::actions::action_route(path).is_some() {
        service
            .handle_action(request.method(), path, request.headers(), request.body())
            .await
    } else if path.ends_with("/health") {
        let query = shared::lambda::first_values(&request);
        service
            .handle_health(request.method(), request.headers(), &query)
            .await
    } else {
        service
            .handle_http(request.method(), request.headers())
            .await
    };
    shared::lambda::into_lambda(response)
}

/// The schedule: one message per account that needs sync. `{"enqueued": N}`.
pub async fn handle_scheduled<S: Store + ?Sized>(
    function: &SyncFunction<S>,
) -> Result<Value, lambda_http::Error> {
    let enqueued = function.service.enqueue_all(&*function.queue).await?;
    Ok(json!({ "enqueued": enqueued }))
}

/// Queue records: one account each. Only records whose run could not finish for a reason that
/// may pass (store unavailable, the account's lease held, no time left) are reported as
/// failures, so that SQS delivers just those again.
pub async fn handle_records<S: Store + ?Sized>(
    service: &SyncService<S>,
    event: SqsEvent,
    deadline: Instant,
) -> SqsBatchResponse {
    let records = event
        .records
        .into_iter()
        .map(|r| (r.message_id.unwrap_or_default(), r.body.unwrap_or_default()))
        .collect();
    let mut response = SqsBatchResponse::default();
    for (id, outcome) in service.run_records(records, deadline).await {
        if outcome.is_retry() {
            response.add_failure(id);
        }
    }
    response
}

/// What invoked the function.
#[derive(Debug)]
pub enum Invocation {
    /// An API Gateway HTTP API request.
    Http(Box<Request>),
    /// The EventBridge schedule.
    Scheduled,
    /// Records of the sync queue.
    Queue(SqsEvent),
}

/// Tells an API Gateway request, an EventBridge scheduled event and SQS records apart.
pub fn classify(event: &Value) -> Result<Invocation, String> {
    if event.get("requestContext").is_some() {
        return lambda_http::request::from_str(&event.to_string())
            .map(|request| Invocation::Http(Box::new(request)))
            .map_err(|e| format!("not an API Gateway request: {e}"));
    }
    let from_sqs = event
        .get("Records")
        .and_then(Value::as_array)
        .is_some_and(|records| {
            records
                .iter()
                .all(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:sqs"))
        });
    if from_sqs {
        return serde_json::from_value(event.clone())
            .map(Invocation::Queue)
            .map_err(|e| format!("not an SQS event: {e}"));
    }
    let scheduled = event.get("source").and_then(Value::as_str) == Some("aws.events")
        || event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event");
    if scheduled {
        Ok(Invocation::Scheduled)
    } else {
        Err("neither an API Gateway request, SQS records nor an EventBridge scheduled event".into())
    }
}

/// The function's entry point: dispatches on the kind of event.
pub async fn handle_event<S: Store + ?Sized>(
    function: &SyncFunction<S>,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_http::Error> {
    let remaining = event
        .context
        .deadline()
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    let deadline = Instant::now() + remaining.saturating_sub(DEADLINE_MARGIN);
    match classify(&event.payload)? {
        Invocation::Scheduled => handle_scheduled(function).await,
        Invocation::Queue(records) => Ok(serde_json::to_value(
            handle_records(&function.service, records, deadline).await,
        )?),
        Invocation::Http(request) => Ok(gateway_response(
            handle_http(&function.service, *request).await,
        )),
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
