//! An explanation as a short story, for `booking-tracker explain` without `--json`. Times are
//! the account's local times.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::view::ExplainedAppointment;
use super::{Explanation, ReasonCode};
use crate::domain::AppointmentStatus;

/// The explanation as lines of text.
pub fn story(explanation: &Explanation) -> String {
    let tz: Tz = explanation.timezone.parse().unwrap_or(Tz::UTC);
    let mut out = String::new();
    let asked = format!("{} {}", explanation.query.by, explanation.query.value);
    if !explanation.found {
        let _ = writeln!(
            out,
            "Nothing found for {asked} in account {}.",
            explanation.account_id
        );
    }
    for (i, apt) in explanation.appointments.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        appointment(&mut out, apt, tz);
    }
    let counted_elsewhere =
        |code: ReasonCode| explanation.found && code == ReasonCode::OutsideRange;
    if !explanation.reasons.is_empty() {
        let heading = match explanation.found {
            true => "\nWhy it may not show where you looked:",
            false => "Likely causes, most likely first:",
        };
        let _ = writeln!(out, "{heading}");
        for (i, r) in explanation.reasons.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, r.detail);
            if counted_elsewhere(r.code) {
                let _ = writeln!(
                    out,
                    "     (metrics count a booking on the day it was made, so a call booked long ago counts long ago)"
                );
            }
        }
    }
    out
}

fn appointment(out: &mut String, apt: &ExplainedAppointment, tz: Tz) {
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&tz)
            .format("%a %-d %b %Y %H:%M")
            .to_string()
    };
    let _ = writeln!(
        out,
        "Booking {} ({}), appointment {}:",
        apt.booking_key,
        apt.provider.display_name(),
        apt.appointment_id
    );
    let who = apt
        .attendee_name
        .as_deref()
        .unwrap_or("an attendee without a name");
    let what = apt.event_type.as_deref().unwrap_or("a call");
    let when = apt.scheduled_at.map_or_else(
        || "at a time not known".to_owned(),
        |t| format!("on {}", local(t)),
    );
    let _ = writeln!(
        out,
        "  Now {}: {what} with {who} {when} ({tz}).",
        status_words(apt.status)
    );
    if let Some(from) = &apt.rescheduled_from {
        let _ = writeln!(out, "  It replaced {from} (a reschedule).");
    }
    if apt.counts.is_empty() {
        let by = apt
            .rescheduled_to
            .as_ref()
            .map_or_else(|| "a later appointment".to_owned(), ToString::to_string);
        let _ = writeln!(
            out,
            "  It counts nowhere itself: its chain counts once, by {by}."
        );
    } else {
        let _ = writeln!(
            out,
            "  Counted on {}, the day it was first booked ({} {tz}), in {}.",
            apt.counted_on,
            local(apt.booked_at),
            apt.counts.join(", ")
        );
        let flags = apt.in_ranges;
        let inside = match flags.shortest() {
            Some("7d") => "inside 7d, 30d and 90d".to_owned(),
            Some("30d") => "outside 7d, inside 30d and 90d".to_owned(),
            Some(_) => "outside 7d and 30d, inside 90d".to_owned(),
            None => format!(
                "outside 7d, 30d and 90d: only range=all or from={day}&to={day} shows it",
                day = apt.counted_on
            ),
        };
        let _ = writeln!(out, "  Today that day is {inside}.");
    }
    let lead = match &apt.lead.lead_id {
        Some(id) => format!(
            "Lead {id}, {}: {}.",
            matched_words(apt.lead.matched_by),
            apt.lead.detail
        ),
        None => format!("No lead: {}.", apt.lead.detail),
    };
    let _ = writeln!(out, "  {lead}");
    if apt.history.is_empty() {
        return;
    }
    let _ = writeln!(out, "  What arrived:");
    for entry in &apt.history {
        let source = entry.source.as_str();
        let _ = writeln!(
            out,
            "    {}  {source:<7}  {}  -> {}",
            local(entry.at),
            entry.trigger,
            entry.outcome
        );
    }
}

fn status_words(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Pending => "pending (waiting for the host to confirm)",
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Rescheduled => "booked (rescheduled)",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::Rejected => "rejected by the host",
        AppointmentStatus::Completed => "completed",
        AppointmentStatus::NoShow => "a no-show",
        AppointmentStatus::Superseded => "replaced by a reschedule",
    }
}

fn matched_words(method: crate::matching::MatchMethod) -> &'static str {
    use crate::matching::MatchMethod;
    match method {
        MatchMethod::TrackedId => "carried by the booking link",
        MatchMethod::Phone => "matched by phone",
        MatchMethod::Email => "matched by email",
        MatchMethod::Inherited => "kept from the booking it replaced",
        MatchMethod::Created => "created for this booking",
        MatchMethod::Manual => "chosen by hand",
        MatchMethod::None => "not matched",
    }
}
