//! Receiving a provider webhook, framework-neutral: what the Lambda functions and the local
//! server both run. A straight line: find the account, check the size, verify the signature over
//! the raw bytes, parse, apply through the shared use-case, answer. Every request that names a
//! known account lands in its delivery log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::Serialize;

use crate::accounts::Account;
use crate::clock::Clock;
use crate::domain::{AccountId, Provider, Secret};
use crate::http::{ApiError, HttpResponse, MAX_BODY_BYTES, error, json};
use crate::ingest::{Applied, ApplyError, apply_event};
use crate::providers::{Parsed, calcom, calendly};
use crate::secrets::{SecretField, StoredSecret};
use crate::store::{Delivery, Store};

/// The header the compatibility routes (`/api/webhooks/calendar/<provider>`) name the account in.
pub const ACCOUNT_HEADER: &str = "x-account-id";

/// What a webhook function needs: built once per cold start.
pub struct WebhookService<S: ?Sized> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
    /// How far a Calendly signature's time may be from now, either way.
    pub calendly_tolerance: Duration,
}

impl<S: ?Sized> std::fmt::Debug for WebhookService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookService")
            .field("calendly_tolerance", &self.calendly_tolerance)
            .finish_non_exhaustive()
    }
}

/// One webhook request, as the transport delivered it.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub provider: Provider,
    /// The `{accountId}` path segment, when the route has one.
    pub path_account: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The raw body, already base64-decoded if API Gateway encoded it.
    pub body: &'a [u8],
}

/// The success body: `{"ok": true, "outcome", "appointmentId", "leadId"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Accepted<'a> {
    ok: bool,
    outcome: &'a str,
    appointment_id: Option<&'a str>,
    lead_id: Option<&'a str>,
}

enum Handled {
    Applied(Box<Applied>),
    Ping,
    Ignored,
}

impl<S: Store + ?Sized> WebhookService<S> {
    pub async fn receive(&self, request: WebhookRequest<'_>) -> HttpResponse {
        let started = Instant::now();
        let now = self.clock.now();
        let provider = request.provider;
        let account = match self.account(&request).await {
            Ok(account) => account,
            Err(e) => {
                tracing::info!(%provider, code = e.code(), "webhook rejected before any account");
                return error(&e);
            }
        };

        let mut delivery = Delivery::new(provider, now, 200);
        let result = self.handle(&account, &request, now, &mut delivery).await;
        let response = match &result {
            Ok(Handled::Applied(applied)) => json(
                200,
                &Accepted {
                    ok: true,
                    outcome: applied.outcome.as_str(),
                    appointment_id: Some(applied.appointment_id().as_str()),
                    lead_id: applied.lead_id().map(|l| l.as_str()),
                },
            ),
            Ok(Handled::Ping) => json(200, &accepted_without_appointment("ping")),
            Ok(Handled::Ignored) => json(200, &accepted_without_appointment("ignored")),
            Err(e) => error(e),
        };

        // An applied event's delivery entry was written with it, atomically. Without the
        // account's secret nothing is stored at all.
        let stored = matches!(
            result,
            Ok(Handled::Applied(_)) | Err(ApiError::SecretsUnavailable)
        );
        if !stored {
            delivery.http_status = response.status().as_u16();
            match &result {
                Ok(Handled::Ping) => delivery.outcome = Some("ping".into()),
                Ok(Handled::Ignored) => delivery.outcome = Some("ignored".into()),
                Err(e) => delivery.error = Some(e.code().into()),
                Ok(Handled::Applied(_)) => {}
            }
            if let Err(e) = self.store.record_delivery(&account.id, &delivery).await {
                tracing::warn!(account = %account.id, error = %e, "delivery log entry not written");
            }
        }
        tracing::info!(
            account = %account.id,
            %provider,
            trigger = delivery.trigger.as_deref().unwrap_or("-"),
            status = response.status().as_u16(),
            outcome = delivery.outcome.as_deref().or(delivery.error.as_deref()).unwrap_or("-"),
            appointment = delivery.appointment_id.as_ref().map_or("-", |a| a.as_str()),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "webhook"
        );
        response
    }

    async fn account(&self, request: &WebhookRequest<'_>) -> Result<Account, ApiError> {
        let from_header = request
            .headers
            .get(ACCOUNT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        let raw = request
            .path_account
            .or(from_header)
            .filter(|a| !a.is_empty())
            .ok_or(ApiError::MissingAccount)?;
        let shown: String = raw.chars().take(64).collect();
        let id = AccountId::parse(raw).map_err(|_| ApiError::UnknownAccount(shown.clone()))?;
        match self.store.get_account(&id).await {
            Ok(Some(account)) => Ok(account),
            Ok(None) => Err(ApiError::UnknownAccount(shown)),
            Err(e) => {
                tracing::error!(account = %id, error = %e, "store failed reading the account");
                Err(ApiError::StorageUnavailable)
            }
        }
    }

    async fn handle(
        &self,
        account: &Account,
        request: &WebhookRequest<'_>,
        now: DateTime<Utc>,
        delivery: &mut Delivery,
    ) -> Result<Handled, ApiError> {
        let body = request.body;
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge {
                size: body.len(),
                limit: MAX_BODY_BYTES,
            });
        }
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
        let parsed = match request.provider {
            Provider::Calcom => {
                let secret = self
                    .secret(
                        account,
                        SecretField::CalcomWebhookSecret,
                        &account.calcom.webhook_secret,
                    )
                    .await?;
                let signature = header(calcom::SIGNATURE_HEADER);
                calcom::verify(&secret, body, signature)
                    .map_err(|e| ApiError::from_signature(&e, "X-Cal-Signature-256"))?;
                calcom::parse(body, account.phone_region)
            }
            Provider::Calendly => {
                let secret = self
                    .secret(
                        account,
                        SecretField::CalendlySigningKey,
                        &account.calendly.signing_key,
                    )
                    .await?;
                let signature = header(calendly::SIGNATURE_HEADER);
                calendly::verify(&secret, body, signature, now, self.calendly_tolerance)
                    .map_err(|e| ApiError::from_signature(&e, "Calendly-Webhook-Signature"))?;
                calendly::parse(body, account.phone_region)
            }
            Provider::Manual => return Err(ApiError::Internal),
        }
        .map_err(|e| ApiError::from_payload(&e))?;

        delivery.trigger = Some(parsed.trigger().to_owned());
        let event = match parsed {
            Parsed::Ping => return Ok(Handled::Ping),
            Parsed::Ignored { .. } => return Ok(Handled::Ignored),
            Parsed::Event(event) => event,
        };
        match apply_event(&*self.store, account, &event, Some(delivery.clone()), now).await {
            Ok(applied) => {
                delivery.outcome = Some(applied.outcome.as_str().to_owned());
                delivery.appointment_id = Some(applied.appointment_id().clone());
                Ok(Handled::Applied(Box::new(applied)))
            }
            Err(e @ (ApplyError::Store(_) | ApplyError::Contention)) => {
                tracing::error!(account = %account.id, error = %e, "store failed applying a webhook");
                Err(ApiError::StorageUnavailable)
            }
        }
    }
}

impl<S: Store + ?Sized> WebhookService<S> {
    /// The account's signing secret, opened with the store's key ring: 503
    /// `secrets_unavailable` when the key is missing or wrong (the log says which).
    async fn secret(
        &self,
        account: &Account,
        field: SecretField,
        stored: &StoredSecret,
    ) -> Result<Secret, ApiError> {
        self.store
            .secrets()
            .open(&account.id, field, stored)
            .await
            .map_err(|e| {
                tracing::error!(account = %account.id, error = %e, "cannot open the account's webhook secret");
                ApiError::SecretsUnavailable
            })
    }
}

fn accepted_without_appointment(outcome: &str) -> Accepted<'_> {
    Accepted {
        ok: true,
        outcome,
        appointment_id: None,
        lead_id: None,
    }
}
