//! `recount`: rebuild an account's counters from its appointments, report and fix any drift.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::accounts::{Account, COUNTERS_LAYOUT};
use crate::booking::{Appointment, CounterDelta, DayCounts};
use crate::domain::{AppointmentId, LeadId};
use crate::leads::{Lead, LeadBooking, lead_contribution};
use crate::store::{LeadWrite, Store, StoreError};

/// The widest day range the store is asked for.
pub fn all_days() -> (NaiveDate, NaiveDate) {
    let from = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    (from, to)
}

/// One counter that differed from its recount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    pub date: NaiveDate,
    pub counter: String,
    pub stored: i64,
    pub recounted: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecountReport {
    pub account_id: String,
    pub appointments: usize,
    pub leads: usize,
    /// Leads whose booking summary no longer matched their appointments, and were fixed.
    pub leads_fixed: usize,
    /// Counters that differed; empty when the stored counters were right.
    pub drift: Vec<Drift>,
}

/// A lead's bookings as its appointments say they are: the tips of its chains.
fn bookings_from(appointments: &[&Appointment]) -> BTreeMap<AppointmentId, LeadBooking> {
    appointments
        .iter()
        .filter(|a| a.is_chain_tip())
        .map(|a| (a.id().clone(), LeadBooking::of(a)))
        .collect()
}

/// What the counters should hold, given the appointments and their leads.
pub fn expected_counters(
    appointments: &[Appointment],
    leads: &[Lead],
    time_zone: Tz,
) -> CounterDelta {
    let mut expected = CounterDelta::recount(appointments, time_zone);
    for lead in leads {
        expected.absorb(&lead_contribution(lead, time_zone));
    }
    expected
}

/// The counters that differ between `stored` and `expected`.
pub fn drift(stored: &[(NaiveDate, DayCounts)], expected: &CounterDelta) -> Vec<Drift> {
    let stored: BTreeMap<NaiveDate, &DayCounts> = stored.iter().map(|(d, c)| (*d, c)).collect();
    let expected: BTreeMap<NaiveDate, &DayCounts> = expected.days().collect();
    let days: BTreeSet<NaiveDate> = stored.keys().chain(expected.keys()).copied().collect();
    let zero = DayCounts::default();
    let mut out = Vec::new();
    for day in days {
        let field_map = |c: &DayCounts| c.fields().into_iter().collect::<BTreeMap<String, i64>>();
        let have = field_map(stored.get(&day).copied().unwrap_or(&zero));
        let want = field_map(expected.get(&day).copied().unwrap_or(&zero));
        let names: BTreeSet<&String> = have.keys().chain(want.keys()).collect();
        for name in names {
            let (s, r) = (
                have.get(name).copied().unwrap_or(0),
                want.get(name).copied().unwrap_or(0),
            );
            if s != r {
                out.push(Drift {
                    date: day,
                    counter: name.clone(),
                    stored: s,
                    recounted: r,
                });
            }
        }
    }
    out
}

/// What a recount finds before it writes anything: the counters the appointments and leads add
/// up to, and the leads whose booking summary no longer matches their appointments. `doctor`
/// compares it with the stored counters; `recount` writes it.
#[derive(Clone, Debug)]
pub struct RecountPlan {
    pub appointments: usize,
    pub leads: usize,
    /// The leads to rewrite, each with its booking summary rebuilt.
    pub lead_fixes: Vec<LeadWrite>,
    /// What the counters should hold.
    pub expected: CounterDelta,
}

/// Reads every appointment and lead of `account` and works out what a recount would write.
/// Writes nothing.
pub async fn plan_recount(
    store: &(impl Store + ?Sized),
    account: &Account,
    now: DateTime<Utc>,
) -> Result<RecountPlan, StoreError> {
    let id = &account.id;
    let mut appointments = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_appointments(id, after.as_deref(), 1000).await?;
        appointments.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut leads = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_leads(id, after.as_deref(), 1000).await?;
        leads.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }

    let mut by_lead: BTreeMap<&LeadId, Vec<&Appointment>> = BTreeMap::new();
    for appointment in &appointments {
        if let Some(lead) = appointment.lead_id() {
            by_lead.entry(lead).or_default().push(appointment);
        }
    }
    let mut lead_fixes = Vec::new();
    let mut fixed_leads = Vec::with_capacity(leads.len());
    for lead in &leads {
        let rebuilt = bookings_from(by_lead.get(&lead.id).map_or(&[][..], Vec::as_slice));
        if rebuilt == lead.bookings {
            fixed_leads.push(lead.clone());
            continue;
        }
        let mut fixed = lead.clone();
        fixed.bookings = rebuilt;
        fixed.updated_at = now;
        fixed.revision = lead.revision + 1;
        lead_fixes.push(LeadWrite {
            before_revision: Some(lead.revision),
            after: fixed.clone(),
        });
        fixed_leads.push(fixed);
    }
    Ok(RecountPlan {
        appointments: appointments.len(),
        leads: leads.len(),
        lead_fixes,
        expected: expected_counters(&appointments, &fixed_leads, account.time_zone),
    })
}

/// Recounts `account`: rebuilds each lead's booking summary from the appointments, then the
/// counters from appointments and leads, and rewrites what drifted. Run when traffic is quiet: a
/// booking applied while it runs can be missed until the next recount.
pub async fn recount(
    store: &(impl Store + ?Sized),
    account: &Account,
    now: DateTime<Utc>,
) -> Result<RecountReport, StoreError> {
    let id = &account.id;
    let plan = plan_recount(store, account, now).await?;
    for write in &plan.lead_fixes {
        store.save_lead(id, write, &[], &[]).await?;
    }
    let (from, to) = all_days();
    let stored = store.day_counts(id, from, to).await?;
    let drift = drift(&stored, &plan.expected);
    if !drift.is_empty() {
        store
            .replace_counters(id, &plan.expected.into_days())
            .await?;
    }
    mark_current_layout(store, account).await?;
    Ok(RecountReport {
        account_id: id.to_string(),
        appointments: plan.appointments,
        leads: plan.leads,
        leads_fixed: plan.lead_fixes.len(),
        drift,
    })
}

/// Records that the account's counters are in the current layout, unless it already says so.
async fn mark_current_layout(
    store: &(impl Store + ?Sized),
    account: &Account,
) -> Result<(), StoreError> {
    let mut account = account.clone();
    while account.counters_layout < COUNTERS_LAYOUT {
        account.counters_layout = COUNTERS_LAYOUT;
        match store.update_account(&account).await {
            Ok(_) => return Ok(()),
            // Changed meanwhile: mark what is there now.
            Err(StoreError::Conflict) => match store.get_account(&account.id).await? {
                Some(now) => account = now,
                None => return Ok(()),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Recounts every account whose counters predate [`COUNTERS_LAYOUT`] (what `init` runs after an
/// upgrade). Returns how many were rebuilt.
pub async fn rebuild_outdated_counters(
    store: &(impl Store + ?Sized),
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut rebuilt = 0;
    for account in store.list_accounts().await? {
        if account.counters_layout < COUNTERS_LAYOUT {
            recount(store, &account, now).await?;
            rebuilt += 1;
        }
    }
    Ok(rebuilt)
}
