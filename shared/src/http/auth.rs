//! `Authorization: Bearer <account API key>`, for the metrics and sync routes.

use std::collections::BTreeMap;

use http::header::AUTHORIZATION;
use http::{HeaderMap, Method};

use super::ApiError;
use crate::accounts::{Account, ApiKeyHash};
use crate::store::Store;

/// The account a read route (`/metrics`, `/explain`, `/health`) answers for: `GET` only, the
/// API key's account, and an `account_id` in the query must name that same account.
pub async fn read_account(
    store: &(impl Store + ?Sized),
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    query: &BTreeMap<String, String>,
) -> Result<Account, ApiError> {
    if method != Method::GET {
        return Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            path: path.to_owned(),
            allowed: "GET",
        });
    }
    let account = authenticate(store, headers).await?;
    match query.get("account_id").map(|a| a.trim()) {
        Some(asked) if asked != account.id.as_str() => Err(ApiError::ForbiddenAccount),
        _ => Ok(account),
    }
}

/// The account whose API key the request carries: found by the key's hash in one read, then
/// compared in constant time.
pub async fn authenticate(
    store: &(impl Store + ?Sized),
    headers: &HeaderMap,
) -> Result<Account, ApiError> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::MissingApiKey)?;
    let (scheme, key) = value
        .trim()
        .split_once(' ')
        .ok_or(ApiError::MissingApiKey)?;
    let key = key.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || key.is_empty() {
        return Err(ApiError::MissingApiKey);
    }
    let presented = ApiKeyHash::of(key);
    let account = store
        .account_by_api_key(&presented)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "store failed looking up an API key");
            ApiError::StorageUnavailable
        })?
        .ok_or(ApiError::InvalidApiKey)?;
    if !account.api_key_hash.matches(&presented) {
        return Err(ApiError::InvalidApiKey);
    }
    Ok(account)
}
