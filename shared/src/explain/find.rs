//! The appointments a question names, each with the rest of its reschedule chain.
//!
//! Indexes answer first: a booking uid gives the appointment id directly (for each provider),
//! an email or phone gives the lead that owns it and the lead its appointments. When they find
//! nothing, one listing of the account's appointments is searched (the attendee's own details, a
//! Calendly event or invitee UUID), up to [`SCAN_LIMIT`] appointments.

use std::collections::BTreeSet;

use crate::accounts::Account;
use crate::booking::Appointment;
use crate::domain::{AppointmentId, BookingKey, Email, LeadId, Phone, Provider};
use crate::store::{Store, StoreError};

/// The most appointments searched when no index answers.
pub(super) const SCAN_LIMIT: usize = 20_000;

/// The longest reschedule chain followed.
const MAX_CHAIN: usize = 25;

/// What was asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExplainQuery {
    /// A provider's booking id: Cal.com's `uid`, Calendly's invitee URI (or its event's or
    /// invitee's UUID).
    Booking(String),
    Email(Email),
    Phone(Phone),
    Appointment(AppointmentId),
}

/// Why a question cannot be asked: a sentence for the `invalid_query` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

impl ExplainQuery {
    /// Exactly one of the four, read the way the rest of the product reads them (phones in the
    /// account's region).
    pub fn parse(
        account: &Account,
        booking: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
        appointment: Option<&str>,
    ) -> Result<Self, QueryError> {
        let given: Vec<(&str, &str)> = [
            ("booking", booking),
            ("email", email),
            ("phone", phone),
            ("appointment", appointment),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?.trim())).filter(|(_, v)| !v.is_empty()))
        .collect();
        let [(name, value)] = given[..] else {
            return Err(QueryError(
                "give exactly one of booking, email, phone or appointment".into(),
            ));
        };
        let bad = |why: String| QueryError(format!("{name} {value:?} {why}"));
        match name {
            "booking" => BookingKey::parse(value)
                .map(|key| ExplainQuery::Booking(key.as_str().to_owned()))
                .map_err(|e| bad(e.to_string())),
            "email" => Email::parse(value)
                .map(ExplainQuery::Email)
                .map_err(|e| bad(e.to_string())),
            "phone" => Phone::parse(value, account.phone_region)
                .map(ExplainQuery::Phone)
                .map_err(|e| bad(e.to_string())),
            _ => AppointmentId::parse(value)
                .map(ExplainQuery::Appointment)
                .ok_or_else(|| bad("is not an appointment id (apt_ and 24 hex digits)".into())),
        }
    }

    pub(super) fn view(&self) -> super::QueryView {
        let (by, value) = match self {
            ExplainQuery::Booking(uid) => ("booking", uid.clone()),
            ExplainQuery::Email(email) => ("email", email.to_string()),
            ExplainQuery::Phone(phone) => ("phone", phone.to_string()),
            ExplainQuery::Appointment(id) => ("appointment", id.to_string()),
        };
        super::QueryView { by, value }
    }

    /// The attendee detail an appointment must carry to answer this question by a listing.
    fn matches(&self, appointment: &Appointment) -> bool {
        let attendee = appointment.attendee();
        match self {
            ExplainQuery::Email(email) => attendee.email.as_ref() == Some(email),
            ExplainQuery::Phone(phone) => attendee.phone.as_ref() == Some(phone),
            ExplainQuery::Booking(uid) => {
                let key = appointment.key().as_str();
                key.ends_with(&format!("/invitees/{uid}"))
                    || key.contains(&format!("/scheduled_events/{uid}/"))
            }
            ExplainQuery::Appointment(_) => false,
        }
    }
}

/// What the store holds about a question.
#[derive(Clone, Debug, Default)]
pub(super) struct Found {
    /// Chains in the order found, each oldest first.
    pub appointments: Vec<Appointment>,
    /// The lead owning the email or phone asked about, whether or not it has bookings.
    pub lead: Option<LeadId>,
    /// A listing was searched, and it stopped at [`SCAN_LIMIT`] appointments.
    pub scan_truncated: bool,
}

pub(super) async fn find(
    store: &(impl Store + ?Sized),
    account: &Account,
    query: &ExplainQuery,
) -> Result<Found, StoreError> {
    let id = &account.id;
    let mut found = Found::default();
    let mut direct: Vec<Appointment> = Vec::new();
    match query {
        ExplainQuery::Appointment(apt) => direct.extend(store.get_appointment(id, apt).await?),
        ExplainQuery::Booking(uid) => {
            if let Ok(key) = BookingKey::parse(uid) {
                for provider in Provider::ALL {
                    let apt = AppointmentId::for_booking(provider, &key);
                    direct.extend(store.get_appointment(id, &apt).await?);
                }
            }
        }
        ExplainQuery::Email(email) => {
            found.lead = store.find_leads(id, None, Some(email)).await?.by_email;
        }
        ExplainQuery::Phone(phone) => {
            found.lead = store.find_leads(id, Some(phone), None).await?.by_phone;
        }
    }
    if let Some(lead) = &found.lead {
        direct.extend(store.appointments_of_lead(id, lead).await?);
    }
    if direct.is_empty() && !matches!(query, ExplainQuery::Appointment(_)) {
        let (matching, truncated) = scan(store, account, query).await?;
        direct = matching;
        found.scan_truncated = truncated;
    }
    let mut seen = BTreeSet::new();
    for appointment in direct {
        if seen.contains(appointment.id()) {
            continue;
        }
        for member in chain(store, account, appointment).await? {
            if seen.insert(member.id().clone()) {
                found.appointments.push(member);
            }
        }
    }
    Ok(found)
}

/// The account's appointments matching the question, from one listing.
async fn scan(
    store: &(impl Store + ?Sized),
    account: &Account,
    query: &ExplainQuery,
) -> Result<(Vec<Appointment>, bool), StoreError> {
    let mut matching = Vec::new();
    let mut after: Option<String> = None;
    let mut searched = 0;
    loop {
        let page = store
            .list_appointments(&account.id, after.as_deref(), 1000)
            .await?;
        searched += page.items.len();
        matching.extend(page.items.into_iter().filter(|a| query.matches(a)));
        match page.next {
            Some(next) if searched < SCAN_LIMIT => after = Some(next),
            Some(_) => return Ok((matching, true)),
            None => return Ok((matching, false)),
        }
    }
}

/// `appointment`'s whole chain, oldest first: predecessors, then it, then successors.
async fn chain(
    store: &(impl Store + ?Sized),
    account: &Account,
    appointment: Appointment,
) -> Result<Vec<Appointment>, StoreError> {
    let mut chain = walk(store, account, &appointment, Appointment::predecessor).await?;
    chain.reverse();
    let after = walk(store, account, &appointment, Appointment::successor).await?;
    chain.push(appointment);
    chain.extend(after);
    Ok(chain)
}

/// The appointments reached from `from` by following `next` (a predecessor or successor link),
/// nearest first, at most [`MAX_CHAIN`].
async fn walk(
    store: &(impl Store + ?Sized),
    account: &Account,
    from: &Appointment,
    next: fn(&Appointment) -> Option<&BookingKey>,
) -> Result<Vec<Appointment>, StoreError> {
    let mut found: Vec<Appointment> = Vec::new();
    let mut cursor = next(from).cloned();
    while let Some(key) = cursor.take().filter(|_| found.len() < MAX_CHAIN) {
        let id = AppointmentId::for_booking(from.provider(), &key);
        if let Some(linked) = store.get_appointment(&account.id, &id).await? {
            cursor = next(&linked).cloned();
            found.push(linked);
        }
    }
    Ok(found)
}
