//! The use-case "apply this booking event for this account": what webhooks and the sync call.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::accounts::Account;
use crate::booking::{ApplyContext, Appointment, NeighbourhoodLoader, Outcome, Transition, apply};
use crate::domain::{AppointmentId, Attendee, BookingEvent, LeadId, Provider};
use crate::leads::{Lead, LeadSource, TimelineEntry, lead_change};
use crate::matching::{LeadChoice, LeadMatch, MatchedBy, NoMatchReason, match_lead};
use crate::store::{ApplyBatch, Delivery, LeadLookup, LeadWrite, LookupClaim, Store, StoreError};

/// How many times a write that lost a race is re-read and retried before giving up. With the
/// backoff below, all the attempts together wait at most about two seconds: enough for dozens of
/// writers racing on one booking, well inside a webhook's time budget.
pub const MAX_ATTEMPTS: u32 = 25;

/// The backoff's first ceiling and its cap.
const BACKOFF_BASE_MS: u64 = 2;
const BACKOFF_CAP_MS: u64 = 128;

/// What applying an event did.
#[derive(Clone, Debug)]
pub struct Applied {
    pub outcome: Outcome,
    pub appointment: Appointment,
    /// How the lead was chosen, when this event had to choose one.
    pub lead_match: Option<LeadMatch>,
    /// Whether anything was written: an `unchanged` event may still move register stamps.
    pub wrote: bool,
}

impl Applied {
    pub fn appointment_id(&self) -> &AppointmentId {
        self.appointment.id()
    }

    pub fn lead_id(&self) -> Option<&LeadId> {
        self.appointment.lead_id()
    }
}

/// Why an event could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Every attempt lost a race: the booking is being written very fast by others.
    #[error("gave up after {MAX_ATTEMPTS} conflicting concurrent writes")]
    Contention,
}

/// Applies `event` to `account` in one atomic write: the appointments it changes, their leads
/// (matched by phone, then email, or created), lookup entries, counters, a timeline entry and,
/// if given, the delivery-log entry. Applying the same event again changes nothing; losing a race
/// to a concurrent writer re-reads and tries again.
pub async fn apply_event(
    store: &(impl Store + ?Sized),
    account: &Account,
    event: &BookingEvent,
    delivery: Option<Delivery>,
    now: DateTime<Utc>,
) -> Result<Applied, ApplyError> {
    for attempt in 0..MAX_ATTEMPTS {
        match attempt_apply(store, account, event, delivery.clone(), now).await {
            Err(StoreError::Conflict) => backoff(attempt).await,
            other => return other.map_err(ApplyError::from),
        }
    }
    Err(ApplyError::Contention)
}

/// "Full jitter" backoff: a random pause up to an exponentially growing, capped ceiling, so
/// writers that collided spread out instead of colliding again.
async fn backoff(attempt: u32) {
    let ceiling = (BACKOFF_BASE_MS << attempt.min(16)).min(BACKOFF_CAP_MS);
    let millis = u64::from(getrandom::u32().unwrap_or(0)) % (ceiling + 1);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

async fn attempt_apply(
    store: &(impl Store + ?Sized),
    account: &Account,
    event: &BookingEvent,
    delivery: Option<Delivery>,
    now: DateTime<Utc>,
) -> Result<Applied, StoreError> {
    let id = &account.id;
    let mut loader = NeighbourhoodLoader::new(event);
    while let Some(key) = loader.next_key() {
        let appointment_id = AppointmentId::for_booking(event.provider, &key);
        loader.supply(store.get_appointment(id, &appointment_id).await?);
    }
    let hood = loader.finish();

    // The subject keeps its lead, or inherits its predecessor's; otherwise match the attendee.
    let stored_subject = hood.subject.as_ref();
    let inherited = stored_subject
        .and_then(Appointment::lead_id)
        .or_else(|| hood.predecessor.as_ref().and_then(Appointment::lead_id))
        .cloned();
    let attendee = merged_attendee(&event.attendee, stored_subject);
    let (chosen, lookup, lead_match, choice, matched_lead) = match inherited {
        Some(lead) => {
            let from_predecessor = stored_subject.and_then(Appointment::lead_id).is_none();
            let choice = from_predecessor.then(LeadChoice::inherited);
            (Some(lead), LeadLookup::default(), None, choice, None)
        }
        None => {
            let found = choose_lead(store, account, event, &attendee).await?;
            (
                found.chosen,
                found.lookup,
                Some(found.decision),
                Some(found.choice),
                found.lead,
            )
        }
    };

    let ctx = ApplyContext {
        time_zone: account.time_zone,
        lead: chosen.clone(),
        lead_choice: choice,
        lead_attribution: matched_lead
            .as_ref()
            .map(|l| l.attribution.clone())
            .unwrap_or_default(),
    };
    let transition = apply(event, hood, &ctx);
    if transition.writes.is_empty() {
        if let Some(delivery) = delivery {
            store
                .record_delivery(id, &with_outcome(delivery, &transition))
                .await?;
        }
        return Ok(Applied {
            outcome: transition.outcome,
            appointment: transition.subject,
            lead_match,
            wrote: false,
        });
    }

    let plan = LeadPlan {
        created: lead_match
            .as_ref()
            .filter(|m| m.lead().is_none())
            .and(chosen.as_ref()),
        // Only a lead this event matched or created learns the attendee's details: the lookup
        // just made says which details are free.
        learns_contact: lead_match.is_some(),
        attendee: &attendee,
        lookup: &lookup,
        matched: matched_lead,
    };
    let mut batch = ApplyBatch::default();
    let (leads, claims) = leads_for(store, account, &transition, &plan, now).await?;
    batch.counters = transition.counters.clone();
    for (before, write) in &leads {
        batch.counters.absorb(&lead_change(
            before.as_ref(),
            &write.after,
            account.time_zone,
        ));
    }
    batch.leads = leads.into_iter().map(|(_, write)| write).collect();
    batch.claims = claims;
    if let Some(entry) = timeline_entry(event, &transition) {
        batch.timeline.push(entry);
    }
    batch.delivery = delivery.map(|d| with_outcome(d, &transition));
    batch.appointments = transition.writes;
    store.commit(id, &batch).await?;
    Ok(Applied {
        outcome: transition.outcome,
        appointment: transition.subject,
        lead_match,
        wrote: true,
    })
}

/// The lead chosen for an attendee with no lead yet, and how.
struct Found {
    chosen: Option<LeadId>,
    /// The leads holding the attendee's phone and email: which details are free to learn.
    lookup: LeadLookup,
    decision: LeadMatch,
    choice: LeadChoice,
    /// The matched lead as read (not a created one).
    lead: Option<Lead>,
}

/// A lead the booking link names wins; otherwise phone, then email, then (if the account
/// allows) a new lead. A tracked id naming no lead of this account is ignored: leads are only
/// ever read inside the account.
async fn choose_lead(
    store: &(impl Store + ?Sized),
    account: &Account,
    event: &BookingEvent,
    attendee: &Attendee,
) -> Result<Found, StoreError> {
    let id = &account.id;
    let lookup = store
        .find_leads(id, attendee.phone.as_ref(), attendee.email.as_ref())
        .await?;
    let tracked = account.links.tracked_lead(event);
    let tracked_lead = match &tracked {
        Some(lead) => store.get_lead(id, lead).await?,
        None => None,
    };
    let decision = match &tracked_lead {
        Some(lead) => LeadMatch::Matched {
            lead: lead.id.clone(),
            by: MatchedBy::TrackedId,
        },
        None => match_lead(
            attendee,
            lookup.by_phone.as_slice(),
            lookup.by_email.as_slice(),
        ),
    };
    let create =
        account.auto_create_leads && decision == LeadMatch::NoMatch(NoMatchReason::NotFound);
    let mut choice = match &tracked_lead {
        Some(_) if event.provider == Provider::Manual => LeadChoice::manual(),
        _ if create => LeadChoice::created(),
        _ => LeadChoice::of(&decision),
    };
    let carried = account
        .links
        .lead_field(event.provider)
        .and_then(|field| event.tracking.lead_ref(field));
    if carried.is_some() && tracked_lead.is_none() {
        choice
            .detail
            .push_str("; the lead id the booking link carried names no lead of this account");
    }
    let lead = match (tracked_lead, decision.lead()) {
        (Some(lead), _) => Some(lead),
        (None, Some(matched)) => store.get_lead(id, matched).await?,
        (None, None) => None,
    };
    let chosen = match decision.lead() {
        Some(lead) => Some(lead.clone()),
        None if create => Some(LeadId::generate()),
        None => None,
    };
    Ok(Found {
        chosen,
        lookup,
        decision,
        choice,
        lead,
    })
}

/// The event's attendee, with what is already stored about the subject filling the gaps (a
/// no-show event names nobody; the booking it is about did).
fn merged_attendee(event: &Attendee, stored: Option<&Appointment>) -> Attendee {
    let known = stored.map(Appointment::attendee).unwrap_or_default();
    Attendee {
        name: event.name.clone().or(known.name),
        email: event.email.clone().or(known.email),
        phone: event.phone.clone().or(known.phone),
    }
}

/// How the subject's lead was decided.
struct LeadPlan<'a> {
    /// A lead made for this event's attendee (not yet stored).
    created: Option<&'a LeadId>,
    learns_contact: bool,
    attendee: &'a Attendee,
    lookup: &'a LeadLookup,
    /// The matched lead, already read.
    matched: Option<Lead>,
}

/// The lead writes for a transition (with each lead as read, for its counter change), and the
/// lookups they claim: every lead an appointment of it belongs to takes in the appointment's new
/// state.
async fn leads_for(
    store: &(impl Store + ?Sized),
    account: &Account,
    transition: &Transition,
    plan: &LeadPlan<'_>,
    now: DateTime<Utc>,
) -> Result<(Vec<(Option<Lead>, LeadWrite)>, Vec<LookupClaim>), StoreError> {
    let mut leads: BTreeMap<LeadId, (Option<Lead>, Lead)> = BTreeMap::new();
    for write in &transition.writes {
        let Some(lead_id) = write.after.lead_id() else {
            continue;
        };
        if !leads.contains_key(lead_id) {
            let loaded = match &plan.matched {
                _ if plan.created == Some(lead_id) => None,
                Some(lead) if &lead.id == lead_id => Some(lead.clone()),
                _ => store.get_lead(&account.id, lead_id).await?,
            };
            let entry = match loaded {
                Some(lead) => (Some(lead.clone()), lead),
                None => (None, Lead::new(lead_id.clone(), LeadSource::Booking, now)),
            };
            leads.insert(lead_id.clone(), entry);
        }
        if let Some((_, lead)) = leads.get_mut(lead_id) {
            lead.record_booking(&write.after, &account.labels);
        }
    }

    let mut claims = Vec::new();
    let subject_lead = transition.subject.lead_id().filter(|_| plan.learns_contact);
    if let Some((_, lead)) = subject_lead.and_then(|l| leads.get_mut(l)) {
        let free = |owner: &Option<LeadId>| owner.as_ref().is_none_or(|o| o == &lead.id);
        let offer = Attendee {
            name: plan.attendee.name.clone(),
            phone: plan
                .attendee
                .phone
                .clone()
                .filter(|_| free(&plan.lookup.by_phone)),
            email: plan
                .attendee
                .email
                .clone()
                .filter(|_| free(&plan.lookup.by_email)),
        };
        let (phone, email) = lead.fill_contact(&offer);
        claims.extend(phone.map(|p| LookupClaim::Phone(p, lead.id.clone())));
        claims.extend(email.map(|e| LookupClaim::Email(e, lead.id.clone())));
    }

    let writes = leads
        .into_values()
        .map(|(before, mut lead)| {
            let before_revision = before.as_ref().map(|b| b.revision);
            lead.updated_at = now;
            lead.revision = before_revision.map_or(1, |r| r + 1);
            let write = LeadWrite {
                before_revision,
                after: lead,
            };
            (before, write)
        })
        .collect();
    Ok((writes, claims))
}

/// The subject's lead gets an entry when the subject itself changed.
fn timeline_entry(
    event: &BookingEvent,
    transition: &Transition,
) -> Option<(LeadId, TimelineEntry)> {
    // An event that changed nothing anyone sees (a provider's echo of an action) is not news.
    let subject_written = transition.outcome != Outcome::Unchanged
        && transition
            .writes
            .first()
            .is_some_and(|w| w.after.key() == &event.key);
    let subject = &transition.subject;
    let lead = subject.lead_id().filter(|_| subject_written)?;
    Some((
        lead.clone(),
        TimelineEntry {
            at: event.occurred_at,
            appointment_id: subject.id().clone(),
            provider: event.provider,
            kind: event.kind,
            trigger: event.trigger.clone(),
            status: subject.status(),
            start: subject.start(),
        },
    ))
}

fn with_outcome(mut delivery: Delivery, transition: &Transition) -> Delivery {
    delivery.outcome = Some(transition.outcome.as_str().to_owned());
    delivery.appointment_id = Some(transition.subject.id().clone());
    delivery
}
