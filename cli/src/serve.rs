//! `booking-tracker serve`: every route on one local server. Each request becomes the
//! `lambda_http::Request` API Gateway would have delivered, and goes to the very handler its
//! Lambda function runs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::extract::{RawPathParams, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use shared::clock::SystemClock;
use shared::http::{ApiError, MAX_BODY_BYTES, error};
use shared::lambda::{FunctionConfig, into_lambda};
use shared::metrics::MetricsService;
use shared::routes::{Function, ROUTES, methods_of};
use shared::store::Store;
use shared::sync::SyncService;
use shared::webhooks::WebhookService;
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::output;
use crate::store_url::StoreUrl;

/// Bodies past this are refused before any handler runs; up to it, handlers apply their own
/// limit (1 MiB for webhooks) and log the rejection against the account.
const TRANSPORT_LIMIT: usize = 2 * MAX_BODY_BYTES;
/// An oversized body is still read (and dropped) up to this size, so the client sees the 413
/// rather than a connection reset; past it the connection is cut.
const DRAIN_LIMIT: usize = 64 * MAX_BODY_BYTES;

#[derive(Clone)]
struct AppState {
    webhooks: Arc<WebhookService<dyn Store>>,
    metrics: Arc<MetricsService<dyn Store>>,
    sync: Arc<SyncService<dyn Store>>,
}

pub async fn run(store_url: &StoreUrl, args: ServeArgs, json: bool) -> anyhow::Result<()> {
    let store = store_url
        .open()
        .await
        .with_context(|| format!("cannot open the store {store_url}"))?;
    let calendly_tolerance = calendly_tolerance()?;
    let state = AppState {
        webhooks: Arc::new(WebhookService {
            store: Arc::clone(&store),
            clock: Arc::new(SystemClock),
            calendly_tolerance,
        }),
        metrics: Arc::new(MetricsService {
            store: Arc::clone(&store),
            clock: Arc::new(SystemClock),
        }),
        sync: Arc::new(
            SyncService::from_env(store, Arc::new(SystemClock)).map_err(|e| anyhow::anyhow!(e))?,
        ),
    };
    let schedule = args
        .sync_every
        .0
        .map(|every| tokio::spawn(sync_schedule(Arc::clone(&state.sync), every)));
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    if json {
        output::json_line(&serde_json::json!({
            "listening": format!("http://{addr}"),
            "dashboard": format!("http://{addr}/dashboard"),
            "store": store_url.to_string(),
        }));
    } else {
        output::line(format!(
            "booking-tracker listening on http://{addr} (store {store_url}); \
             dashboard: http://{addr}/dashboard"
        ));
    }
    tracing::info!(%addr, store = %store_url, "serving");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server failed")?;
    if let Some(schedule) = schedule {
        schedule.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// The same setting, with the same variable, as the Lambda functions.
fn calendly_tolerance() -> anyhow::Result<Duration> {
    let config = FunctionConfig::from_lookup(|name| match name {
        "TABLE_NAME" => Some("local".to_owned()),
        other => std::env::var(other).ok(),
    })?;
    Ok(config.calendly_tolerance)
}

/// The router, from the one route table the SAM template is checked against.
fn router(state: AppState) -> Router {
    use std::collections::BTreeMap;
    let mut paths: BTreeMap<&str, axum::routing::MethodRouter<AppState>> = BTreeMap::new();
    for route in ROUTES {
        let filter = match route.method {
            "GET" => MethodFilter::GET,
            "OPTIONS" => MethodFilter::OPTIONS,
            _ => MethodFilter::POST,
        };
        let handler = match route.function {
            Function::CalcomWebhook => on(filter, calcom),
            Function::CalendlyWebhook => on(filter, calendly),
            Function::Metrics => on(filter, metrics_route),
            Function::Sync => on(filter, sync_route),
        };
        let merged = match paths.remove(route.path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        paths.insert(route.path, merged);
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn calcom(
    State(state): State<AppState>,
    params: RawPathParams,
    request: Request,
) -> Response {
    match lambda_request(&params, request).await {
        Ok(request) => http_response(calcom_webhook::handle(&state.webhooks, request).await),
        Err(refused) => refused,
    }
}

async fn calendly(
    State(state): State<AppState>,
    params: RawPathParams,
    request: Request,
) -> Response {
    match lambda_request(&params, request).await {
        Ok(request) => http_response(calendly_webhook::handle(&state.webhooks, request).await),
        Err(refused) => refused,
    }
}

async fn metrics_route(
    State(state): State<AppState>,
    params: RawPathParams,
    request: Request,
) -> Response {
    match lambda_request(&params, request).await {
        Ok(request) => http_response(metrics::handle(&state.metrics, request).await),
        Err(refused) => refused,
    }
}

async fn sync_route(
    State(state): State<AppState>,
    params: RawPathParams,
    request: Request,
) -> Response {
    match lambda_request(&params, request).await {
        Ok(request) => http_response(sync::handle_http(&state.sync, request).await),
        Err(refused) => refused,
    }
}

/// What EventBridge does for the Lambda deployment: every account with provider credentials,
/// every `every`, starting a minute after start-up.
async fn sync_schedule(sync: Arc<SyncService<dyn Store>>, every: Duration) {
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(60), every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        let deadline = tokio::time::Instant::now() + every.min(Duration::from_secs(15 * 60));
        match sync.sync_all(deadline).await {
            Ok(reports) => tracing::info!(accounts = reports.len(), "scheduled sync done"),
            Err(e) => tracing::error!(error = %e, "scheduled sync failed"),
        }
    }
}

/// The request as API Gateway would deliver it to a function: the whole body, path parameters
/// and query parameters.
async fn lambda_request(
    params: &RawPathParams,
    request: Request,
) -> Result<lambda_http::Request, Response> {
    let (parts, body) = request.into_parts();
    let bytes = read_body(body).await.map_err(|size| {
        api_error(&ApiError::PayloadTooLarge {
            size,
            limit: MAX_BODY_BYTES,
        })
    })?;
    let path: HashMap<String, String> = params
        .iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let query: QueryMap = parts
        .uri
        .query()
        .unwrap_or_default()
        .parse()
        .unwrap_or_default();
    let request = http::Request::from_parts(parts, lambda_http::Body::Binary(bytes));
    Ok(request
        .with_path_parameters(path)
        .with_query_string_parameters(query))
}

/// The whole body, or the size seen when it passed [`TRANSPORT_LIMIT`].
async fn read_body(mut body: axum::body::Body) -> Result<Vec<u8>, usize> {
    use http_body_util::BodyExt;
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen <= TRANSPORT_LIMIT {
            bytes.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > TRANSPORT_LIMIT {
        Err(seen)
    } else {
        Ok(bytes)
    }
}

fn http_response(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, axum::body::Body::from(body.to_vec()))
}

fn api_error(e: &ApiError) -> Response {
    http_response(into_lambda(error(e)))
}

async fn not_found(request: Request) -> Response {
    api_error(&ApiError::NotFound {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
    })
}

async fn method_not_allowed(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let allowed = methods_of(&path)
        .into_iter()
        .find(|m| *m != "OPTIONS")
        .unwrap_or("POST");
    api_error(&ApiError::MethodNotAllowed {
        method: request.method().to_string(),
        path,
        allowed,
    })
}

async fn log_request(request: Request, next: Next) -> impl IntoResponse {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
