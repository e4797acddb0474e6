//! Acting from the team's sheet (SPEC §10, opt-in with `accounts update ID --sheet-actions on`):
//! a lead's status cell the team set to the account's cancelled (or no-show) label, while the
//! lead has a booking the action applies to, cancels that booking (or marks it a no-show) at its
//! provider through [`SyncService::act`](crate::sync::SyncService::act), once.
//!
//! The run's straight line: the pull shows each row to [`SheetEdits::hold`], which finds the
//! edits (`detect`, pure) and keeps their status out of the lead → `run` acts on them before
//! the providers are read, so the same run reads the result back → the push writes the label
//! the bookings now call for. If the booking changed since the sheet last showed it, the
//! provider wins: nothing is sent and the push rewrites the row. What each edit came to is
//! remembered on the lead ([`crate::leads::SheetAction`]) so no later run acts on it again;
//! only a provider that could not be reached is tried again, and `act` reads the booking first.

mod detect;
mod run;

pub use detect::{SheetEdit, Verdict, detect};
pub use run::SheetActed;

use chrono::{DateTime, Utc};

use crate::accounts::Account;
use crate::domain::LeadId;
use crate::sheets::RowStatus;

/// The edits one pull met, for the run to act on.
#[derive(Debug)]
pub struct SheetEdits<'a> {
    account: &'a Account,
    now: DateTime<Utc>,
    found: Vec<SheetEdit>,
    /// Leads whose settled edit their row no longer shows: forgotten, so a new one acts.
    stale: Vec<LeadId>,
}

impl<'a> SheetEdits<'a> {
    pub fn new(account: &'a Account, now: DateTime<Utc>) -> Self {
        Self {
            account,
            now,
            found: Vec::new(),
            stale: Vec::new(),
        }
    }

    /// For [`crate::sheets::pull`]: notes the row's edit, if it makes one, and holds its status
    /// out of the lead. Holds nothing while the account's sheet actions are off.
    pub fn hold(&mut self, row: RowStatus<'_>) -> bool {
        let on = self
            .account
            .google_sheet
            .as_ref()
            .is_some_and(|sheet| sheet.actions);
        if !on {
            return false;
        }
        let lead = row.lead;
        let settled = lead.sheet_action.as_ref();
        if lead.sheet_row == Some(row.line)
            && settled.is_some_and(|s| Some(s.label.as_str()) != row.status)
        {
            self.stale.push(lead.id.clone());
        }
        let account = self.account;
        match detect(row, &account.labels, account.time_zone, self.now) {
            Some(edit) => {
                self.found.push(edit);
                true
            }
            None => false,
        }
    }
}
