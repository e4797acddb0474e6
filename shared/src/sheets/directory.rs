//! The sheet as a lead directory. *Pull* reads the range in one call and upserts its rows as
//! leads; *push* writes each lead's status label and call time where the sheet is out of date,
//! in one `values:batchUpdate`, and appends the rows of leads created from bookings.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{CellWrite, SheetError, SheetReport, SheetsClient};
use crate::accounts::{Account, Column, GoogleCredentials, SheetSettings};
use crate::domain::{AccountId, Email, LeadId, Phone};
use crate::ingest::{LeadRow, MAX_ATTEMPTS, import_leads};
use crate::leads::{Lead, LeadSource, SheetCells};
use crate::store::{LeadWrite, Store, StoreError};

/// Leads listed per store call.
const LEAD_PAGE: usize = 500;

/// The sheet's rows as read at the start of a run: what push compares against.
#[derive(Clone, Debug)]
pub struct Snapshot {
    first_row: u32,
    rows: Vec<SheetRow>,
}

/// One row of the range, its details read once.
#[derive(Clone, Debug)]
struct SheetRow {
    number: u32,
    cells: Vec<String>,
    name: Option<String>,
    status: Option<String>,
    phone_text: Option<String>,
    email_text: Option<String>,
    /// `None` when the text is missing or does not parse (the import reports which).
    phone: Option<Phone>,
    email: Option<Email>,
}

impl SheetRow {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }

    /// Every detail written parses.
    fn is_clean(&self) -> bool {
        self.phone_text.is_some() == self.phone.is_some()
            && self.email_text.is_some() == self.email.is_some()
    }

    /// The row is this lead's: it holds the lead's phone or email.
    fn holds(&self, lead: &Lead) -> bool {
        let same = |a: Option<&Phone>, b: Option<&Phone>| a.is_some() && a == b;
        same(self.phone.as_ref(), lead.phone.as_ref())
            || (self.email.is_some() && self.email.as_ref() == lead.email.as_ref())
    }
}

impl Snapshot {
    pub fn new(settings: &SheetSettings, account: &Account, values: Vec<Vec<String>>) -> Self {
        let range = &settings.range;
        let columns = &settings.columns;
        let first_row = range.first_row;
        let rows = values
            .into_iter()
            .zip(first_row..)
            .map(|(cells, number)| {
                let text = |column: Column| {
                    cells
                        .get(range.offset(column))
                        .map(|c| c.trim())
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                };
                let name = [text(columns.first_name), text(columns.last_name)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let phone_text = text(columns.phone);
                let email_text = text(columns.email);
                SheetRow {
                    number,
                    name: (!name.is_empty()).then_some(name),
                    status: text(columns.status),
                    phone: phone_text
                        .as_deref()
                        .and_then(|p| Phone::parse_optional(p, account.phone_region)),
                    email: email_text.as_deref().and_then(Email::parse_optional),
                    phone_text,
                    email_text,
                    cells,
                }
            })
            .collect();
        Self { first_row, rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn row(&self, number: u32) -> Option<&SheetRow> {
        let index = number.checked_sub(self.first_row)?;
        self.rows.get(usize::try_from(index).ok()?)
    }

    fn cell<'a>(&'a self, settings: &SheetSettings, row: &'a SheetRow, column: Column) -> &'a str {
        row.cells
            .get(settings.range.offset(column))
            .map_or("", |c| c.trim())
    }
}

/// The account's leads, found by phone and email in memory: one listing per run, rather than a
/// lookup per row.
struct LeadIndex {
    leads: Vec<Lead>,
    by_phone: HashMap<Phone, usize>,
    by_email: HashMap<Email, usize>,
}

impl LeadIndex {
    async fn load(store: &(impl Store + ?Sized), account: &AccountId) -> Result<Self, StoreError> {
        let mut leads = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store
                .list_leads(account, after.as_deref(), LEAD_PAGE)
                .await?;
            leads.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut by_phone = HashMap::new();
        let mut by_email = HashMap::new();
        for (i, lead) in leads.iter().enumerate() {
            if let Some(phone) = &lead.phone {
                by_phone.insert(phone.clone(), i);
            }
            if let Some(email) = &lead.email {
                by_email.insert(email.clone(), i);
            }
        }
        Ok(Self {
            leads,
            by_phone,
            by_email,
        })
    }

    /// The lead a row belongs to: phone first, then email, as bookings are matched.
    fn find(&self, row: &SheetRow) -> Option<&Lead> {
        let by_phone = row.phone.as_ref().and_then(|p| self.by_phone.get(p));
        let by_email = row.email.as_ref().and_then(|e| self.by_email.get(e));
        by_phone.or(by_email).map(|&i| &self.leads[i])
    }
}

/// Reads the sheet and upserts its rows as leads. Rows already in step with their lead are
/// skipped, so an unchanged sheet costs one read and no writes. The first row holding a phone
/// or email is that lead's; later rows repeating it are counted as duplicates and left alone.
pub async fn pull(
    store: &(impl Store + ?Sized),
    client: &SheetsClient,
    account: &Account,
    (settings, credentials): (&SheetSettings, &GoogleCredentials),
    now: DateTime<Utc>,
    deadline: Instant,
) -> Result<(Snapshot, SheetReport), SheetError> {
    let values = client.read(settings, credentials, deadline).await?;
    let snapshot = Snapshot::new(settings, account, values);
    let index = LeadIndex::load(store, &account.id).await?;
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
        if row.is_clean() && lead.is_some_and(|lead| in_step(row, lead)) {
            continue;
        }
        // A label the bookings call for and the sheet does not show yet is pushed after this
        // pull; the sheet's stale label must not overwrite it meanwhile.
        let status = match lead {
            Some(lead) if push_pending(account, lead) => None,
            _ => row.status.clone(),
        };
        changed.push(LeadRow {
            line: row.number as usize,
            name: row.name.clone(),
            phone: row.phone_text.clone(),
            email: row.email_text.clone(),
            status,
            sheet_row: Some(row.number),
        });
    }
    let imported = import_leads(store, account, changed, LeadSource::Sheet, now, &|_| {}).await?;
    report.imported = imported.imported;
    report.updated = imported.updated;
    report.duplicates += imported.duplicates;
    report.invalid = imported.invalid;
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
}

fn push_pending(account: &Account, lead: &Lead) -> bool {
    let wanted = lead.sheet_cells(&account.labels, account.time_zone);
    wanted.status.is_some() && lead.sheet_synced.as_ref() != Some(&wanted)
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

fn plan(account: &Account, settings: &SheetSettings, snapshot: &Snapshot, leads: &[Lead]) -> Plan {
    let columns = &settings.columns;
    let mut plan = Plan::default();
    for lead in leads {
        let wanted = lead.sheet_cells(&account.labels, account.time_zone);
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
                for (column, value) in [
                    (columns.status, &wanted.status),
                    (columns.booked, &wanted.booked),
                ] {
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
    row
}

/// Brings the sheet in step with the leads, against the rows read by [`pull`]: changed cells in
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
    let plan = plan(account, settings, snapshot, &index.leads);
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

/// Records what the lead's row now shows (and where the row is), re-reading on a lost race: a
/// booking applied meanwhile keeps its changes, and the next push writes them.
async fn mark_in_step(
    store: &(impl Store + ?Sized),
    account: &AccountId,
    id: &LeadId,
    cells: SheetCells,
    row: Option<u32>,
) -> Result<(), StoreError> {
    for _ in 0..MAX_ATTEMPTS {
        let Some(mut lead) = store.get_lead(account, id).await? else {
            return Ok(());
        };
        let before = lead.revision;
        lead.sheet_synced = Some(cells.clone());
        if row.is_some() {
            lead.sheet_row = row;
        }
        lead.revision += 1;
        let write = LeadWrite {
            before_revision: Some(before),
            after: lead,
        };
        match store.save_lead(account, &write, &[], &[]).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}
