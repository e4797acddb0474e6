//! `POST /appointments/{id}/cancel` `{"reason": "…"}` and `POST /appointments/{id}/no-show`
//! `{"undo": false}` on the sync function (it holds the provider clients), with the account's
//! API key. Both also take `"dryRun": true`. Unknown fields are refused: a misspelt `undo`
//! must not mark a no-show.

use http::{HeaderMap, Method};
use serde::Deserialize;
use tokio::time::Instant;

use super::{Action, ActionError, MAX_REASON_CHARS};
use crate::domain::AppointmentId;
use crate::http::{ApiError, HttpResponse, authenticate, error, json};
use crate::store::Store;
use crate::sync::{SYNC_REQUEST_BUDGET, SyncService};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CancelBody {
    reason: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NoShowBody {
    #[serde(default)]
    undo: bool,
    #[serde(default)]
    dry_run: bool,
}

/// The appointment id and the verb (`cancel`, `no-show`) of an action path, whatever prefix
/// (an API Gateway stage) comes before `/appointments/`.
pub fn action_route(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.trim_end_matches('/').rsplit('/');
    let verb = parts.next()?;
    let id = parts.next()?;
    (parts.next()? == "appointments" && matches!(verb, "cancel" | "no-show")).then_some((id, verb))
}

/// Reads the body of `verb`: an empty body is `{}`.
fn parse_action(verb: &str, body: &[u8]) -> Result<(Action, bool), ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let invalid = |e: serde_json::Error| ApiError::InvalidJson(format!("the body: {e}"));
    if verb == "cancel" {
        let parsed: CancelBody = serde_json::from_slice(body).map_err(invalid)?;
        let reason = parsed
            .reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
        {
            return Err(ApiError::InvalidPayload(format!(
                "reason is longer than {MAX_REASON_CHARS} characters"
            )));
        }
        Ok((Action::Cancel { reason }, parsed.dry_run))
    } else {
        let parsed: NoShowBody = serde_json::from_slice(body).map_err(invalid)?;
        Ok((Action::NoShow { undo: parsed.undo }, parsed.dry_run))
    }
}

impl<S: Store + ?Sized> SyncService<S> {
    /// An action request. `path` is the request's path (see [`action_route`]).
    pub async fn handle_action(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> HttpResponse {
        let Some((id, verb)) = action_route(path) else {
            return error(&ApiError::NotFound {
                method: method.to_string(),
                path: path.to_owned(),
            });
        };
        if method != Method::POST {
            return error(&ApiError::MethodNotAllowed {
                method: method.to_string(),
                path: path.to_owned(),
                allowed: "POST",
            });
        }
        let account = match authenticate(&*self.store, headers).await {
            Ok(account) => account,
            Err(e) => return error(&e),
        };
        let (action, dry_run) = match parse_action(verb, body) {
            Ok(parsed) => parsed,
            Err(e) => return error(&e),
        };
        let Some(id) = AppointmentId::parse(id) else {
            return error(&ApiError::UnknownAppointment(id.to_owned()));
        };
        let deadline = Instant::now() + SYNC_REQUEST_BUDGET;
        match self.act(&account, &id, &action, dry_run, deadline).await {
            Ok(report) => json(200, &report),
            Err(e) => {
                if let ActionError::Store { error: cause, .. } = &e {
                    tracing::error!(account = %account.id, error = %cause, "store failed during an action");
                }
                // A retry is safe: it reads the provider's state before acting again.
                tracing::info!(account = %account.id, code = e.code(), "action not taken: {e}");
                error(&e.api())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_bodies() {
        assert_eq!(
            action_route("/prod/appointments/apt_1/no-show"),
            Some(("apt_1", "no-show"))
        );
        assert_eq!(
            action_route("/appointments/apt_1/cancel/"),
            Some(("apt_1", "cancel"))
        );
        assert_eq!(action_route("/appointments/apt_1/delete"), None);
        assert_eq!(action_route("/sync"), None);
        assert_eq!(
            parse_action("cancel", b"").unwrap(),
            (Action::Cancel { reason: None }, false)
        );
        assert_eq!(
            parse_action("no-show", br#"{"undo": true, "dryRun": true}"#).unwrap(),
            (Action::NoShow { undo: true }, true)
        );
        assert!(matches!(
            parse_action("no-show", br#"{"undoo": true}"#),
            Err(ApiError::InvalidJson(_))
        ));
        let long = format!(r#"{{"reason": "{}"}}"#, "x".repeat(MAX_REASON_CHARS + 1));
        assert!(matches!(
            parse_action("cancel", long.as_bytes()),
            Err(ApiError::InvalidPayload(_))
        ));
    }
}
