//! `GET /explain?booking=|email=|phone=|appointment=` (account API key), on the metrics
//! function: the API key's account is the only one searched. `range`, `from` and `to` are read
//! as `GET /metrics` reads them, to say whether the booking counts inside that range.

use std::time::Instant;

use http::header::{CACHE_CONTROL, HeaderValue};

use super::{ExplainQuery, explain};
use crate::accounts::Account;
use crate::http::{ApiError, HttpResponse, error, json, read_account};
use crate::metrics::{MetricsRequest, MetricsService, RangeQuery};
use crate::store::Store;

pub async fn handle<S: Store + ?Sized>(
    service: &MetricsService<S>,
    request: MetricsRequest<'_>,
) -> HttpResponse {
    let started = Instant::now();
    let read = read_account(
        &*service.store,
        request.method,
        "/explain",
        request.headers,
        request.query,
    )
    .await;
    let (account, result) = match read {
        Ok(account) => {
            let result = answer(service, &account, request).await;
            (Some(account), result)
        }
        Err(e) => (None, Err(e)),
    };
    let mut response = match &result {
        Ok(body) => json(200, body),
        Err(e) => error(e),
    };
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The question itself (an email or phone) stays out of the log.
    tracing::info!(
        account = account.as_ref().map_or("-", |a| a.id.as_str()),
        status = response.status().as_u16(),
        code = result.as_ref().err().map_or("-", |e| e.code()),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "explain"
    );
    response
}

async fn answer<S: Store + ?Sized>(
    service: &MetricsService<S>,
    account: &Account,
    request: MetricsRequest<'_>,
) -> Result<serde_json::Value, ApiError> {
    let get = |name: &str| request.query.get(name).map(String::as_str);
    let query = ExplainQuery::parse(
        account,
        get("booking"),
        get("email"),
        get("phone"),
        get("appointment"),
    )
    .map_err(|e| ApiError::InvalidQuery(e.to_string()))?;
    let range = match (get("range"), get("from"), get("to")) {
        (None, None, None) => None,
        (range, from, to) => Some(
            RangeQuery::parse(range, from, to)
                .map_err(|e| ApiError::InvalidRange(e.to_string()))?,
        ),
    };
    let explanation = explain(&*service.store, account, &query, range, service.clock.now())
        .await
        .map_err(|e| {
            tracing::error!(account = %account.id, error = %e, "store failed explaining");
            ApiError::StorageUnavailable
        })?;
    serde_json::to_value(&explanation).map_err(|_| ApiError::Internal)
}
