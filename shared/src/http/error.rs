//! The one place API errors become status codes and JSON bodies:
//! `{"ok": false, "error": {"code": "<stable_snake_case>", "message": "<human text>"}}`.

use crate::providers::{PayloadError, SignatureError};

/// Every error an HTTP route answers with. Codes are stable: dashboards and providers' delivery
/// logs show them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error(
        "send the account id in the x-account-id header, or use /webhooks/<provider>/<accountId>"
    )]
    MissingAccount,
    #[error("no account {0:?}; create it with `booking-tracker accounts create`")]
    UnknownAccount(String),
    #[error("the body is {size} bytes; the limit is {limit} bytes")]
    PayloadTooLarge { size: usize, limit: usize },
    #[error("no signature: {0}")]
    MissingSignature(String),
    #[error("the signature does not match: {0}")]
    InvalidSignature(String),
    #[error("{0}")]
    StaleSignature(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidPayload(String),
    #[error("send the account's API key as Authorization: Bearer <key>")]
    MissingApiKey,
    #[error("the API key is not valid")]
    InvalidApiKey,
    #[error("this API key belongs to another account")]
    ForbiddenAccount,
    #[error("{0}")]
    InvalidRange(String),
    /// `?by=` names no breakdown.
    #[error("{0}")]
    InvalidBreakdown(String),
    /// The question to `/explain` is missing, doubled or unreadable.
    #[error("{0}")]
    InvalidQuery(String),
    #[error("no route for {method} {path}")]
    NotFound { method: String, path: String },
    #[error("{method} is not allowed on {path}; use {allowed}")]
    MethodNotAllowed {
        method: String,
        path: String,
        allowed: &'static str,
    },
    /// Another run of the account's sync holds its lease.
    #[error("{0}")]
    SyncInProgress(String),
    /// No appointment with this id in the key's account (another account's is never seen).
    #[error("no appointment {0:?} in this account")]
    UnknownAppointment(String),
    /// The appointment is not in a state the action applies to (SPEC §10).
    #[error("{0}")]
    NotActionable(String),
    /// The provider refused the action; nothing changed. The message is the provider's.
    #[error("{0}")]
    ProviderRejected(String),
    /// The provider failed or could not be reached; nothing changed here.
    #[error("{0}")]
    ProviderUnavailable(String),
    /// The provider did not answer in time: it may have acted. A retry reads its state first.
    #[error("{0}")]
    ProviderTimeout(String),
    /// The account's secrets cannot be opened (the key file or KMS key is missing or wrong):
    /// nothing was stored; a retry succeeds once the key is back.
    #[error("the account's secrets cannot be opened right now; nothing was stored; retry later")]
    SecretsUnavailable,
    /// The store failed; the caller may retry (every write is idempotent).
    #[error("storage is unavailable; retry later")]
    StorageUnavailable,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::MissingAccount
            | ApiError::InvalidJson(_)
            | ApiError::InvalidPayload(_)
            | ApiError::InvalidRange(_)
            | ApiError::InvalidBreakdown(_)
            | ApiError::InvalidQuery(_) => 400,
            ApiError::MissingSignature(_)
            | ApiError::InvalidSignature(_)
            | ApiError::StaleSignature(_)
            | ApiError::MissingApiKey
            | ApiError::InvalidApiKey => 401,
            ApiError::ForbiddenAccount => 403,
            ApiError::UnknownAccount(_) | ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::UnknownAppointment(_) => 404,
            ApiError::SyncInProgress(_)
            | ApiError::NotActionable(_)
            | ApiError::ProviderRejected(_) => 409,
            ApiError::ProviderUnavailable(_) => 502,
            ApiError::ProviderTimeout(_) => 504,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::Internal => 500,
            ApiError::StorageUnavailable | ApiError::SecretsUnavailable => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MissingAccount => "missing_account",
            ApiError::UnknownAccount(_) => "unknown_account",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::MissingSignature(_) => "missing_signature",
            ApiError::InvalidSignature(_) => "invalid_signature",
            ApiError::StaleSignature(_) => "stale_signature",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::InvalidPayload(_) => "invalid_payload",
            ApiError::MissingApiKey => "missing_api_key",
            ApiError::InvalidApiKey => "invalid_api_key",
            ApiError::ForbiddenAccount => "forbidden",
            ApiError::InvalidRange(_) => "invalid_range",
            ApiError::InvalidBreakdown(_) => "invalid_breakdown",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::SyncInProgress(_) => "sync_in_progress",
            ApiError::UnknownAppointment(_) => "unknown_appointment",
            ApiError::NotActionable(_) => "not_actionable",
            ApiError::ProviderRejected(_) => "provider_rejected",
            ApiError::ProviderUnavailable(_) => "provider_unavailable",
            ApiError::ProviderTimeout(_) => "provider_timeout",
            ApiError::StorageUnavailable => "storage_unavailable",
            ApiError::SecretsUnavailable => "secrets_unavailable",
            ApiError::Internal => "internal_error",
        }
    }

    /// A signature check's failure, with the header the provider uses.
    pub fn from_signature(error: &SignatureError, header: &str) -> Self {
        match error {
            SignatureError::Missing => ApiError::MissingSignature(format!(
                "the request has no {header} header; set the webhook's secret in the provider to \
                 the account's secret"
            )),
            SignatureError::Malformed(what) => {
                ApiError::InvalidSignature(format!("the {header} header is malformed: {what}"))
            }
            SignatureError::Mismatch => ApiError::InvalidSignature(format!(
                "{header} was not made with this account's secret over this body; check the \
                 secret configured in the provider, or rotate it"
            )),
            SignatureError::Stale { .. } => ApiError::StaleSignature(format!(
                "{error}; check the clock, or replay the delivery from the provider"
            )),
        }
    }

    pub fn from_payload(error: &PayloadError) -> Self {
        match error {
            PayloadError::InvalidJson(_) => ApiError::InvalidJson(error.to_string()),
            PayloadError::InvalidPayload { .. } => ApiError::InvalidPayload(error.to_string()),
        }
    }

    /// The body: 5xx messages stay opaque, the cause goes to the log.
    pub fn body(&self) -> serde_json::Value {
        let message = if self.status() >= 500 {
            match self {
                ApiError::StorageUnavailable
                | ApiError::SecretsUnavailable
                | ApiError::ProviderUnavailable(_)
                | ApiError::ProviderTimeout(_) => self.to_string(),
                _ => "internal error".to_owned(),
            }
        } else {
            self.to_string()
        };
        serde_json::json!({"ok": false, "error": {"code": self.code(), "message": message}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_are_stable() {
        let cases = [
            (ApiError::UnknownAccount("x".into()), 404, "unknown_account"),
            (
                ApiError::PayloadTooLarge { size: 2, limit: 1 },
                413,
                "payload_too_large",
            ),
            (
                ApiError::from_signature(&SignatureError::Missing, "h"),
                401,
                "missing_signature",
            ),
            (
                ApiError::from_signature(&SignatureError::Mismatch, "h"),
                401,
                "invalid_signature",
            ),
            (ApiError::StorageUnavailable, 503, "storage_unavailable"),
        ];
        for (error, status, code) in cases {
            assert_eq!((error.status(), error.code()), (status, code));
            assert_eq!(error.body()["ok"], false);
            assert_eq!(error.body()["error"]["code"], code);
        }
    }

    #[test]
    fn internal_errors_are_opaque() {
        assert_eq!(
            ApiError::Internal.body()["error"]["message"],
            "internal error"
        );
    }
}
