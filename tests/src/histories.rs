//! Generated booking histories: chains of bookings (Cal.com or Calendly style reschedules) with
//! their fates, as the events providers would send.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use shared::domain::{
    AppointmentStatus, Attendee, Attribution, BookingEvent, BookingKey, Email, EventKind, Provider,
    Tracking,
};

#[derive(Clone, Copy, Debug)]
pub enum Fate {
    Live,
    Cancelled,
    Rejected,
    Completed,
    NoShow,
    NoShowThenCleared,
}

#[derive(Clone, Debug)]
pub struct Chain {
    pub calendly: bool,
    pub requested_first: bool,
    pub reschedules: usize,
    pub fate: Fate,
    /// The campaign the first booking's link carried.
    pub campaign: Option<&'static str>,
    /// What the links of the rescheduled bookings carried (Cal.com drops metadata on
    /// reschedule; a Calendly link may carry another campaign).
    pub later_campaign: Option<&'static str>,
    /// The source every tracked booking carried.
    pub source: Option<&'static str>,
}

const CAMPAIGNS: [Option<&str>; 4] = [None, Some("spring"), Some("summer"), Some("referral|=x")];

impl Chain {
    /// The campaign and source a chain's tip is credited to: its first booking's, the later
    /// bookings' filling what it lacks.
    pub fn expected_attribution(&self) -> Attribution {
        let first = Attribution::new(self.campaign, self.source);
        let later = Attribution::new(self.later_campaign, self.later_campaign.and(self.source));
        if self.reschedules > 0 {
            first.or(&later)
        } else {
            first
        }
    }

    fn tracking(&self, booking: usize, provider: Provider, kind: EventKind) -> Tracking {
        let campaign = if booking == 0 {
            self.campaign
        } else {
            self.later_campaign
        };
        // Cal.com's no-show payloads carry no booking metadata.
        let silent = provider == Provider::Calcom
            && matches!(kind, EventKind::NoShowMarked | EventKind::NoShowCleared);
        if silent || campaign.is_none() && booking > 0 {
            return Tracking::default();
        }
        Tracking {
            attribution: Attribution::new(campaign, self.source),
            ..Tracking::default()
        }
    }
}

pub fn chain_strategy() -> impl Strategy<Value = Chain> {
    (
        any::<bool>(),
        any::<bool>(),
        0usize..=3,
        (0usize..4, 0usize..4, any::<bool>()),
        prop_oneof![
            Just(Fate::Live),
            Just(Fate::Cancelled),
            Just(Fate::Rejected),
            Just(Fate::Completed),
            Just(Fate::NoShow),
            Just(Fate::NoShowThenCleared),
        ],
    )
        .prop_map(
            |(calendly, requested_first, reschedules, (first, later, sourced), fate)| Chain {
                calendly,
                // Calendly has no pending bookings.
                requested_first: requested_first && !calendly,
                reschedules,
                fate,
                campaign: CAMPAIGNS[first],
                later_campaign: CAMPAIGNS[later],
                source: sourced.then_some("linkedin"),
            },
        )
}

/// A booking event with a 30-minute call a week after `occurred`, no attendee, no tracking: the
/// base scripted histories edit.
pub fn scripted_event(
    provider: Provider,
    key: &str,
    kind: EventKind,
    occurred: DateTime<Utc>,
) -> BookingEvent {
    BookingEvent {
        provider,
        kind,
        key: BookingKey::parse(key).unwrap(),
        predecessor: None,
        successor: None,
        start: Some(occurred + Duration::days(7)),
        end: Some(occurred + Duration::days(7) + Duration::minutes(30)),
        attendee: Attendee::default(),
        event_type: Some("discovery-call".into()),
        occurred_at: occurred,
        booked_at: matches!(
            kind,
            EventKind::Booked | EventKind::Requested | EventKind::Rescheduled
        )
        .then_some(occurred),
        trigger: kind.as_str().into(),
        tracking: Tracking::default(),
    }
}

pub fn key(chain: usize, booking: usize) -> BookingKey {
    BookingKey::parse(&format!("c{chain}-b{booking}")).unwrap()
}

/// The events a chain's history produces, in the order they happened.
pub fn history(index: usize, chain: &Chain) -> Vec<BookingEvent> {
    let provider = if chain.calendly {
        Provider::Calendly
    } else {
        Provider::Calcom
    };
    let base =
        Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap() + Duration::hours(7 * index as i64);
    let event = |kind: EventKind, booking: usize, at: DateTime<Utc>| BookingEvent {
        provider,
        kind,
        key: key(index, booking),
        predecessor: None,
        successor: None,
        start: Some(base + Duration::days(20) + Duration::hours(booking as i64)),
        end: Some(
            base + Duration::days(20) + Duration::hours(booking as i64) + Duration::minutes(30),
        ),
        attendee: Attendee {
            name: Some(format!("Lead {index}")),
            email: Email::parse_optional(&format!("lead{index}@example.com")),
            phone: None,
        },
        event_type: Some("discovery-call".into()),
        occurred_at: at,
        booked_at: matches!(
            kind,
            EventKind::Booked | EventKind::Requested | EventKind::Rescheduled
        )
        .then_some(at),
        trigger: kind.as_str().into(),
        tracking: chain.tracking(booking, provider, kind),
    };

    let mut out = Vec::new();
    // Only a request never rescheduled can be rejected; otherwise a "rejected" fate cancels.
    let rejected =
        matches!(chain.fate, Fate::Rejected) && chain.requested_first && chain.reschedules == 0;
    if chain.requested_first {
        out.push(event(EventKind::Requested, 0, base));
        let answer = if rejected {
            EventKind::Rejected
        } else {
            EventKind::Booked
        };
        out.push(BookingEvent {
            booked_at: None,
            ..event(answer, 0, base + Duration::hours(1))
        });
    } else {
        out.push(event(EventKind::Booked, 0, base));
    }
    for i in 1..=chain.reschedules {
        let at = base + Duration::days(i as i64);
        out.push(BookingEvent {
            predecessor: Some(key(index, i - 1)),
            booked_at: Some(at - Duration::seconds(1)),
            ..event(EventKind::Rescheduled, i, at)
        });
        if chain.calendly {
            out.push(BookingEvent {
                successor: Some(key(index, i)),
                booked_at: Some(if i == 1 {
                    base
                } else {
                    base + Duration::days(i as i64 - 1) - Duration::seconds(1)
                }),
                ..event(EventKind::RescheduledAway, i - 1, at)
            });
        }
    }
    let last = chain.reschedules;
    let end = base + Duration::days(10);
    let fate_event = |kind, at| BookingEvent {
        // Calendly repeats the reschedule link in every later payload of the new invitee.
        predecessor: (chain.calendly && last > 0).then(|| key(index, last - 1)),
        booked_at: None,
        ..event(kind, last, at)
    };
    match chain.fate {
        Fate::Live => {}
        Fate::Rejected if rejected => {}
        Fate::Cancelled | Fate::Rejected => out.push(fate_event(EventKind::Cancelled, end)),
        Fate::Completed => out.push(fate_event(EventKind::Completed, end)),
        Fate::NoShow => {
            out.push(fate_event(EventKind::Completed, end));
            out.push(fate_event(
                EventKind::NoShowMarked,
                end + Duration::hours(1),
            ));
        }
        Fate::NoShowThenCleared => {
            out.push(fate_event(
                EventKind::NoShowMarked,
                end + Duration::hours(1),
            ));
            out.push(fate_event(
                EventKind::NoShowCleared,
                end + Duration::hours(2),
            ));
        }
    }
    out
}

pub fn expected_tip_status(chain: &Chain) -> AppointmentStatus {
    use AppointmentStatus as S;
    let moved = chain.reschedules > 0;
    let live = if moved { S::Rescheduled } else { S::Booked };
    match chain.fate {
        Fate::Live | Fate::NoShowThenCleared => live,
        Fate::Rejected if chain.requested_first && !moved => S::Rejected,
        Fate::Cancelled | Fate::Rejected => S::Cancelled,
        Fate::Completed => S::Completed,
        Fate::NoShow => S::NoShow,
    }
}

/// Shuffled deliveries: each event one to three times, in an order given by sort keys.
pub fn deliveries(events: &[BookingEvent], copies: &[u8], order: &[u32]) -> Vec<BookingEvent> {
    let mut out: Vec<(u32, BookingEvent)> = Vec::new();
    let mut sort_keys = order.iter().cycle();
    for (event, copies) in events.iter().zip(copies.iter().cycle()) {
        for _ in 0..(1 + copies % 3) {
            out.push((*sort_keys.next().unwrap_or(&0), event.clone()));
        }
    }
    out.sort_by_key(|(k, _)| *k);
    out.into_iter().map(|(_, e)| e).collect()
}

/// Histories for `count` chains from a fixed seed, for tests outside proptest.
pub fn seeded_chains(seed: u64, count: usize) -> Vec<Chain> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    proptest::collection::vec(chain_strategy(), count)
        .new_tree(&mut runner)
        .map(|tree| tree.current())
        .unwrap_or_default()
}
