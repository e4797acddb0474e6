//! `booking-tracker leads import|list|link|links`.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, bail};
use chrono::Utc;
use serde::Serialize;
use shared::accounts::Account;
use shared::domain::Attribution;
use shared::ingest::{ImportReport, LeadRow, RowNote, import_leads};
use shared::leads::{Lead, LeadSource};
use shared::store::Store;

use super::{load_account, local, or_dash};
use crate::cli::LeadsCommand;
use crate::output;

pub async fn run(store: &dyn Store, command: LeadsCommand, json: bool) -> anyhow::Result<()> {
    match command {
        LeadsCommand::Import { account, file } => {
            let account = load_account(store, &account).await?;
            import(store, &account, &file, json).await
        }
        LeadsCommand::List { account } => {
            let account = load_account(store, &account).await?;
            list(store, &account, json).await
        }
        LeadsCommand::Link(args) => {
            let account = load_account(store, &args.account).await?;
            super::links::link(store, &account, &args, json).await
        }
        LeadsCommand::Links(args) => {
            let account = load_account(store, &args.account).await?;
            super::links::links(store, &account, &args, json).await
        }
    }
}

/// The CSV's rows, and the records that could not be read as rows at all.
struct CsvRows {
    rows: Vec<LeadRow>,
    unreadable: Vec<RowNote>,
}

/// Header names, lowercased with spaces and dashes as underscores.
fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers.iter().position(|h| {
        let normal = h
            .trim_start_matches('\u{feff}')
            .trim()
            .to_lowercase()
            .replace([' ', '-'], "_");
        names.contains(&normal.as_str())
    })
}

fn read_csv(path: &Path) -> anyhow::Result<CsvRows> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header row", path.display()))?
        .clone();
    let name = column(&headers, &["name", "full_name"]);
    let first = column(&headers, &["first_name", "firstname", "given_name"]);
    let last = column(
        &headers,
        &["last_name", "lastname", "surname", "family_name"],
    );
    let phone = column(
        &headers,
        &[
            "phone",
            "phone_number",
            "mobile",
            "mobile_number",
            "telephone",
            "tel",
        ],
    );
    let email = column(&headers, &["email", "e_mail", "email_address"]);
    let status = column(&headers, &["status", "contact_status"]);
    let campaign = column(&headers, &["campaign", "utm_campaign"]);
    let source = column(&headers, &["source", "utm_source"]);
    if phone.is_none() && email.is_none() {
        let found: Vec<&str> = headers.iter().collect();
        bail!(
            "{}: the header row needs a phone or an email column (it has: {})",
            path.display(),
            found.join(", ")
        );
    }
    let mut rows = Vec::new();
    let mut unreadable = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(index + 2, |p| p.line() as usize);
                unreadable.push(RowNote {
                    line,
                    reason: format!("unreadable: {e}"),
                });
                continue;
            }
        };
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::to_owned);
        let full_name = cell(name).or_else(|| {
            let joined = format!(
                "{} {}",
                cell(first).unwrap_or_default(),
                cell(last).unwrap_or_default()
            );
            Some(joined.trim().to_owned()).filter(|n| !n.is_empty())
        });
        rows.push(LeadRow {
            line: record.position().map_or(index + 2, |p| p.line() as usize),
            name: full_name,
            phone: cell(phone),
            email: cell(email),
            status: cell(status),
            campaign: cell(campaign),
            source: cell(source),
            sheet_row: None,
        });
    }
    Ok(CsvRows { rows, unreadable })
}

async fn import(
    store: &dyn Store,
    account: &Account,
    path: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let CsvRows { rows, unreadable } = read_csv(path)?;
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(rows.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed}")
        {
            bar.set_style(style);
        }
        bar
    });
    let progress = |done: usize| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
        }
    };
    let mut report: ImportReport = import_leads(
        store,
        account,
        rows,
        LeadSource::Import,
        Utc::now(),
        &progress,
    )
    .await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report.invalid.extend(unreadable);
    report.invalid.sort_by_key(|r| r.line);
    if json {
        output::json(&report);
    } else {
        output::line(format!(
            "{} new leads, {} updated, {} duplicate rows merged, {} invalid rows, {} warnings",
            report.imported,
            report.updated,
            report.duplicates,
            report.invalid.len(),
            report.warnings.len()
        ));
        for row in &report.invalid {
            output::line(format!("  line {}: {}", row.line, row.reason));
        }
        for row in &report.warnings {
            output::line(format!("  line {} (imported): {}", row.line, row.reason));
        }
    }
    Ok(())
}

/// A lead's id and contact details, as the lead commands print them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Contact<'a> {
    pub(super) lead_id: &'a str,
    pub(super) name: Option<&'a str>,
    pub(super) phone: Option<&'a str>,
    pub(super) email: Option<&'a str>,
}

impl<'a> Contact<'a> {
    pub(super) fn of(lead: &'a Lead) -> Self {
        Self {
            lead_id: lead.id.as_str(),
            name: lead.name.as_deref(),
            phone: lead.phone.as_ref().map(|p| p.as_str()),
            email: lead.email.as_ref().map(|e| e.as_str()),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LeadView<'a> {
    #[serde(flatten)]
    contact: Contact<'a>,
    status: Option<&'a str>,
    source: LeadSource,
    booking_status: Option<&'static str>,
    next_appointment: Option<chrono::DateTime<Utc>>,
    appointment_set_at: Option<chrono::DateTime<Utc>>,
    bookings: usize,
    /// The campaign and source the lead came from.
    #[serde(skip_serializing_if = "Attribution::is_empty")]
    attribution: &'a Attribution,
}

fn view(lead: &Lead) -> LeadView<'_> {
    LeadView {
        contact: Contact::of(lead),
        status: lead.status.as_deref(),
        source: lead.source,
        booking_status: lead.booking_status().map(|s| s.as_str()),
        next_appointment: lead.next_appointment(),
        appointment_set_at: lead.appointment_set_at(),
        bookings: lead.bookings.len(),
        attribution: &lead.attribution,
    }
}

/// Every lead of the account, page by page.
pub(super) async fn all_leads(store: &dyn Store, account: &Account) -> anyhow::Result<Vec<Lead>> {
    let mut leads = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_leads(&account.id, after.as_deref(), 500).await?;
        leads.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(leads)
}

async fn list(store: &dyn Store, account: &Account, json: bool) -> anyhow::Result<()> {
    let leads = all_leads(store, account).await?;
    if json {
        output::json(&leads.iter().map(view).collect::<Vec<_>>());
        return Ok(());
    }
    let rows: Vec<Vec<String>> = leads
        .iter()
        .map(|lead| {
            let v = view(lead);
            vec![
                v.contact.lead_id.to_owned(),
                or_dash(v.contact.name),
                or_dash(v.contact.phone),
                or_dash(v.contact.email),
                or_dash(v.status),
                or_dash(v.booking_status),
                or_dash(v.next_appointment.map(|t| local(t, account.time_zone))),
            ]
        })
        .collect();
    output::table(
        &[
            "lead",
            "name",
            "phone",
            "email",
            "status",
            "booking",
            "next call",
        ],
        &rows,
    );
    Ok(())
}
