//! Acting on the edits a pull found, one at a time, and remembering what each came to.

use tokio::time::Instant;

use super::{SheetEdit, SheetEdits, Verdict};
use crate::accounts::Account;
use crate::actions::{Action, ActionError, ActionResult};
use crate::domain::{LeadId, Provider};
use crate::ingest::update_lead;
use crate::leads::{SheetAction, SheetActionResult as R};
use crate::sheets::SheetActionNote;
use crate::store::{Store, StoreError};
use crate::sync::{SyncError, SyncService, SyncUpdate};

/// What acting on a sheet's edits did, for the run's report.
#[derive(Debug, Default)]
pub struct SheetActed {
    /// One per edit found: the sheet report's `actions`.
    pub notes: Vec<SheetActionNote>,
    /// Bookings changed, as the run's `updates` show them (`cancelled_from_sheet`,
    /// `no_show_from_sheet`).
    pub updates: Vec<SyncUpdate>,
    /// What could not be reached; the next run tries again.
    pub errors: Vec<SyncError>,
}

impl<S: Store + ?Sized> SyncService<S> {
    /// Acts on the edits `edits` found, each through [`SyncService::act`], and settles them on
    /// their leads. A store failure ends the run; anything else is the report's.
    pub async fn act_on_sheet(
        &self,
        account: &Account,
        edits: SheetEdits<'_>,
        deadline: Instant,
    ) -> Result<SheetActed, StoreError> {
        let mut acted = SheetActed::default();
        for lead in &edits.stale {
            update_lead(&*self.store, &account.id, lead, |lead| {
                lead.sheet_action = None;
            })
            .await?;
        }
        for edit in edits.found {
            let winner = match edit.provider {
                Provider::Manual => "the booking",
                provider => provider.display_name(),
            };
            let (result, message) = match &edit.verdict {
                Verdict::ProviderWins(why) => (
                    R::Skipped,
                    format!(
                        "not acted on: the booking changed since the sheet last showed it \
                         ({why}); {winner} wins, and the row is rewritten"
                    ),
                ),
                Verdict::Settled(before) => (
                    R::Skipped,
                    format!(
                        "not acted on again: this edit was settled at {} ({}); booking-tracker \
                         acts on an edit once",
                        before.at.format("%Y-%m-%d %H:%M UTC"),
                        before.result.as_str()
                    ),
                ),
                Verdict::Act => {
                    self.act_on_edit(account, &edit, deadline, &mut acted)
                        .await?
                }
            };
            acted.notes.push(SheetActionNote {
                line: edit.line,
                lead_id: edit.lead.to_string(),
                appointment_id: edit.appointment.to_string(),
                action: edit.action.name(),
                result,
                message,
            });
        }
        Ok(acted)
    }

    /// Takes one edit's action and settles it on the lead, unless the provider could not be
    /// reached (the next run tries again; `act` reads the booking first, so never twice).
    async fn act_on_edit(
        &self,
        account: &Account,
        edit: &SheetEdit,
        deadline: Instant,
        acted: &mut SheetActed,
    ) -> Result<(R, String), StoreError> {
        let answer = self
            .act(account, &edit.appointment, &edit.action, false, deadline)
            .await;
        let (result, message) = match answer {
            Ok(report) => {
                if report.status != edit.status {
                    acted
                        .updates
                        .extend(self.sheet_update(account, edit).await?);
                }
                let result = match report.result {
                    ActionResult::AlreadyDone => R::AlreadyDone,
                    ActionResult::Done | ActionResult::DryRun => R::Done,
                };
                (result, report.message)
            }
            Err(ActionError::Store { error, .. }) => return Err(error),
            Err(e @ (ActionError::NotActionable(_) | ActionError::UnknownAppointment(_))) => {
                (R::Skipped, format!("not acted on: {e}"))
            }
            Err(e @ ActionError::Rejected(..)) => (R::Refused, e.to_string()),
            Err(e) => {
                let source = match e {
                    ActionError::Contention => "store",
                    _ => edit.provider.as_str(),
                };
                acted.errors.push(SyncError {
                    provider: source.to_owned(),
                    code: e.code().to_owned(),
                    message: format!("sheet row {}: {e}", edit.line),
                });
                (R::Failed, e.to_string())
            }
        };
        if result.is_final() {
            let settled = SheetAction {
                label: edit.label.clone(),
                appointment_id: edit.appointment.clone(),
                result,
                at: self.clock.now(),
            };
            self.settle(account, &edit.lead, settled).await?;
        }
        Ok((result, message))
    }

    async fn settle(
        &self,
        account: &Account,
        lead: &LeadId,
        settled: SheetAction,
    ) -> Result<(), StoreError> {
        update_lead(&*self.store, &account.id, lead, |lead| {
            lead.sheet_action = Some(settled.clone());
        })
        .await
    }

    /// The run's entry for a booking an edit changed.
    async fn sheet_update(
        &self,
        account: &Account,
        edit: &SheetEdit,
    ) -> Result<Option<SyncUpdate>, StoreError> {
        let Some(appointment) = self
            .store
            .get_appointment(&account.id, &edit.appointment)
            .await?
        else {
            return Ok(None);
        };
        let change = match edit.action {
            Action::Cancel { .. } => "cancelled_from_sheet",
            Action::NoShow { .. } => "no_show_from_sheet",
        };
        Ok(Some(SyncUpdate::of(
            &appointment,
            change,
            account.time_zone,
        )))
    }
}
