//! One action, start to end: the appointment in the key's account, the local rules, the
//! provider's state, the call if still needed, and the provider's answer applied here.

use chrono::{DateTime, Duration, Utc};
use tokio::time::Instant;

use super::decide::{Decision, at_provider, decide};
use super::remote::{Remote, failure};
use super::{Action, ActionError, ActionReport, ActionResult};
use crate::accounts::Account;
use crate::booking::Appointment;
use crate::domain::{AppointmentId, BookingEvent, Provider};
use crate::ingest::{ApplyError, apply_event};
use crate::store::Store;
use crate::sync::SyncService;

impl<S: Store + ?Sized> SyncService<S> {
    /// Takes `action` on the account's appointment `id`: at its provider (unless it is
    /// manual), then here through the same apply path as webhooks. With `dry_run`, only the
    /// local checks run and the report says what would be sent.
    pub async fn act(
        &self,
        account: &Account,
        id: &AppointmentId,
        action: &Action,
        dry_run: bool,
        deadline: Instant,
    ) -> Result<ActionReport, ActionError> {
        let now = self.clock.now();
        let appointment = self
            .store
            .get_appointment(&account.id, id)
            .await
            .map_err(|error| ActionError::Store {
                error,
                acted: false,
            })?
            .ok_or_else(|| ActionError::UnknownAppointment(id.to_string()))?;
        let provider = appointment.provider();
        let mut report = ActionReport {
            account_id: account.id.to_string(),
            appointment_id: id.to_string(),
            provider,
            action: action.name(),
            result: ActionResult::DryRun,
            status: appointment.status(),
            request: None,
            provider_calls: 0,
            message: String::new(),
        };
        if let Decision::Already(why) = decide(&appointment, action, now)? {
            report.result = ActionResult::AlreadyDone;
            report.message = why;
            return Ok(report);
        }
        if !at_provider(provider) {
            if dry_run {
                report.message = format!("would be {} here (a manual appointment)", done(action));
                return Ok(report);
            }
            return self
                .finish(
                    account,
                    &appointment,
                    action,
                    None,
                    ActionResult::Done,
                    report,
                )
                .await;
        }
        let remote = self.remote(account, provider).await?;
        let key = appointment.key();
        if dry_run {
            report.request = Some(remote.request(key, action, None)?);
            report.message = format!(
                "would read the booking at {0}, then ask {0} unless it is already {1}",
                provider.display_name(),
                done(action)
            );
            return Ok(report);
        }
        report.provider_calls += 1;
        let seen = remote.read(key, action, deadline).await?;
        if seen.moved {
            return Err(ActionError::NotActionable(format!(
                "the booking was rescheduled at {} since booking-tracker last heard of it; \
                 run `booking-tracker sync {}` and act on the new booking",
                provider.display_name(),
                account.id
            )));
        }
        if seen.done {
            return self
                .finish(
                    account,
                    &appointment,
                    action,
                    seen.at,
                    ActionResult::AlreadyDone,
                    report,
                )
                .await;
        }
        report.request = Some(remote.request(key, action, Some(&seen))?);
        report.provider_calls += 1;
        let email = appointment.attendee().email.map(|e| e.to_string());
        match remote
            .perform(key, action, &seen, email.as_deref(), deadline)
            .await
        {
            Ok(at) => {
                self.finish(
                    account,
                    &appointment,
                    action,
                    at,
                    ActionResult::Done,
                    report,
                )
                .await
            }
            Err(e) => {
                let error = failure(provider, e);
                if !matches!(error, ActionError::Rejected(..)) {
                    return Err(error);
                }
                // Refused: perhaps because another request took the action meanwhile.
                report.provider_calls += 1;
                match remote.read(key, action, deadline).await {
                    Ok(again) if again.done && !again.moved => {
                        let result = ActionResult::AlreadyDone;
                        self.finish(account, &appointment, action, again.at, result, report)
                            .await
                    }
                    _ => Err(error),
                }
            }
        }
    }

    /// The account's client for `provider`'s bookings.
    async fn remote<'a>(
        &'a self,
        account: &'a Account,
        provider: Provider,
    ) -> Result<Remote<'a>, ActionError> {
        let source = match provider {
            Provider::Calcom => self
                .calcom_source(account)
                .await
                .map(|r| r.map(Remote::Calcom)),
            Provider::Calendly => self
                .calendly_source(account)
                .await
                .map(|r| r.map(Remote::Calendly)),
            Provider::Manual => None,
        };
        match source {
            Some(Ok(remote)) => Ok(remote),
            Some(Err(e)) => Err(failure(provider, e)),
            None => Err(ActionError::NotActionable(format!(
                "the account has no {0} credential, so booking-tracker cannot act at {0}; \
                 set one with `booking-tracker accounts update {1} --{2}`",
                provider.display_name(),
                account.id,
                if provider == Provider::Calcom {
                    "calcom-api-key KEY"
                } else {
                    "calendly-token TOKEN"
                }
            ))),
        }
    }

    /// Applies the action here, as the provider (or, for a manual appointment, the team) now
    /// has it, and completes the report.
    async fn finish(
        &self,
        account: &Account,
        appointment: &Appointment,
        action: &Action,
        provider_at: Option<DateTime<Utc>>,
        result: ActionResult,
        mut report: ActionReport,
    ) -> Result<ActionReport, ActionError> {
        let now = self.clock.now();
        let event = action_event(appointment, action, provider_at, now);
        let acted = result == ActionResult::Done && at_provider(appointment.provider());
        let applied = apply_event(&*self.store, account, &event, None, now)
            .await
            .map_err(|e| match e {
                ApplyError::Store(error) => ActionError::Store { error, acted },
                ApplyError::Contention => ActionError::Contention,
            })?;
        report.result = result;
        report.status = applied.appointment.status();
        let provider = appointment.provider();
        report.message = match (result, at_provider(provider)) {
            (ActionResult::AlreadyDone, _) => format!(
                "already {} at {}: nothing sent; booking-tracker now shows it too",
                done(action),
                provider.display_name()
            ),
            (_, true) => format!("{} at {}", done(action), provider.display_name()),
            (_, false) => format!("{} here (a manual appointment)", done(action)),
        };
        tracing::info!(
            account = %account.id,
            appointment = %appointment.id(),
            action = action.name(),
            result = ?result,
            "action"
        );
        Ok(report)
    }
}

/// The event an action applies. It happens now, after every event booking-tracker has seen
/// for the booking, so it wins their merge; the provider's time counts when it is later.
fn action_event(
    appointment: &Appointment,
    action: &Action,
    provider_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> BookingEvent {
    let after_seen = appointment.last_event_at() + Duration::milliseconds(1);
    let at = [Some(now), provider_at, Some(after_seen)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now);
    appointment.bare_event(action.kind(), at, action.trigger())
}

/// The action in the past tense.
fn done(action: &Action) -> &'static str {
    match action {
        Action::Cancel { .. } => "cancelled",
        Action::NoShow { undo: false } => "marked a no-show",
        Action::NoShow { undo: true } => "no longer marked a no-show",
    }
}
