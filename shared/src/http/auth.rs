//! `Authorization: Bearer <account API key>`, for the metrics and sync routes.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use super::ApiError;
use crate::accounts::{Account, ApiKeyHash};
use crate::store::Store;

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
