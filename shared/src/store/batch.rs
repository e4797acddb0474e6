//! What one apply writes, all or nothing.

use crate::booking::{CounterDelta, Write};
use crate::domain::{Email, LeadId, Phone};
use crate::leads::{Lead, TimelineEntry};

use super::records::Delivery;

/// A lead to write: its state when read (`None` if new) and the state to store.
#[derive(Clone, Debug)]
pub struct LeadWrite {
    pub before_revision: Option<u64>,
    pub after: Lead,
}

/// A contact detail a lead takes ownership of. The claim fails (and the whole batch with it) if
/// another lead already owns the detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupClaim {
    Phone(Phone, LeadId),
    Email(Email, LeadId),
}

/// One atomic write: appointments conditional on the revision read, leads conditional on theirs,
/// lookup claims conditional on being free (or already the lead's), counter increments, timeline
/// entries and the delivery-log entry.
#[derive(Clone, Debug, Default)]
pub struct ApplyBatch {
    pub appointments: Vec<Write>,
    pub leads: Vec<LeadWrite>,
    pub claims: Vec<LookupClaim>,
    pub counters: CounterDelta,
    pub timeline: Vec<(LeadId, TimelineEntry)>,
    pub delivery: Option<Delivery>,
}

impl ApplyBatch {
    pub fn is_empty(&self) -> bool {
        self.appointments.is_empty()
            && self.leads.is_empty()
            && self.claims.is_empty()
            && self.counters.is_empty()
            && self.timeline.is_empty()
            && self.delivery.is_none()
    }
}

/// The lookups a lead owns: its phone and email.
pub fn claims_of(lead: &Lead) -> Vec<LookupClaim> {
    let phone = lead
        .phone
        .clone()
        .map(|p| LookupClaim::Phone(p, lead.id.clone()));
    let email = lead
        .email
        .clone()
        .map(|e| LookupClaim::Email(e, lead.id.clone()));
    phone.into_iter().chain(email).collect()
}
