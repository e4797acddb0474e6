//! One appointment: what booking-tracker knows about one provider booking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod event;
mod visible;

use super::history::{self, HistoryEntry};
use super::register::{Stamped, earliest, last_writer_wins};
use crate::domain::{
    AppointmentId, AppointmentStatus, Attendee, Attribution, BookingEvent, BookingKey, Email,
    EventKind, LeadId, Phone, Provider,
};
use crate::matching::{LeadChoice, MatchMethod};

/// Where the booking stands in its own life, before reschedules and attendance are considered.
/// The order is the tie-break between events with the same occurrence time: the more final wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Lifecycle {
    Pending,
    Booked,
    Rejected,
    Cancelled,
}

/// An appointment. Its facts are merge registers (see `register`); `status` and `booked_at` are
/// derived from them and from the appointment's predecessor, and kept so stores can index them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    id: AppointmentId,
    provider: Provider,
    key: BookingKey,
    status: AppointmentStatus,
    booked_at: DateTime<Utc>,
    lead_id: Option<LeadId>,
    /// How the lead was chosen (or why none was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lead_choice: Option<LeadChoice>,
    /// The campaign and source the chain is credited to: its first booking's link, else that
    /// booking's lead's (SPEC §7). Counters are kept per campaign and source by this.
    #[serde(default, skip_serializing_if = "Attribution::is_empty")]
    attribution: Attribution,
    /// Counts the writes of this appointment; stores make each write conditional on it.
    revision: u64,
    facts: Facts,
    /// The events that changed it, oldest first (a log, not state: see `same_state_as`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    history: Vec<HistoryEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Facts {
    lifecycle: Option<Stamped<Lifecycle>>,
    ended_at: Option<DateTime<Utc>>,
    no_show: Option<Stamped<bool>>,
    rescheduled_away: bool,
    predecessor: Option<Stamped<BookingKey>>,
    successor: Option<Stamped<BookingKey>>,
    start: Option<Stamped<DateTime<Utc>>>,
    end: Option<Stamped<DateTime<Utc>>>,
    name: Option<Stamped<String>>,
    email: Option<Stamped<Email>>,
    phone: Option<Stamped<Phone>>,
    event_type: Option<Stamped<String>>,
    /// What the booking link carried.
    #[serde(default)]
    link_campaign: Option<Stamped<String>>,
    #[serde(default)]
    link_source: Option<Stamped<String>>,
    /// The lead's campaign and source when the lead was given to this booking.
    #[serde(default, skip_serializing_if = "Attribution::is_empty")]
    lead_attribution: Attribution,
    /// The earliest time this booking is known to have existed.
    own_booked_at: DateTime<Utc>,
    /// The trigger and time of the latest event applied.
    last_event: Stamped<String>,
}

/// How an event relates to an appointment it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role<'a> {
    /// The booking the event is about, with the event's links to other bookings (already
    /// cleaned of links to itself).
    Subject {
        predecessor: Option<&'a BookingKey>,
        successor: Option<&'a BookingKey>,
    },
    /// The booking the subject replaced.
    Predecessor,
    /// The booking that replaced the subject.
    Successor,
}

impl Appointment {
    /// An appointment that no event has touched yet; `absorb` fills it in.
    pub(crate) fn blank(provider: Provider, key: BookingKey, at: DateTime<Utc>) -> Self {
        Self {
            id: AppointmentId::for_booking(provider, &key),
            provider,
            key,
            status: AppointmentStatus::Booked,
            booked_at: at,
            lead_id: None,
            lead_choice: None,
            attribution: Attribution::default(),
            revision: 0,
            history: Vec::new(),
            facts: Facts {
                lifecycle: None,
                ended_at: None,
                no_show: None,
                rescheduled_away: false,
                predecessor: None,
                successor: None,
                start: None,
                end: None,
                name: None,
                email: None,
                phone: None,
                event_type: None,
                link_campaign: None,
                link_source: None,
                lead_attribution: Attribution::default(),
                own_booked_at: at,
                last_event: Stamped {
                    value: String::new(),
                    at,
                },
            },
        }
    }

    /// Merges what `event` says about this appointment, in the given role.
    pub(crate) fn absorb(&mut self, event: &BookingEvent, role: Role<'_>) {
        let at = event.occurred_at;
        let f = &mut self.facts;
        match role {
            Role::Subject {
                predecessor,
                successor,
            } => {
                let lifecycle = match event.kind {
                    EventKind::Requested => Some(Lifecycle::Pending),
                    EventKind::Booked | EventKind::Rescheduled => Some(Lifecycle::Booked),
                    EventKind::Cancelled => Some(Lifecycle::Cancelled),
                    EventKind::Rejected => Some(Lifecycle::Rejected),
                    _ => None,
                };
                last_writer_wins(&mut f.lifecycle, lifecycle.as_ref(), at);
                match event.kind {
                    EventKind::RescheduledAway => f.rescheduled_away = true,
                    EventKind::Completed => earliest(&mut f.ended_at, at),
                    EventKind::NoShowMarked => last_writer_wins(&mut f.no_show, Some(&true), at),
                    EventKind::NoShowCleared => last_writer_wins(&mut f.no_show, Some(&false), at),
                    _ => {}
                }
                last_writer_wins(&mut f.predecessor, predecessor, at);
                last_writer_wins(&mut f.successor, successor, at);
                last_writer_wins(&mut f.start, event.start.as_ref(), at);
                last_writer_wins(&mut f.end, event.end.as_ref(), at);
                last_writer_wins(&mut f.name, event.attendee.name.as_ref(), at);
                last_writer_wins(&mut f.email, event.attendee.email.as_ref(), at);
                last_writer_wins(&mut f.phone, event.attendee.phone.as_ref(), at);
                last_writer_wins(&mut f.event_type, event.event_type.as_ref(), at);
                let link = &event.tracking.attribution;
                last_writer_wins(&mut f.link_campaign, link.campaign.as_ref(), at);
                last_writer_wins(&mut f.link_source, link.source.as_ref(), at);
                f.own_booked_at = f.own_booked_at.min(event.booked_at.unwrap_or(at));
            }
            Role::Predecessor => {
                last_writer_wins(&mut f.successor, Some(&event.key), at);
                f.own_booked_at = f.own_booked_at.min(at);
            }
            Role::Successor => {
                last_writer_wins(&mut f.predecessor, Some(&event.key), at);
                f.own_booked_at = f.own_booked_at.min(at);
            }
        }
        let last = &f.last_event;
        if (at, &event.trigger) > (last.at, &last.value) {
            f.last_event = Stamped {
                value: event.trigger.clone(),
                at,
            };
        }
    }

    /// Recomputes the derived fields. `previous` is the appointment before this one in its chain,
    /// when it is at hand.
    pub(crate) fn settle(&mut self, previous: Option<&Appointment>) {
        let linked = previous.filter(|p| self.predecessor() == Some(&p.key));
        self.booked_at = match (linked, self.predecessor()) {
            (Some(p), _) => self.facts.own_booked_at.min(p.booked_at),
            (None, None) => self.facts.own_booked_at,
            // The predecessor is not at hand and did not change: it can only have lowered the
            // chain's time, which is already in `booked_at`.
            (None, Some(_)) => self.booked_at.min(self.facts.own_booked_at),
        };
        if self.lead_id.is_none()
            && let Some(lead) = linked.and_then(|p| p.lead_id.clone())
        {
            self.lead_id = Some(lead);
            self.lead_choice = Some(LeadChoice::inherited());
        }
        // A chain keeps its first booking's campaign; what this booking carried, then its
        // lead's, fill what the chain lacks.
        let own = self.own_attribution();
        self.attribution = match (linked, self.predecessor()) {
            (Some(p), _) => p.attribution.or(&own),
            (None, None) => own,
            // As for `booked_at`: the predecessor is not at hand and did not change, so what
            // it gave is already in `attribution`.
            (None, Some(_)) => self.attribution.or(&own),
        };
        self.status = self.derive_status();
    }

    /// What this booking's link carried, else its lead's campaign and source.
    fn own_attribution(&self) -> Attribution {
        let f = &self.facts;
        let link = Attribution {
            campaign: f.link_campaign.as_ref().map(|s| s.value.clone()),
            source: f.link_source.as_ref().map(|s| s.value.clone()),
        };
        link.or(&f.lead_attribution)
    }

    fn derive_status(&self) -> AppointmentStatus {
        let f = &self.facts;
        if f.successor.is_some() || f.rescheduled_away {
            return AppointmentStatus::Superseded;
        }
        match f.lifecycle.as_ref().map(|l| l.value) {
            Some(Lifecycle::Cancelled) => AppointmentStatus::Cancelled,
            Some(Lifecycle::Rejected) => AppointmentStatus::Rejected,
            Some(Lifecycle::Pending) => AppointmentStatus::Pending,
            Some(Lifecycle::Booked) | None => {
                if f.no_show.as_ref().is_some_and(|n| n.value) {
                    AppointmentStatus::NoShow
                } else if f.ended_at.is_some() {
                    AppointmentStatus::Completed
                } else if f.predecessor.is_some() {
                    AppointmentStatus::Rescheduled
                } else {
                    AppointmentStatus::Booked
                }
            }
        }
    }

    /// Gives the appointment the lead chosen for it, unless it has one. `choice` says how it
    /// was chosen (or why none was); `attribution` is the chosen lead's campaign and source.
    pub(crate) fn assign_lead_if_unmatched(
        &mut self,
        lead: Option<&LeadId>,
        choice: Option<&LeadChoice>,
        attribution: &Attribution,
    ) {
        if self.lead_id.is_some() {
            return;
        }
        self.lead_id = lead.cloned();
        if let Some(choice) = choice {
            self.lead_choice = Some(choice.clone());
        }
        if lead.is_some() {
            self.facts.lead_attribution = attribution.clone();
        }
    }

    pub(crate) fn bump_revision(&mut self, previous: u64) {
        self.revision = previous + 1;
    }

    /// Equal in everything but the revision counter and the history (which records how the
    /// state was reached, and so differs between delivery orders).
    pub fn same_state_as(&self, other: &Appointment) -> bool {
        Appointment {
            revision: other.revision,
            history: other.history.clone(),
            ..self.clone()
        } == *other
    }

    /// The events that changed this appointment, oldest first (the last [`MAX_HISTORY`]).
    ///
    /// [`MAX_HISTORY`]: super::MAX_HISTORY
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    pub(crate) fn record_history(&mut self, entry: HistoryEntry) {
        history::record(&mut self.history, entry);
    }

    pub fn id(&self) -> &AppointmentId {
        &self.id
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn key(&self) -> &BookingKey {
        &self.key
    }

    pub fn status(&self) -> AppointmentStatus {
        self.status
    }

    /// When the lead first booked: the earliest booking time of this appointment's chain.
    pub fn booked_at(&self) -> DateTime<Utc> {
        self.booked_at
    }

    pub fn lead_id(&self) -> Option<&LeadId> {
        self.lead_id.as_ref()
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// How the lead was chosen, when a lead was looked for.
    pub fn lead_choice(&self) -> Option<&LeadChoice> {
        self.lead_choice.as_ref()
    }

    /// How the lead was chosen: [`MatchMethod::None`] when the appointment has none.
    pub fn matched_by(&self) -> MatchMethod {
        match (&self.lead_choice, &self.lead_id) {
            (Some(choice), _) => choice.method,
            (None, Some(_)) => MatchMethod::Inherited,
            (None, None) => MatchMethod::None,
        }
    }

    /// The campaign and source the appointment's chain is credited to.
    pub fn attribution(&self) -> &Attribution {
        &self.attribution
    }

    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.facts.start.as_ref().map(|s| s.value)
    }

    pub fn end(&self) -> Option<DateTime<Utc>> {
        self.facts.end.as_ref().map(|s| s.value)
    }

    pub fn attendee(&self) -> Attendee {
        let f = &self.facts;
        Attendee {
            name: f.name.as_ref().map(|s| s.value.clone()),
            email: f.email.as_ref().map(|s| s.value.clone()),
            phone: f.phone.as_ref().map(|s| s.value.clone()),
        }
    }

    pub fn event_type(&self) -> Option<&str> {
        self.facts.event_type.as_ref().map(|s| s.value.as_str())
    }

    pub fn predecessor(&self) -> Option<&BookingKey> {
        self.facts.predecessor.as_ref().map(|s| &s.value)
    }

    pub fn successor(&self) -> Option<&BookingKey> {
        self.facts.successor.as_ref().map(|s| &s.value)
    }

    /// When the meeting ended, if a provider said so.
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.facts.ended_at
    }

    /// The occurrence time of the latest event applied.
    pub fn last_event_at(&self) -> DateTime<Utc> {
        self.facts.last_event.at
    }

    /// The provider trigger of the latest event applied.
    pub fn last_trigger(&self) -> &str {
        &self.facts.last_event.value
    }

    /// Not replaced by a later appointment: the one that speaks for its chain in the counts.
    pub fn is_chain_tip(&self) -> bool {
        self.status != AppointmentStatus::Superseded
    }
}
