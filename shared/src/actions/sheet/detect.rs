//! Which status cells are the team's edits to act on, and whether to act: pure, so the rules
//! of SPEC §10 are tested here on their own.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::accounts::StatusLabels;
use crate::actions::Action;
use crate::domain::{AppointmentId, AppointmentStatus as S, LeadId, Provider};
use crate::leads::{Lead, LeadBooking, SheetAction};
use crate::sheets::RowStatus;

/// A status edit found in a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetEdit {
    /// The sheet row.
    pub line: u32,
    pub lead: LeadId,
    /// The label the team set.
    pub label: String,
    pub action: Action,
    /// The booking the edit is about, with its provider and status as the lead knows them.
    pub appointment: AppointmentId,
    pub provider: Provider,
    pub status: S,
    pub verdict: Verdict,
}

/// What to do about an edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Take the action at the booking's provider.
    Act,
    /// The booking changed since the sheet last showed it (what changed, said): the provider
    /// wins, nothing is sent, and the push rewrites the row.
    ProviderWins(String),
    /// An earlier run settled this edit: it is acted on once.
    Settled(SheetAction),
}

/// The edit `row` makes, if any: its status cell shows the cancelled (or no-show) label, which
/// is not what booking-tracker last wrote to (or found in) the lead's own row, while the lead
/// has a booking the action applies to: a live one to cancel; for a no-show, the latest one
/// whose call has started (else the live one, which `act` then refuses until the call starts).
/// Anything else is no edit, and the row is imported as always.
pub fn detect(
    row: RowStatus<'_>,
    labels: &StatusLabels,
    time_zone: Tz,
    now: DateTime<Utc>,
) -> Option<SheetEdit> {
    let (lead, cell) = (row.lead, row.status?);
    let action = if cell == labels.cancelled {
        Action::Cancel { reason: None }
    } else if cell == labels.no_show {
        Action::NoShow { undo: false }
    } else {
        return None;
    };
    let shown = lead.sheet_synced.as_ref().and_then(|s| s.status.as_deref());
    if lead.sheet_row != Some(row.line) || shown == Some(cell) {
        return None;
    }
    let (appointment, booking) = target(lead, &action, now)?;
    let verdict = if let Some(why) = changed_since_shown(lead, labels, time_zone) {
        Verdict::ProviderWins(why)
    } else if let Some(settled) = lead.sheet_action.as_ref().filter(|s| s.label == cell) {
        Verdict::Settled(settled.clone())
    } else {
        Verdict::Act
    };
    Some(SheetEdit {
        line: row.line,
        lead: lead.id.clone(),
        label: cell.to_owned(),
        action,
        appointment: appointment.clone(),
        provider: booking.provider,
        status: booking.status,
        verdict,
    })
}

/// The booking `action` would be taken on.
fn target<'l>(
    lead: &'l Lead,
    action: &Action,
    now: DateTime<Utc>,
) -> Option<(&'l AppointmentId, &'l LeadBooking)> {
    let live = lead.current_booking().filter(|(_, b)| b.status.is_live());
    match action {
        Action::Cancel { .. } => live,
        Action::NoShow { .. } => lead
            .bookings
            .iter()
            .filter(|(_, b)| matches!(b.status, S::Booked | S::Rescheduled | S::Completed))
            .filter(|(_, b)| b.start.is_some_and(|start| start <= now))
            .max_by_key(|(id, b)| (b.start, *id))
            .or(live),
    }
}

/// What changed in the lead's row since the sheet last showed it: a call time, or a label
/// its bookings call for, that the push has not written yet. A status the bookings leave to
/// the team (a completed call) is no change.
fn changed_since_shown(lead: &Lead, labels: &StatusLabels, time_zone: Tz) -> Option<String> {
    let wanted = lead.sheet_cells(labels, time_zone);
    let Some(shown) = &lead.sheet_synced else {
        return Some("the sheet has not shown the booking yet".to_owned());
    };
    let text = |cell: &Option<String>| cell.clone().unwrap_or_else(|| "nothing".to_owned());
    if shown.booked != wanted.booked {
        return Some(format!(
            "the call is now at {}, the sheet showed {}",
            text(&wanted.booked),
            text(&shown.booked)
        ));
    }
    match &wanted.status {
        Some(status) if shown.status.as_ref() != Some(status) => Some(format!(
            "the booking now calls for {status}, the sheet showed {}",
            text(&shown.status)
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BookingKey;
    use crate::leads::{LeadSource, SheetActionResult, format_booking_time};
    use chrono::{Duration, TimeZone};

    const TZ: Tz = chrono_tz::Europe::London;

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap() + Duration::hours(hours)
    }

    fn id(uid: &str) -> AppointmentId {
        AppointmentId::for_booking(Provider::Calcom, &BookingKey::parse(uid).unwrap())
    }

    /// A lead in row 2 with bookings `(uid, status, start in hours from now)`, whose row the
    /// push last brought in step with them.
    fn lead(bookings: &[(&str, S, i64)]) -> Lead {
        let mut lead = Lead::new(LeadId::generate(), LeadSource::Sheet, at(-100));
        for (i, (uid, status, start)) in bookings.iter().enumerate() {
            let booking = LeadBooking {
                provider: Provider::Calcom,
                status: *status,
                start: Some(at(*start)),
                booked_at: at(-90 + i as i64),
                attribution: Default::default(),
            };
            lead.bookings.insert(id(uid), booking);
        }
        lead.sheet_row = Some(2);
        lead.sheet_synced = Some(lead.sheet_cells(&StatusLabels::default(), TZ));
        lead
    }

    fn edit(lead: &Lead, cell: &str) -> Option<SheetEdit> {
        let row = RowStatus {
            line: 2,
            status: Some(cell),
            lead,
        };
        detect(row, &StatusLabels::default(), TZ, at(0))
    }

    #[test]
    fn the_cancelled_label_on_a_live_booking_cancels_it() {
        let lead = lead(&[("LIVE", S::Booked, 24)]);
        let found = edit(&lead, "CALL_CANCELLED").unwrap();
        assert_eq!(found.action, Action::Cancel { reason: None });
        assert_eq!(found.appointment, id("LIVE"));
        assert_eq!((found.line, found.verdict), (2, Verdict::Act));
    }

    #[test]
    fn the_cell_booking_tracker_wrote_or_another_label_is_no_edit() {
        let lead = lead(&[("LIVE", S::Booked, 24)]);
        assert_eq!(edit(&lead, "CALL_BOOKED"), None, "what the push wrote");
        assert_eq!(edit(&lead, "FOLLOW_UP"), None, "the team's own labels");
        let mut moved = lead.clone();
        moved.sheet_row = Some(7);
        assert_eq!(edit(&moved, "CALL_CANCELLED"), None, "not the lead's row");
        let mut written = lead;
        written.sheet_synced.as_mut().unwrap().status = Some("CALL_CANCELLED".into());
        assert_eq!(
            edit(&written, "CALL_CANCELLED"),
            None,
            "booking-tracker wrote that label itself"
        );
    }

    #[test]
    fn nothing_live_to_cancel_is_no_edit() {
        assert_eq!(edit(&lead(&[]), "CALL_CANCELLED"), None);
        let over = lead(&[("DONE", S::Completed, -24)]);
        assert_eq!(edit(&over, "CALL_CANCELLED"), None);
    }

    #[test]
    fn a_no_show_is_about_the_latest_call_that_started() {
        let lead = lead(&[
            ("EARLIER", S::Completed, -48),
            ("LATEST", S::Booked, -1),
            ("NEXT", S::Booked, 48),
        ]);
        let found = edit(&lead, "NO_SHOW").unwrap();
        assert_eq!(found.action, Action::NoShow { undo: false });
        assert_eq!(found.appointment, id("LATEST"));

        // Only a call yet to start: found, and left to `act` to refuse until it starts.
        let early = edit(&self::lead(&[("NEXT", S::Booked, 48)]), "NO_SHOW").unwrap();
        assert_eq!(early.appointment, id("NEXT"));
        let cancelled = self::lead(&[("GONE", S::Cancelled, -2)]);
        assert_eq!(edit(&cancelled, "NO_SHOW"), None);
    }

    #[test]
    fn a_booking_that_changed_since_the_sheet_showed_it_wins() {
        let mut lead = lead(&[("LIVE", S::Booked, 24)]);
        // Rescheduled meanwhile: the row still shows the old time.
        lead.bookings.get_mut(&id("LIVE")).unwrap().start = Some(at(30));
        let Some(SheetEdit {
            verdict: Verdict::ProviderWins(why),
            ..
        }) = edit(&lead, "CALL_CANCELLED")
        else {
            panic!("the provider wins");
        };
        assert!(
            why.contains(&format_booking_time(at(30), TZ)),
            "says what moved: {why}"
        );

        let mut never = self::lead(&[("LIVE", S::Booked, 24)]);
        never.sheet_synced = None;
        assert!(matches!(
            edit(&never, "CALL_CANCELLED").unwrap().verdict,
            Verdict::ProviderWins(_)
        ));

        // A completed call leaves the label to the team: its row is still in step.
        let mut ended = self::lead(&[("ENDED", S::Booked, -2)]);
        ended.bookings.get_mut(&id("ENDED")).unwrap().status = S::Completed;
        assert_eq!(edit(&ended, "NO_SHOW").unwrap().verdict, Verdict::Act);
    }

    #[test]
    fn an_edit_settled_before_is_not_acted_on_again_but_a_new_label_is() {
        let mut lead = lead(&[("LIVE", S::Booked, 24), ("PAST", S::Completed, -24)]);
        let settled = SheetAction {
            label: "CALL_CANCELLED".into(),
            appointment_id: id("LIVE"),
            result: SheetActionResult::Refused,
            at: at(-1),
        };
        lead.sheet_action = Some(settled.clone());
        assert_eq!(
            edit(&lead, "CALL_CANCELLED").unwrap().verdict,
            Verdict::Settled(settled)
        );
        assert_eq!(edit(&lead, "NO_SHOW").unwrap().verdict, Verdict::Act);
    }

    #[test]
    fn labels_are_the_accounts_own() {
        let lead = lead(&[("LIVE", S::Booked, 24)]);
        let labels = StatusLabels {
            cancelled: "Cancelled".into(),
            ..StatusLabels::default()
        };
        let row = |status| RowStatus {
            line: 2,
            status: Some(status),
            lead: &lead,
        };
        assert!(detect(row("Cancelled"), &labels, TZ, at(0)).is_some());
        assert!(detect(row("CALL_CANCELLED"), &labels, TZ, at(0)).is_none());
    }
}
