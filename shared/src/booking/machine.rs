//! The booking state machine: (stored appointments, event) -> (new appointments, counter deltas).
//!
//! An event can change up to three kinds of appointment: its subject, the predecessor it names
//! (which becomes superseded) and the successor it names (which inherits the chain's
//! `bookedAt`); a change of `bookedAt` then flows down the rest of the chain. The caller reads
//! those appointments with a [`NeighbourhoodLoader`], calls [`apply`], and writes every
//! [`Write`] and the counter deltas in one atomic operation.

use chrono_tz::Tz;

use super::appointment::{Appointment, Role};
use super::counters::CounterDelta;
use super::history::{EventSource, HistoryEntry};
use crate::domain::{Attribution, BookingEvent, BookingKey, LeadId};
use crate::matching::LeadChoice;

/// Longest reschedule chain followed. Real chains are a handful long; the bound stops a cycle of
/// links (which only a forged or broken payload could make) from looping.
pub const MAX_CHAIN: usize = 32;

/// The stored appointments an event can touch.
#[derive(Clone, Debug, Default)]
pub struct Neighbourhood {
    pub subject: Option<Appointment>,
    /// The subject's predecessor: named by the event, or already linked from the subject.
    pub predecessor: Option<Appointment>,
    /// The chain after the subject, in order.
    pub successors: Vec<Appointment>,
}

/// Says which appointments to read for an event, one at a time, so that sync and async stores
/// share one reading order:
///
/// ```
/// # use std::collections::HashMap;
/// # use shared::booking::{Appointment, NeighbourhoodLoader};
/// # use shared::domain::{BookingEvent, BookingKey};
/// fn neighbourhood_of(event: &BookingEvent, stored: &HashMap<BookingKey, Appointment>) {
///     let mut loader = NeighbourhoodLoader::new(event);
///     while let Some(key) = loader.next_key() {
///         loader.supply(stored.get(&key).cloned()); // an async store awaits its read here
///     }
///     let _neighbourhood = loader.finish();
/// }
/// ```
#[derive(Debug)]
pub struct NeighbourhoodLoader<'e> {
    event: &'e BookingEvent,
    stage: Stage,
    hood: Neighbourhood,
    seen: Vec<BookingKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Subject,
    Predecessor(BookingKey),
    Successor(BookingKey),
    Done,
}

impl<'e> NeighbourhoodLoader<'e> {
    pub fn new(event: &'e BookingEvent) -> Self {
        Self {
            event,
            stage: Stage::Subject,
            hood: Neighbourhood::default(),
            seen: vec![event.key.clone()],
        }
    }

    /// The key of the next appointment to read, or `None` when all are read.
    pub fn next_key(&self) -> Option<BookingKey> {
        match &self.stage {
            Stage::Subject => Some(self.event.key.clone()),
            Stage::Predecessor(key) | Stage::Successor(key) => Some(key.clone()),
            Stage::Done => None,
        }
    }

    /// Hands over what the store found for the key from [`Self::next_key`].
    pub fn supply(&mut self, found: Option<Appointment>) {
        let stage = std::mem::replace(&mut self.stage, Stage::Done);
        match stage {
            Stage::Subject => {
                self.hood.subject = found;
                let stored = self.hood.subject.as_ref();
                let predecessor = linked_key(self.event.predecessor.as_ref(), &self.event.key)
                    .or_else(|| stored.and_then(Appointment::predecessor).cloned());
                self.stage = match predecessor {
                    Some(key) => {
                        self.seen.push(key.clone());
                        Stage::Predecessor(key)
                    }
                    None => self.first_successor_stage(),
                };
            }
            Stage::Predecessor(_) => {
                self.hood.predecessor = found;
                self.stage = self.first_successor_stage();
            }
            Stage::Successor(_) => {
                let next = found.as_ref().and_then(Appointment::successor).cloned();
                if let Some(appointment) = found {
                    self.hood.successors.push(appointment);
                    self.stage = self.successor_stage(next);
                }
            }
            Stage::Done => {}
        }
    }

    pub fn finish(self) -> Neighbourhood {
        self.hood
    }

    fn first_successor_stage(&mut self) -> Stage {
        let stored = self.hood.subject.as_ref().and_then(Appointment::successor);
        let key = linked_key(self.event.successor.as_ref(), &self.event.key).or(stored.cloned());
        self.successor_stage(key)
    }

    fn successor_stage(&mut self, key: Option<BookingKey>) -> Stage {
        match key {
            Some(key) if !self.seen.contains(&key) && self.hood.successors.len() < MAX_CHAIN => {
                self.seen.push(key.clone());
                Stage::Successor(key)
            }
            _ => Stage::Done,
        }
    }
}

/// A link the event names, unless it points at the event's own booking.
fn linked_key(link: Option<&BookingKey>, own: &BookingKey) -> Option<BookingKey> {
    link.filter(|k| *k != own).cloned()
}

/// What applying an event did to its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The subject was not stored before.
    Created,
    /// Something stored changed.
    Updated,
    /// The event was already known: nothing anyone sees changes (its stamps may still be
    /// written, see `Appointment::looks_like`).
    Unchanged,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// One appointment to write: the state read (`None` if new) and the state to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub before: Option<Appointment>,
    pub after: Appointment,
}

/// The result of applying one event.
#[derive(Clone, Debug)]
pub struct Transition {
    pub outcome: Outcome,
    /// The subject's new state (written or not).
    pub subject: Appointment,
    /// Appointments that changed, subject first. Empty when the event was already known; only
    /// stamps move when `outcome` is `Unchanged` and this is not empty.
    pub writes: Vec<Write>,
    /// Per-day counter changes, in the account's time zone.
    pub counters: CounterDelta,
}

/// Facts from outside the event that the transition needs.
#[derive(Clone, Debug)]
pub struct ApplyContext {
    /// The account's time zone: counters are per local day.
    pub time_zone: Tz,
    /// The lead matched for the attendee, given to the subject if it has none yet.
    pub lead: Option<LeadId>,
    /// How `lead` was chosen (or why there is none), recorded with it.
    pub lead_choice: Option<LeadChoice>,
    /// The chosen lead's campaign and source: the subject's, if its link carried none.
    pub lead_attribution: Attribution,
}

/// Applies `event` to the appointments it touches. Pure: no clock, no I/O.
pub fn apply(event: &BookingEvent, hood: Neighbourhood, ctx: &ApplyContext) -> Transition {
    let named_predecessor = linked_key(event.predecessor.as_ref(), &event.key);
    let named_successor = linked_key(event.successor.as_ref(), &event.key)
        .filter(|k| Some(k) != named_predecessor.as_ref());

    // The chain in order, [predecessor] subject [successors], each as (state read, new state).
    let mut chain: Vec<(Option<Appointment>, Appointment)> = Vec::new();

    match (&named_predecessor, hood.predecessor) {
        (Some(key), stored) => chain.push(touched(event, key, stored, Role::Predecessor)),
        (None, Some(stored)) => chain.push((Some(stored.clone()), stored)),
        (None, None) => {}
    }
    let subject_index = chain.len();
    let role = Role::Subject {
        predecessor: named_predecessor.as_ref(),
        successor: named_successor.as_ref(),
    };
    let (before, mut subject) = touched(event, &event.key, hood.subject, role);
    subject.assign_lead_if_unmatched(
        ctx.lead.as_ref(),
        ctx.lead_choice.as_ref(),
        &ctx.lead_attribution,
    );
    chain.push((before, subject));

    let mut successors = hood.successors.into_iter().peekable();
    if let Some(key) = &named_successor {
        let stored = successors.next_if(|s| s.key() == key);
        chain.push(touched(event, key, stored, Role::Successor));
    }
    chain.extend(successors.map(|s| (Some(s.clone()), s)));

    // Derived fields flow down the chain: each appointment settles against the one before it.
    for i in 0..chain.len() {
        let (head, tail) = chain.split_at_mut(i);
        tail[0].1.settle(head.last().map(|(_, after)| after));
    }

    let mut subject = chain[subject_index].1.clone();
    let mut writes = Vec::new();
    let mut counters = CounterDelta::default();
    for (index, (before, mut after)) in chain.into_iter().enumerate() {
        if before.as_ref().is_some_and(|b| b.same_state_as(&after)) {
            continue;
        }
        after.bump_revision(before.as_ref().map_or(0, Appointment::revision));
        counters.record_change(before.as_ref(), &after, ctx.time_zone);
        if index == subject_index {
            subject = after.clone();
            writes.insert(0, Write { before, after });
        } else {
            writes.push(Write { before, after });
        }
    }

    // Writes that only move the registers' stamps are still made (later merges depend on
    // them), but nothing anyone sees changed: the event is `unchanged`.
    let subject_written = writes.first().filter(|w| w.after.key() == &event.key);
    let seen_change = writes
        .iter()
        .any(|w| w.before.as_ref().is_none_or(|b| !b.looks_like(&w.after)));
    let outcome = match subject_written {
        Some(w) if w.before.is_none() => Outcome::Created,
        _ if !seen_change => Outcome::Unchanged,
        _ => Outcome::Updated,
    };
    if let Some(write) = writes.first_mut().filter(|w| w.after.key() == &event.key) {
        let entry = HistoryEntry {
            at: event.occurred_at,
            source: EventSource::of(event),
            trigger: event.trigger.clone(),
            outcome: outcome.as_str().to_owned(),
        };
        write.after.record_history(entry);
        subject = write.after.clone();
    }
    Transition {
        outcome,
        subject,
        writes,
        counters,
    }
}

/// The appointment for `key` as read, and as changed by `event` in `role`.
fn touched(
    event: &BookingEvent,
    key: &BookingKey,
    stored: Option<Appointment>,
    role: Role<'_>,
) -> (Option<Appointment>, Appointment) {
    let mut after = stored
        .clone()
        .unwrap_or_else(|| Appointment::blank(event.provider, key.clone(), event.occurred_at));
    after.absorb(event, role);
    (stored, after)
}
