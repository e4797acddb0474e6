//! Whether an action applies to an appointment as booking-tracker knows it: pure, so the same
//! rules answer the API, the CLI, the sheet and a dry run, before any provider is called.

use chrono::{DateTime, Utc};

use super::{Action, ActionError};
use crate::booking::Appointment;
use crate::domain::{AppointmentId, AppointmentStatus as S, Provider};

/// What the local state says to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Decision {
    /// Ask the provider (or, for a manual appointment, apply it here).
    Proceed,
    /// Already in the target state here: nothing is sent.
    Already(String),
}

pub(super) fn decide(
    appointment: &Appointment,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<Decision, ActionError> {
    let status = appointment.status();
    let refuse = |why: String| Err(ActionError::NotActionable(why));
    if status == S::Superseded {
        let next = appointment
            .successor()
            .map(|key| AppointmentId::for_booking(appointment.provider(), key).to_string())
            .unwrap_or_else(|| "its new booking".to_owned());
        return refuse(format!(
            "this booking was rescheduled; act on the booking that replaced it ({next})"
        ));
    }
    match action {
        Action::Cancel { .. } => match status {
            S::Cancelled | S::Rejected => Ok(Decision::Already(format!(
                "already {}: nothing to cancel",
                status.as_str()
            ))),
            S::Booked | S::Rescheduled | S::Pending => Ok(Decision::Proceed),
            _ => refuse(format!(
                "the call is over ({}): there is nothing left to cancel",
                status.as_str()
            )),
        },
        Action::NoShow { undo: false } => match status {
            S::NoShow => Ok(Decision::Already("already marked a no-show".to_owned())),
            S::Booked | S::Rescheduled | S::Completed => match appointment.start() {
                Some(start) if start > now => refuse(format!(
                    "the call starts at {}: a no-show can be marked once it has started",
                    start.format("%Y-%m-%d %H:%M UTC")
                )),
                _ => Ok(Decision::Proceed),
            },
            S::Pending => {
                refuse("the booking was never confirmed: there was no call to miss".into())
            }
            _ => refuse(format!(
                "the booking is {}: there was no call to miss",
                status.as_str()
            )),
        },
        Action::NoShow { undo: true } => match status {
            S::NoShow => Ok(Decision::Proceed),
            _ => Ok(Decision::Already(
                "not marked a no-show: nothing to undo".to_owned(),
            )),
        },
    }
}

/// Whether booking-tracker can act on this provider's bookings: manual ones are local.
pub(super) fn at_provider(provider: Provider) -> bool {
    provider != Provider::Manual
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::{ApplyContext, Neighbourhood, apply};
    use crate::domain::{Attendee, BookingEvent, BookingKey, EventKind, Tracking};
    use chrono::{Duration, TimeZone};

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap() + Duration::hours(hours)
    }

    fn appointment(kinds: &[EventKind], start: DateTime<Utc>) -> Appointment {
        let mut stored: Option<Appointment> = None;
        for (i, kind) in kinds.iter().enumerate() {
            let event = BookingEvent {
                provider: Provider::Calcom,
                kind: *kind,
                key: BookingKey::parse("uid-1").unwrap(),
                predecessor: None,
                successor: (*kind == EventKind::RescheduledAway)
                    .then(|| BookingKey::parse("uid-2").unwrap()),
                start: Some(start),
                end: Some(start + Duration::minutes(30)),
                attendee: Attendee::default(),
                event_type: None,
                occurred_at: at(-48) + Duration::minutes(i as i64),
                booked_at: None,
                trigger: "test".into(),
                tracking: Tracking::default(),
            };
            let hood = Neighbourhood {
                subject: stored.take(),
                ..Neighbourhood::default()
            };
            let ctx = ApplyContext {
                time_zone: chrono_tz::UTC,
                lead: None,
                lead_choice: None,
                lead_attribution: Default::default(),
            };
            stored = Some(apply(&event, hood, &ctx).subject);
        }
        stored.unwrap()
    }

    const CANCEL: Action = Action::Cancel { reason: None };
    const MARK: Action = Action::NoShow { undo: false };
    const UNDO: Action = Action::NoShow { undo: true };

    #[test]
    fn each_action_applies_to_the_statuses_it_can_change() {
        use EventKind::*;
        let booked = appointment(&[Booked], at(24));
        assert_eq!(decide(&booked, &CANCEL, at(0)).unwrap(), Decision::Proceed);
        assert!(matches!(
            decide(&booked, &UNDO, at(0)),
            Ok(Decision::Already(_))
        ));
        // A no-show before the call started is refused without asking anyone.
        assert!(matches!(
            decide(&booked, &MARK, at(0)),
            Err(ActionError::NotActionable(_))
        ));
        assert_eq!(decide(&booked, &MARK, at(25)).unwrap(), Decision::Proceed);

        let cancelled = appointment(&[Booked, Cancelled], at(24));
        assert!(matches!(
            decide(&cancelled, &CANCEL, at(0)),
            Ok(Decision::Already(_))
        ));
        assert!(matches!(
            decide(&cancelled, &MARK, at(30)),
            Err(ActionError::NotActionable(_))
        ));

        let missed = appointment(&[Booked, NoShowMarked], at(-24));
        assert!(matches!(
            decide(&missed, &MARK, at(0)),
            Ok(Decision::Already(_))
        ));
        assert_eq!(decide(&missed, &UNDO, at(0)).unwrap(), Decision::Proceed);
        assert!(matches!(
            decide(&missed, &CANCEL, at(0)),
            Err(ActionError::NotActionable(_))
        ));

        let moved = appointment(&[Booked, RescheduledAway], at(24));
        let refused = decide(&moved, &CANCEL, at(0)).unwrap_err().to_string();
        assert!(refused.contains("rescheduled"), "{refused}");
    }
}
