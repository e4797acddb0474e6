//! The sheet as a lead directory. *Pull* reads the range in one call and upserts its rows as
//! leads (with their campaign and source when those columns are set); *push*
//! ([`super::push`]) writes back what the leads' bookings call for.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::push::Wanted;
use super::snapshot::{LeadIndex, SheetRow, Snapshot};
use super::{SheetError, SheetReport, SheetsClient};
use crate::accounts::{Account, GoogleCredentials, SheetSettings};
use crate::domain::{Email, Phone};
use crate::ingest::{LeadRow, import_leads};
use crate::leads::{Lead, LeadSource};
use crate::store::Store;

/// A row's status cell beside the lead the row belongs to, as the pull meets it (before the
/// row is imported): what sheet actions look at.
#[derive(Clone, Copy, Debug)]
pub struct RowStatus<'a> {
    pub line: u32,
    pub status: Option<&'a str>,
    pub lead: &'a Lead,
}

/// Reads the sheet and upserts its rows as leads. Rows already in step with their lead are
/// skipped, so an unchanged sheet costs one read and no writes. The first row holding a phone
/// or email is that lead's; later rows repeating it are counted as duplicates and left alone.
/// `hold` is shown each row that belongs to a lead; a row it holds keeps its status out of the
/// lead (a status edit the run acts on first).
pub async fn pull(
    store: &(impl Store + ?Sized),
    client: &SheetsClient,
    account: &Account,
    (settings, credentials): (&SheetSettings, &GoogleCredentials),
    now: DateTime<Utc>,
    deadline: Instant,
    hold: &mut (dyn FnMut(RowStatus<'_>) -> bool + Send),
) -> Result<(Snapshot, SheetReport), SheetError> {
    let values = client.read(settings, credentials, deadline).await?;
    let snapshot = Snapshot::new(settings, account, values);
    let index = LeadIndex::load(store, &account.id).await?;
    let wanted = Wanted::new(account, settings);
    let mut report = SheetReport {
        rows_read: snapshot.len(),
        ..SheetReport::default()
    };
    let mut seen_phone: HashMap<&Phone, u32> = HashMap::new();
    let mut seen_email: HashMap<&Email, u32> = HashMap::new();
    let mut changed = Vec::new();
    for row in snapshot.rows.iter().filter(|r| !r.is_blank()) {
        let repeats = row
            .phone
            .as_ref()
            .is_some_and(|p| seen_phone.contains_key(p))
            || row
                .email
                .as_ref()
                .is_some_and(|e| seen_email.contains_key(e));
        if repeats {
            report.duplicates += 1;
            continue;
        }
        if let Some(p) = &row.phone {
            seen_phone.insert(p, row.number);
        }
        if let Some(e) = &row.email {
            seen_email.insert(e, row.number);
        }
        let lead = index.find(row);
        let held = lead.is_some_and(|lead| {
            hold(RowStatus {
                line: row.number,
                status: row.status.as_deref(),
                lead,
            })
        });
        if row.is_clean() && lead.is_some_and(|lead| in_step(row, lead)) {
            continue;
        }
        // A label the bookings call for and the sheet does not show yet is pushed after this
        // pull; the sheet's stale label must not overwrite it meanwhile.
        let status = match lead {
            _ if held => None,
            Some(lead) if push_pending(&wanted, lead) => None,
            _ => row.status.clone(),
        };
        changed.push(LeadRow {
            line: row.number as usize,
            name: row.name.clone(),
            phone: row.phone_text.clone(),
            email: row.email_text.clone(),
            status,
            campaign: row.attribution.campaign.clone(),
            source: row.attribution.source.clone(),
            sheet_row: Some(row.number),
        });
    }
    let imported = import_leads(store, account, changed, LeadSource::Sheet, now, &|_| {}).await?;
    report.imported = imported.imported;
    report.updated = imported.updated;
    report.duplicates += imported.duplicates;
    report.invalid = imported.invalid;
    report.warnings = imported.warnings;
    Ok((snapshot, report))
}

/// The lead already holds everything the row says.
fn in_step(row: &SheetRow, lead: &Lead) -> bool {
    let agrees = |ours: Option<&String>, theirs: &Option<String>| {
        theirs.as_ref().is_none_or(|t| ours == Some(t))
    };
    lead.sheet_row == Some(row.number)
        && row
            .phone
            .as_ref()
            .is_none_or(|p| lead.phone.as_ref() == Some(p))
        && row
            .email
            .as_ref()
            .is_none_or(|e| lead.email.as_ref() == Some(e))
        && agrees(lead.name.as_ref(), &row.name)
        && agrees(lead.status.as_ref(), &row.status)
        && agrees(
            lead.attribution.campaign.as_ref(),
            &row.attribution.campaign,
        )
        && agrees(lead.attribution.source.as_ref(), &row.attribution.source)
}

fn push_pending(wanted: &Wanted, lead: &Lead) -> bool {
    let wanted = wanted.cells(lead);
    wanted.status.is_some() && lead.sheet_synced.as_ref() != Some(&wanted)
}
