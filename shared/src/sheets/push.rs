//! *Push*: each lead's status label, call time and (with a `link` column and a booking page)
//! personal booking link, written where the sheet is out of date in one `values:batchUpdate`;
//! leads created from bookings appended in one `values:append`.

use tokio::time::Instant;

use super::snapshot::{LeadIndex, Snapshot};
use super::{CellWrite, SheetError, SheetReport, SheetsClient};
use crate::accounts::{Account, Column, GoogleCredentials, SheetSettings};
use crate::domain::{AccountId, Attribution, LeadId};
use crate::ingest::update_lead;
use crate::leads::{BookingPage, Lead, LeadSource, SheetCells};
use crate::store::{Store, StoreError};

/// What each lead's row should show.
#[derive(Debug)]
pub(super) struct Wanted<'a> {
    account: &'a Account,
    /// The page links are built from, when the sheet has a `link` column.
    page: Option<BookingPage>,
}

impl<'a> Wanted<'a> {
    pub(super) fn new(account: &'a Account, settings: &SheetSettings) -> Self {
        let page = settings
            .columns
            .link
            .and_then(|_| BookingPage::of_account(&account.links))
            .and_then(|page| {
                page.inspect_err(|e| {
                    tracing::warn!(account = %account.id, "no links in the sheet: {e}");
                })
                .ok()
            });
        Self { account, page }
    }

    /// The label and call time the lead's bookings call for, and its link.
    pub(super) fn cells(&self, lead: &Lead) -> SheetCells {
        let account = self.account;
        SheetCells {
            link: self
                .page
                .as_ref()
                .map(|page| page.link(lead, &Attribution::default(), &account.links)),
            ..lead.sheet_cells(&account.labels, account.time_zone)
        }
    }
}

/// What a push will write.
#[derive(Debug, Default)]
struct Plan {
    cells: Vec<CellWrite>,
    /// Leads whose row shows (or will show, once the cells are written) their cells.
    synced: Vec<(LeadId, SheetCells)>,
    /// Leads created from bookings, with their new rows.
    appends: Vec<(LeadId, SheetCells, Vec<String>)>,
}

fn plan(wanted: &Wanted, settings: &SheetSettings, snapshot: &Snapshot, leads: &[Lead]) -> Plan {
    let columns = &settings.columns;
    let mut plan = Plan::default();
    for lead in leads {
        let wanted = wanted.cells(lead);
        if wanted.is_empty() || lead.sheet_synced.as_ref() == Some(&wanted) {
            continue;
        }
        match lead.sheet_row {
            Some(number) => {
                // A row that no longer holds the lead (moved, or deleted by the team) is left
                // alone; the next pull finds the lead's row again if it still has one.
                let Some(row) = snapshot.row(number).filter(|row| row.holds(lead)) else {
                    continue;
                };
                let link = columns.link.map(|column| (column, &wanted.link));
                for (column, value) in [
                    (columns.status, &wanted.status),
                    (columns.booked, &wanted.booked),
                ]
                .into_iter()
                .chain(link)
                {
                    if let Some(value) = value
                        && snapshot.cell(settings, row, column) != value
                    {
                        plan.cells.push(CellWrite {
                            cell: settings.range.cell(column, number),
                            value: value.clone(),
                        });
                    }
                }
                plan.synced.push((lead.id.clone(), wanted));
            }
            None if lead.source == LeadSource::Booking => {
                let row = new_row(settings, lead, &wanted);
                plan.appends.push((lead.id.clone(), wanted, row));
            }
            None => {}
        }
    }
    plan
}

/// A new lead's row: its details and cells in their columns, every other cell empty.
fn new_row(settings: &SheetSettings, lead: &Lead, cells: &SheetCells) -> Vec<String> {
    let range = &settings.range;
    let columns = &settings.columns;
    let mut row = vec![String::new(); range.width()];
    let (first, last) = lead
        .name
        .as_deref()
        .map(str::trim)
        .map_or(("", ""), |n| n.split_once(' ').unwrap_or((n, "")));
    let mut put = |column: Column, value: &str| row[range.offset(column)] = value.trim().to_owned();
    put(columns.status, cells.status.as_deref().unwrap_or_default());
    put(columns.first_name, first);
    put(columns.last_name, last);
    put(
        columns.phone,
        &lead
            .phone
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    put(
        columns.email,
        &lead
            .email
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    put(columns.booked, cells.booked.as_deref().unwrap_or_default());
    if let Some(column) = columns.link {
        put(column, cells.link.as_deref().unwrap_or_default());
    }
    row
}

/// Brings the sheet in step with the leads, against the rows read by [`super::pull`]: changed cells in
/// one call, new leads' rows in another, nothing when nothing changed. A lead is marked in step
/// only after Google took the write, so a failed push is simply made again next run.
pub async fn push(
    store: &(impl Store + ?Sized),
    client: &SheetsClient,
    account: &Account,
    (settings, credentials): (&SheetSettings, &GoogleCredentials),
    snapshot: &Snapshot,
    deadline: Instant,
    report: &mut SheetReport,
) -> Result<(), SheetError> {
    let index = LeadIndex::load(store, &account.id).await?;
    let plan = plan(
        &Wanted::new(account, settings),
        settings,
        snapshot,
        &index.leads,
    );
    if !plan.cells.is_empty() {
        client
            .write_cells(settings, credentials, &plan.cells, deadline)
            .await?;
        report.cells_written += plan.cells.len() as u64;
    }
    for (lead, cells) in plan.synced {
        mark_in_step(store, &account.id, &lead, cells, None).await?;
    }
    if !plan.appends.is_empty() {
        let rows: Vec<Vec<String>> = plan.appends.iter().map(|(_, _, row)| row.clone()).collect();
        let first = client
            .append_rows(settings, credentials, &rows, deadline)
            .await?;
        report.rows_appended += rows.len() as u64;
        for ((lead, cells, _), number) in plan.appends.into_iter().zip(first..) {
            mark_in_step(store, &account.id, &lead, cells, Some(number)).await?;
        }
    }
    Ok(())
}

/// Records what the lead's row now shows (and where the row is); a booking applied meanwhile
/// keeps its changes, and the next push writes them.
async fn mark_in_step(
    store: &(impl Store + ?Sized),
    account: &AccountId,
    id: &LeadId,
    cells: SheetCells,
    row: Option<u32>,
) -> Result<(), StoreError> {
    update_lead(store, account, id, |lead| {
        // The row now shows the label the bookings call for: any edit it held is over.
        if cells.status.is_some() {
            lead.sheet_action = None;
        }
        lead.sheet_synced = Some(cells.clone());
        if row.is_some() {
            lead.sheet_row = row;
        }
    })
    .await
}
