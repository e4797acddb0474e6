//! A lead: a person the team is selling to, matched to bookings by phone or email.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::SheetAction;
use crate::accounts::StatusLabels;
use crate::booking::Appointment;
use crate::domain::{
    AppointmentId, AppointmentStatus, Attendee, Attribution, Email, LeadId, Phone, Provider,
};

/// Where a lead came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSource {
    /// `booking-tracker leads import`.
    Import,
    /// Created from an unmatched booking's attendee.
    Booking,
    /// Read from the team's Google Sheet.
    Sheet,
}

/// One of the lead's bookings, as the lead sees it: the tip of a reschedule chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadBooking {
    pub provider: Provider,
    pub status: AppointmentStatus,
    pub start: Option<DateTime<Utc>>,
    /// When the chain was first booked.
    pub booked_at: DateTime<Utc>,
    /// The campaign and source the chain is credited to.
    #[serde(default, skip_serializing_if = "Attribution::is_empty")]
    pub attribution: Attribution,
}

impl LeadBooking {
    /// What the lead keeps of a chain's tip.
    pub fn of(tip: &Appointment) -> Self {
        Self {
            provider: tip.provider(),
            status: tip.status(),
            start: tip.start(),
            booked_at: tip.booked_at(),
            attribution: tip.attribution().clone(),
        }
    }
}

/// The cells booking-tracker owns in a lead's sheet row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetCells {
    pub status: Option<String>,
    pub booked: Option<String>,
    /// The lead's booking link, when the sheet has a `link` column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl SheetCells {
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.booked.is_none() && self.link.is_none()
    }
}

/// A call's time as the sheet and the sync report show it: `HH:MM DD/MM/YYYY`, local time.
pub fn format_booking_time(t: DateTime<Utc>, time_zone: Tz) -> String {
    t.with_timezone(&time_zone)
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    pub id: LeadId,
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    /// The team's status label (the sheet's `Contact_Status`). Imports and the sheet set it;
    /// bookings set the account's booked / cancelled / no-show labels.
    pub status: Option<String>,
    pub source: LeadSource,
    /// The campaign and source the lead came from (import and sheet columns); its bookings
    /// without their own are credited to them.
    #[serde(default, skip_serializing_if = "Attribution::is_empty")]
    pub attribution: Attribution,
    /// The lead's booking chains, by the id of each chain's tip.
    #[serde(default)]
    pub bookings: BTreeMap<AppointmentId, LeadBooking>,
    /// The lead's row in the team's sheet, when it came from or was written to one.
    #[serde(default)]
    pub sheet_row: Option<u32>,
    /// The cells last written to (or found in) the lead's sheet row. The sheet is written again
    /// only when the bookings call for other cells, so a team's later edits are kept.
    #[serde(default)]
    pub sheet_synced: Option<SheetCells>,
    /// The last status edit in the lead's row that sheet actions settled, so it is acted on
    /// once (SPEC §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet_action: Option<SheetAction>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Counts the writes of this lead; stores make each write conditional on it.
    #[serde(default)]
    pub revision: u64,
}

impl Lead {
    pub fn new(id: LeadId, source: LeadSource, now: DateTime<Utc>) -> Self {
        Self {
            id,
            name: None,
            phone: None,
            email: None,
            status: None,
            source,
            attribution: Attribution::default(),
            bookings: BTreeMap::new(),
            sheet_row: None,
            sheet_synced: None,
            sheet_action: None,
            created_at: now,
            updated_at: now,
            revision: 0,
        }
    }

    /// Fills contact details the lead lacks from a booking's attendee. Returns the phone and
    /// email newly set, which the caller must claim in the lookups.
    pub fn fill_contact(&mut self, attendee: &Attendee) -> (Option<Phone>, Option<Email>) {
        if self.name.is_none() {
            self.name.clone_from(&attendee.name);
        }
        let phone = match (&self.phone, &attendee.phone) {
            (None, Some(p)) => {
                self.phone = Some(p.clone());
                Some(p.clone())
            }
            _ => None,
        };
        let email = match (&self.email, &attendee.email) {
            (None, Some(e)) => {
                self.email = Some(e.clone());
                Some(e.clone())
            }
            _ => None,
        };
        (phone, email)
    }

    /// Takes in an appointment's new state. Superseded appointments leave the lead's bookings;
    /// their successor speaks for the chain.
    pub fn record_booking(&mut self, appointment: &Appointment, labels: &StatusLabels) {
        if appointment.is_chain_tip() {
            self.bookings
                .insert(appointment.id().clone(), LeadBooking::of(appointment));
        } else {
            self.bookings.remove(appointment.id());
        }
        if let Some(label) = self.booking_label(labels) {
            self.status = Some(label.to_owned());
        }
    }

    /// The label the lead's bookings call for, if any: booked while any call is live; otherwise
    /// cancelled or no-show after the latest booking ended that way. A completed call leaves the
    /// label to the team.
    pub fn booking_label<'a>(&self, labels: &'a StatusLabels) -> Option<&'a str> {
        if self.bookings.values().any(|b| b.status.is_live()) {
            return Some(&labels.booked);
        }
        match self.current_booking()?.1.status {
            AppointmentStatus::Cancelled | AppointmentStatus::Rejected => Some(&labels.cancelled),
            AppointmentStatus::NoShow => Some(&labels.no_show),
            _ => None,
        }
    }

    /// The booking that describes the lead now: the live one starting first, else the most
    /// recently booked.
    pub fn current_booking(&self) -> Option<(&AppointmentId, &LeadBooking)> {
        let live = self
            .bookings
            .iter()
            .filter(|(_, b)| b.status.is_live())
            .min_by_key(|(id, b)| (b.start.is_none(), b.start, *id));
        live.or_else(|| {
            self.bookings
                .iter()
                .max_by_key(|(id, b)| (b.booked_at, *id))
        })
    }

    /// When the lead's next call starts.
    pub fn next_appointment(&self) -> Option<DateTime<Utc>> {
        self.bookings
            .values()
            .filter(|b| b.status.is_live())
            .filter_map(|b| b.start)
            .min()
    }

    /// What the lead's sheet row should show: the label its bookings call for, and when its
    /// next call starts (or, with none live, when its latest call was), as `HH:MM DD/MM/YYYY`.
    pub fn sheet_cells(&self, labels: &StatusLabels, time_zone: Tz) -> SheetCells {
        let start = self
            .next_appointment()
            .or_else(|| self.current_booking().and_then(|(_, b)| b.start));
        SheetCells {
            status: self.booking_label(labels).map(str::to_owned),
            booked: start.map(|t| format_booking_time(t, time_zone)),
            link: None,
        }
    }

    pub fn booking_status(&self) -> Option<AppointmentStatus> {
        self.current_booking().map(|(_, b)| b.status)
    }

    /// When the current booking was set.
    pub fn appointment_set_at(&self) -> Option<DateTime<Utc>> {
        self.current_booking().map(|(_, b)| b.booked_at)
    }
}
