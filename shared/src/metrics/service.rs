//! `GET /metrics` and `GET /api/metrics?account_id=..`, framework-neutral: what the metrics
//! Lambda function and the local server both run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use http::header::{CACHE_CONTROL, HeaderValue, ORIGIN, VARY};
use http::{HeaderMap, Method};

use super::{RangeQuery, metrics_report_by};
use crate::accounts::Account;
use crate::booking::Dimension;
use crate::clock::Clock;
use crate::http::{ApiError, HttpResponse, authenticate, error, json};
use crate::store::Store;

/// How long browsers may cache a preflight answer.
const PREFLIGHT_MAX_AGE_SECONDS: &str = "600";

pub struct MetricsService<S: ?Sized> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
}

impl<S: ?Sized> std::fmt::Debug for MetricsService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsService").finish_non_exhaustive()
    }
}

/// One metrics request as the transport delivered it.
#[derive(Debug, Clone, Copy)]
pub struct MetricsRequest<'a> {
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
    /// Query parameters (the first value of each).
    pub query: &'a BTreeMap<String, String>,
}

impl<S: Store + ?Sized> MetricsService<S> {
    pub async fn handle(&self, request: MetricsRequest<'_>) -> HttpResponse {
        let started = Instant::now();
        let origin = request.headers.get(ORIGIN).and_then(|v| v.to_str().ok());
        if request.method == Method::OPTIONS {
            return self.preflight(origin, request.query).await;
        }
        let (account, result) = if request.method == Method::GET {
            match authenticate(&*self.store, request.headers).await {
                Ok(account) => {
                    let result = self.report(&account, request.query).await;
                    (Some(account), result)
                }
                Err(e) => (None, Err(e)),
            }
        } else {
            let e = ApiError::MethodNotAllowed {
                method: request.method.to_string(),
                path: "/metrics".into(),
                allowed: "GET",
            };
            (None, Err(e))
        };
        let mut response = match &result {
            Ok(body) => json(200, body),
            Err(e) => error(e),
        };
        allow_origin(
            &mut response,
            origin.filter(|o| account.as_ref().is_some_and(|a| allows(a, o))),
        );
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        tracing::info!(
            account = account.as_ref().map_or("-", |a| a.id.as_str()),
            range = request.query.get("range").map_or("-", String::as_str),
            status = response.status().as_u16(),
            code = result.as_ref().err().map_or("-", |e| e.code()),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "metrics"
        );
        response
    }

    async fn report(
        &self,
        account: &Account,
        query: &BTreeMap<String, String>,
    ) -> Result<serde_json::Value, ApiError> {
        let asked = query.get("account_id").map(|a| a.trim());
        if asked.is_some_and(|asked| asked != account.id.as_str()) {
            return Err(ApiError::ForbiddenAccount);
        }
        let get = |name: &str| query.get(name).map(String::as_str);
        let range = RangeQuery::parse(get("range"), get("from"), get("to"))
            .map_err(|e| ApiError::InvalidRange(e.to_string()))?;
        let by = get("by")
            .filter(|by| !by.trim().is_empty())
            .map(str::parse::<Dimension>)
            .transpose()
            .map_err(|e| ApiError::InvalidBreakdown(e.to_string()))?;
        let report = metrics_report_by(&*self.store, account, range, by, self.clock.now())
            .await
            .map_err(|e| {
                tracing::error!(account = %account.id, error = %e, "store failed building metrics");
                ApiError::StorageUnavailable
            })?;
        serde_json::to_value(&report).map_err(|_| ApiError::Internal)
    }

    /// A preflight carries no API key, so its origin is checked against the account the query
    /// names, or against every account's origins when it names none.
    async fn preflight(
        &self,
        origin: Option<&str>,
        query: &BTreeMap<String, String>,
    ) -> HttpResponse {
        let mut response = http::Response::builder()
            .status(204)
            .body(String::new())
            .unwrap_or_default();
        let Some(origin) = origin else {
            allow_origin(&mut response, None);
            return response;
        };
        let named = query
            .get("account_id")
            .and_then(|id| crate::domain::AccountId::parse(id.trim()).ok());
        let allowed = match named {
            Some(id) => {
                matches!(self.store.get_account(&id).await, Ok(Some(a)) if allows(&a, origin))
            }
            None => self
                .store
                .list_accounts()
                .await
                .is_ok_and(|accounts| accounts.iter().any(|a| allows(a, origin))),
        };
        allow_origin(&mut response, allowed.then_some(origin));
        if allowed {
            let headers = response.headers_mut();
            headers.insert(
                "access-control-allow-methods",
                HeaderValue::from_static("GET, OPTIONS"),
            );
            headers.insert(
                "access-control-allow-headers",
                HeaderValue::from_static("authorization, content-type"),
            );
            headers.insert(
                "access-control-max-age",
                HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECONDS),
            );
        }
        response
    }
}

/// The account lists this browser origin (scheme and host compare case-insensitively).
fn allows(account: &Account, origin: &str) -> bool {
    let origin = origin.trim().trim_end_matches('/');
    account
        .cors_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
}

/// Every response varies by origin; an allowed origin is echoed back.
fn allow_origin(response: &mut HttpResponse, origin: Option<&str>) {
    let headers = response.headers_mut();
    headers.insert(VARY, HeaderValue::from_static("Origin"));
    if let Some(value) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        headers.insert("access-control-allow-origin", value);
    }
}
