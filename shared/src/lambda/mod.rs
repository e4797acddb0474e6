//! What every Lambda function's `main.rs` shares: tracing, configuration, clients built once per
//! cold start, and the adapter between `lambda_http` and the framework-neutral handlers. The
//! local server builds `lambda_http::Request`s too, so it runs the very same handlers.

mod config;

pub use config::{ConfigError, FunctionConfig};

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use lambda_http::lambda_runtime::LambdaEvent;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};

use crate::clock::SystemClock;
use crate::domain::Provider;
use crate::http::HttpResponse;
use crate::metrics::{MetricsRequest, MetricsService};
use crate::store::Store;
use crate::store::dynamo::DynamoStore;
use crate::webhooks::{WebhookRequest, WebhookService};

/// Runs a function: tracing, configuration (failing fast), the state built once by `build`, then
/// each request through `handler`.
pub async fn serve<T, B, BF, H, HF>(build: B, handler: H) -> Result<(), lambda_http::Error>
where
    T: Send + Sync + 'static,
    B: FnOnce(FunctionConfig) -> BF,
    BF: Future<Output = Result<T, String>>,
    H: Fn(Arc<T>, Request) -> HF,
    HF: Future<Output = Response<Body>> + Send,
{
    lambda_http::tracing::init_default_subscriber();
    let config = FunctionConfig::from_env()?;
    let state = Arc::new(build(config).await?);
    lambda_http::run(service_fn(|request| {
        let response = handler(Arc::clone(&state), request);
        async move { Ok::<_, std::convert::Infallible>(response.await) }
    }))
    .await
}

/// Runs a function that takes any event (the sync takes API Gateway requests and EventBridge
/// schedules): tracing, configuration (failing fast), state built once, then each event.
pub async fn serve_events<T, B, BF, H, HF>(build: B, handler: H) -> Result<(), lambda_http::Error>
where
    T: Send + Sync + 'static,
    B: FnOnce(FunctionConfig) -> BF,
    BF: Future<Output = Result<T, String>>,
    H: Fn(Arc<T>, LambdaEvent<serde_json::Value>) -> HF,
    HF: Future<Output = Result<serde_json::Value, lambda_http::Error>> + Send,
{
    lambda_http::tracing::init_default_subscriber();
    let config = FunctionConfig::from_env()?;
    let state = Arc::new(build(config).await?);
    lambda_http::lambda_runtime::run(lambda_http::lambda_runtime::service_fn(|event| {
        handler(Arc::clone(&state), event)
    }))
    .await
}

/// The webhook service over the configured DynamoDB table, opening secrets with `KMS_KEY_ID`.
pub async fn webhook_service(
    config: FunctionConfig,
) -> Result<WebhookService<DynamoStore>, String> {
    let aws = crate::store::dynamo::load_aws_config().await;
    Ok(WebhookService {
        store: Arc::new(store_with_secrets(&aws, &config)?),
        clock: Arc::new(SystemClock),
        calendly_tolerance: config.calendly_tolerance,
    })
}

/// The metrics service over the configured DynamoDB table. It never opens a secret.
pub async fn metrics_service(
    config: FunctionConfig,
) -> Result<MetricsService<DynamoStore>, String> {
    let aws = crate::store::dynamo::load_aws_config().await;
    let client = aws_sdk_dynamodb::Client::new(&aws);
    Ok(MetricsService {
        store: Arc::new(DynamoStore::new(client, config.table)),
        clock: Arc::new(SystemClock),
    })
}

/// The sync service over the configured DynamoDB table (providers' base URLs and pace from the
/// environment), and the sync queue (`SYNC_QUEUE_URL`), on one AWS configuration.
#[cfg(feature = "fanout")]
pub async fn sync_service(
    config: FunctionConfig,
) -> Result<
    (
        crate::sync::SyncService<DynamoStore>,
        crate::sync::sqs::SqsQueue,
    ),
    String,
> {
    let queue_url = config
        .sync_queue_url()
        .map_err(|e| e.to_string())?
        .to_owned();
    let aws = crate::store::dynamo::load_aws_config().await;
    let store = Arc::new(store_with_secrets(&aws, &config)?);
    let queue = crate::sync::sqs::SqsQueue::on_first_send(aws, queue_url);
    let service = crate::sync::SyncService::from_env(store, Arc::new(SystemClock))?;
    Ok((service, queue))
}

/// The table's store, its secrets sealed with the KMS key `KMS_KEY_ID` (required). The KMS
/// client is built on first use: a cold start that opens no secret never makes it.
fn store_with_secrets(
    aws: &aws_config::SdkConfig,
    config: &FunctionConfig,
) -> Result<DynamoStore, String> {
    let key_id = config.kms_key_id().map_err(|e| e.to_string())?;
    let client = aws_sdk_dynamodb::Client::new(aws);
    Ok(DynamoStore::new(client, config.table.clone()).with_kms_key(aws, key_id))
}

/// Handles `GET /metrics`, `GET /api/metrics` and their CORS preflights.
pub async fn metrics<S: Store + ?Sized>(
    service: &MetricsService<S>,
    request: &Request,
) -> Response<Body> {
    let response = service
        .handle(MetricsRequest {
            method: request.method(),
            headers: request.headers(),
            query: &first_values(request),
        })
        .await;
    into_lambda(response)
}

/// Handles `GET /explain`.
pub async fn explain<S: Store + ?Sized>(
    service: &MetricsService<S>,
    request: &Request,
) -> Response<Body> {
    let response = crate::explain::handle(
        service,
        MetricsRequest {
            method: request.method(),
            headers: request.headers(),
            query: &first_values(request),
        },
    )
    .await;
    into_lambda(response)
}

/// Handles `GET /dashboard` and its assets; `None` for a path that is not the dashboard's.
pub fn dashboard(request: &Request) -> Option<Response<Body>> {
    crate::dashboard::handle(
        request.method(),
        request.uri().path(),
        &first_values(request),
    )
    .map(into_lambda)
}

/// The request's query parameters, the first value of each.
pub fn first_values(request: &Request) -> BTreeMap<String, String> {
    let mut query = BTreeMap::new();
    if let Some(params) = request.query_string_parameters_ref() {
        for (name, value) in params.iter() {
            query
                .entry(name.to_owned())
                .or_insert_with(|| value.to_owned());
        }
    }
    query
}

/// Handles a webhook request for `provider`: the account comes from the `{accountId}` path
/// parameter, or the `x-account-id` header on the compatibility routes; the body arrives
/// base64-decoded already.
pub async fn webhook<S: Store + ?Sized>(
    service: &WebhookService<S>,
    provider: Provider,
    request: &Request,
) -> Response<Body> {
    let path_account = request
        .path_parameters_ref()
        .and_then(|params| params.first("accountId"));
    let response = service
        .receive(WebhookRequest {
            provider,
            path_account,
            headers: request.headers(),
            body: request.body().as_ref(),
        })
        .await;
    into_lambda(response)
}

pub fn into_lambda(response: HttpResponse) -> Response<Body> {
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::Text(body))
}
