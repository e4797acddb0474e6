//! Upserting leads from rows (a CSV import, the team's sheet): phones normalised in the account's
//! region, invalid rows reported by line, duplicates merged, existing leads updated. A row whose
//! phone does not parse is still imported by its email, with a warning.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::accounts::Account;
use crate::domain::{Attribution, Email, LeadId, Phone};
use crate::leads::{Lead, LeadSource};
use crate::matching::match_lead;
use crate::store::{LeadWrite, LookupClaim, Store, StoreError};

/// One row as read, before validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeadRow {
    /// The row's line in its file (or row in its sheet), for reports.
    pub line: usize,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub status: Option<String>,
    /// The campaign and source the lead came from (SPEC §7).
    pub campaign: Option<String>,
    pub source: Option<String>,
    pub sheet_row: Option<u32>,
}

/// A row reported by its line: why it was not imported, or what of it was left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowNote {
    pub line: usize,
    pub reason: String,
}

/// What an import did: `{"imported", "updated", "duplicates", "invalid", "warnings"}`, the last
/// two lists of `{"line", "reason"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// New leads created.
    pub imported: usize,
    /// Existing leads changed.
    pub updated: usize,
    /// Rows merged into an earlier row of the same import (same phone or email).
    pub duplicates: usize,
    /// Rows not imported.
    pub invalid: Vec<RowNote>,
    /// Rows imported without a detail that did not parse (a phone: the lead is kept by email).
    pub warnings: Vec<RowNote>,
}

/// A valid row, and the rows merged into it.
#[derive(Clone, Debug)]
struct Candidate {
    name: Option<String>,
    phone: Option<Phone>,
    email: Option<Email>,
    status: Option<String>,
    attribution: Attribution,
    sheet_row: Option<u32>,
}

/// Leads created per store call: progress is reported between chunks.
const CREATE_CHUNK: usize = 500;

/// Imports `rows` into `account`. `progress` is told how many rows are done, now and then.
pub async fn import_leads(
    store: &(impl Store + ?Sized),
    account: &Account,
    rows: Vec<LeadRow>,
    source: LeadSource,
    now: DateTime<Utc>,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let candidates = merge_rows(account, rows, &mut report);

    let mut fresh: Vec<Lead> = Vec::new();
    for (done, candidate) in candidates.iter().enumerate() {
        let lookup = store
            .find_leads(
                &account.id,
                candidate.phone.as_ref(),
                candidate.email.as_ref(),
            )
            .await?;
        let person = crate::domain::Attendee {
            name: None,
            phone: candidate.phone.clone(),
            email: candidate.email.clone(),
        };
        let existing = match_lead(
            &person,
            lookup.by_phone.as_slice(),
            lookup.by_email.as_slice(),
        );
        match existing.lead() {
            Some(id) => {
                if update_existing(store, account, id, candidate, &lookup, now).await? {
                    report.updated += 1;
                }
            }
            None => {
                let mut lead = Lead::new(LeadId::generate(), source, now);
                lead.name.clone_from(&candidate.name);
                lead.phone.clone_from(&candidate.phone);
                lead.email.clone_from(&candidate.email);
                lead.status.clone_from(&candidate.status);
                lead.attribution.clone_from(&candidate.attribution);
                lead.sheet_row = candidate.sheet_row;
                lead.revision = 1;
                fresh.push(lead);
            }
        }
        if fresh.len() >= CREATE_CHUNK {
            report.imported += create(store, account, std::mem::take(&mut fresh), now).await?;
        }
        if done % 100 == 0 {
            progress(done);
        }
    }
    report.imported += create(store, account, fresh, now).await?;
    progress(candidates.len());
    Ok(report)
}

/// Validates rows and merges those that share a phone or an email; later rows' values win.
fn merge_rows(account: &Account, rows: Vec<LeadRow>, report: &mut ImportReport) -> Vec<Candidate> {
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut by_phone: HashMap<Phone, usize> = HashMap::new();
    let mut by_email: HashMap<Email, usize> = HashMap::new();
    for row in rows {
        let candidate = match validate(account, &row) {
            Ok((candidate, warning)) => {
                report.warnings.extend(warning.map(|reason| RowNote {
                    line: row.line,
                    reason,
                }));
                candidate
            }
            Err(reason) => {
                report.invalid.push(RowNote {
                    line: row.line,
                    reason,
                });
                continue;
            }
        };
        let earlier = candidate
            .phone
            .as_ref()
            .and_then(|p| by_phone.get(p))
            .or_else(|| candidate.email.as_ref().and_then(|e| by_email.get(e)))
            .copied();
        let index = match earlier {
            Some(index) => {
                report.duplicates += 1;
                let merged = &mut candidates[index];
                merged.name = candidate.name.or(merged.name.take());
                merged.status = candidate.status.or(merged.status.take());
                merged.attribution = candidate.attribution.or(&merged.attribution);
                merged.sheet_row = merged.sheet_row.or(candidate.sheet_row);
                // A detail already owned by another row of this import stays with that row.
                if merged.phone.is_none()
                    && candidate
                        .phone
                        .as_ref()
                        .is_none_or(|p| !by_phone.contains_key(p))
                {
                    merged.phone = candidate.phone;
                }
                if merged.email.is_none()
                    && candidate
                        .email
                        .as_ref()
                        .is_none_or(|e| !by_email.contains_key(e))
                {
                    merged.email = candidate.email;
                }
                index
            }
            None => {
                candidates.push(candidate);
                candidates.len() - 1
            }
        };
        let merged = &candidates[index];
        if let Some(p) = &merged.phone {
            by_phone.entry(p.clone()).or_insert(index);
        }
        if let Some(e) = &merged.email {
            by_email.entry(e.clone()).or_insert(index);
        }
    }
    candidates
}

/// The row as a lead, with a warning when its phone was left out; or why it cannot be one.
fn validate(account: &Account, row: &LeadRow) -> Result<(Candidate, Option<String>), String> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let phone = text(&row.phone)
        .map(|raw| {
            Phone::parse(&raw, account.phone_region)
                .map_err(|e| format!("phone: {e} (read in region {})", account.phone_region))
        })
        .transpose();
    let email = text(&row.email)
        .map(|raw| Email::parse(&raw).map_err(|e| format!("email: {e}")))
        .transpose();
    let (phone, warning) = match (phone, &email) {
        (Err(reason), Ok(Some(_))) => (None, Some(format!("{reason}; imported by its email"))),
        (phone, _) => (phone?, None),
    };
    let email = email?;
    if phone.is_none() && email.is_none() {
        return Err("no phone or email: a lead needs one to be matched".into());
    }
    let candidate = Candidate {
        name: text(&row.name),
        phone,
        email,
        status: text(&row.status),
        attribution: Attribution::new(row.campaign.as_deref(), row.source.as_deref()),
        sheet_row: row.sheet_row,
    };
    Ok((candidate, warning))
}

/// Updates an existing lead from a row: given values replace stored ones; a phone or email owned
/// by another lead is left with it. Returns whether anything changed.
async fn update_existing(
    store: &(impl Store + ?Sized),
    account: &Account,
    id: &LeadId,
    row: &Candidate,
    lookup: &crate::store::LeadLookup,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    for _ in 0..crate::ingest::MAX_ATTEMPTS {
        let Some(mut lead) = store.get_lead(&account.id, id).await? else {
            return Ok(false);
        };
        let before = lead.clone();
        let mut claims = Vec::new();
        let mut released = Vec::new();
        let ours = |owner: &Option<LeadId>| owner.as_ref().is_none_or(|o| o == id);
        if let Some(phone) = row
            .phone
            .clone()
            .filter(|p| Some(p) != lead.phone.as_ref() && ours(&lookup.by_phone))
        {
            released.extend(
                lead.phone
                    .take()
                    .map(|old| LookupClaim::Phone(old, id.clone())),
            );
            claims.push(LookupClaim::Phone(phone.clone(), id.clone()));
            lead.phone = Some(phone);
        }
        if let Some(email) = row
            .email
            .clone()
            .filter(|e| Some(e) != lead.email.as_ref() && ours(&lookup.by_email))
        {
            released.extend(
                lead.email
                    .take()
                    .map(|old| LookupClaim::Email(old, id.clone())),
            );
            claims.push(LookupClaim::Email(email.clone(), id.clone()));
            lead.email = Some(email);
        }
        if row.name.is_some() {
            lead.name.clone_from(&row.name);
        }
        if row.status.is_some() {
            lead.status.clone_from(&row.status);
        }
        lead.attribution = row.attribution.or(&lead.attribution);
        if row.sheet_row.is_some() {
            lead.sheet_row = row.sheet_row;
        }
        if lead == before {
            return Ok(false);
        }
        lead.updated_at = now;
        lead.revision = before.revision + 1;
        let write = LeadWrite {
            before_revision: Some(before.revision),
            after: lead,
        };
        match store
            .save_lead(&account.id, &write, &released, &claims)
            .await
        {
            Err(StoreError::Conflict) => continue,
            other => return other.map(|()| true),
        }
    }
    Err(StoreError::Conflict)
}

/// Creates new leads in one store call; if one of them lost a race (a concurrent import or
/// booking took its phone or email), falls back to one at a time and skips the taken ones.
async fn create(
    store: &(impl Store + ?Sized),
    account: &Account,
    leads: Vec<Lead>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if leads.is_empty() {
        return Ok(0);
    }
    match store.create_leads(&account.id, &leads).await {
        Ok(()) => Ok(leads.len()),
        Err(StoreError::Conflict) => {
            let mut created = 0;
            for lead in leads {
                let exists = store.get_lead(&account.id, &lead.id).await?.is_some();
                if exists {
                    created += 1;
                    continue;
                }
                match store
                    .create_leads(&account.id, std::slice::from_ref(&lead))
                    .await
                {
                    Ok(()) => created += 1,
                    Err(StoreError::Conflict) => {
                        tracing::info!(account = %account.id, lead = %lead.id, at = %now, "lead skipped: its phone or email was taken concurrently");
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(created)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::accounts::NewAccount;
    use crate::domain::AccountId;

    fn account() -> Account {
        let id = AccountId::parse("acme").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        Account::create(NewAccount::new(id), now).0
    }

    fn row(phone: &str, email: &str) -> LeadRow {
        LeadRow {
            line: 7,
            phone: Some(phone.into()),
            email: Some(email.into()),
            campaign: Some(" spring ".into()),
            ..LeadRow::default()
        }
    }

    #[test]
    fn a_bad_phone_beside_a_good_email_is_left_out_with_a_warning() {
        let (candidate, warning) = validate(&account(), &row("12", "jane@example.com")).unwrap();
        assert_eq!(candidate.phone, None);
        assert_eq!(candidate.email.unwrap().as_str(), "jane@example.com");
        assert_eq!(
            candidate.attribution,
            Attribution::new(Some("spring"), None)
        );
        let warning = warning.unwrap();
        assert!(warning.starts_with("phone: ") && warning.ends_with("imported by its email"));
    }

    #[test]
    fn a_bad_phone_alone_or_beside_a_bad_email_is_invalid() {
        assert!(
            validate(&account(), &row("12", ""))
                .unwrap_err()
                .starts_with("phone: ")
        );
        assert!(
            validate(&account(), &row("12", "nope"))
                .unwrap_err()
                .starts_with("phone: ")
        );
        assert!(
            validate(&account(), &row("07700 123456", "nope"))
                .unwrap_err()
                .starts_with("email: ")
        );
        let (clean, warning) = validate(&account(), &row("07700 123456", "")).unwrap();
        assert!(clean.phone.is_some() && warning.is_none());
    }
}
