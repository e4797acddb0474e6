//! What a reader of an appointment sees: its state without the occurrence times that only order
//! the registers' merges. An event that restates what is already known with a later stamp (the
//! provider's webhook after an action, a sync reading a booking whose `updatedAt` moved) still
//! writes its stamps, so later merges stay order-independent, but it changes nothing anyone sees:
//! its outcome is `unchanged`.

use super::{Appointment, Facts};
use crate::booking::register::Stamped;

fn value<T>(slot: &Option<Stamped<T>>) -> Option<&T> {
    slot.as_ref().map(|s| &s.value)
}

impl Appointment {
    /// Equal in everything but the revision, the history and the registers' stamps.
    pub fn looks_like(&self, other: &Appointment) -> bool {
        // Destructured in full, so a new field cannot be forgotten here.
        let Appointment {
            id,
            provider,
            key,
            status,
            booked_at,
            lead_id,
            lead_choice,
            attribution,
            revision: _,
            facts,
            history: _,
        } = self;
        *id == other.id
            && *provider == other.provider
            && *key == other.key
            && *status == other.status
            && *booked_at == other.booked_at
            && *lead_id == other.lead_id
            && *lead_choice == other.lead_choice
            && *attribution == other.attribution
            && facts.looks_like(&other.facts)
    }
}

impl Facts {
    fn looks_like(&self, other: &Facts) -> bool {
        let Facts {
            lifecycle,
            ended_at,
            no_show,
            rescheduled_away,
            predecessor,
            successor,
            start,
            end,
            name,
            email,
            phone,
            event_type,
            link_campaign,
            link_source,
            lead_attribution,
            own_booked_at,
            last_event: _,
        } = self;
        value(lifecycle) == value(&other.lifecycle)
            && *ended_at == other.ended_at
            && value(no_show) == value(&other.no_show)
            && *rescheduled_away == other.rescheduled_away
            && value(predecessor) == value(&other.predecessor)
            && value(successor) == value(&other.successor)
            && value(start) == value(&other.start)
            && value(end) == value(&other.end)
            && value(name) == value(&other.name)
            && value(email) == value(&other.email)
            && value(phone) == value(&other.phone)
            && value(event_type) == value(&other.event_type)
            && value(link_campaign) == value(&other.link_campaign)
            && value(link_source) == value(&other.link_source)
            && *lead_attribution == other.lead_attribution
            && *own_booked_at == other.own_booked_at
    }
}
