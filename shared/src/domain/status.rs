//! Appointment statuses (SPEC §2), with their one string mapping.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The status of one appointment (one provider booking).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Requested, waiting for the host to confirm (Cal.com "requires confirmation").
    Pending,
    /// Booked and not yet held.
    Booked,
    /// Booked, and it replaced an earlier appointment of the same chain.
    Rescheduled,
    Cancelled,
    /// The host declined a pending request.
    Rejected,
    /// The meeting took place (Cal.com `MEETING_ENDED`).
    Completed,
    NoShow,
    /// Replaced by a later appointment of its chain; it no longer counts on its own.
    Superseded,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 8] = [
        AppointmentStatus::Pending,
        AppointmentStatus::Booked,
        AppointmentStatus::Rescheduled,
        AppointmentStatus::Cancelled,
        AppointmentStatus::Rejected,
        AppointmentStatus::Completed,
        AppointmentStatus::NoShow,
        AppointmentStatus::Superseded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Pending => "pending",
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Rescheduled => "rescheduled",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::Rejected => "rejected",
            AppointmentStatus::Completed => "completed",
            AppointmentStatus::NoShow => "no_show",
            AppointmentStatus::Superseded => "superseded",
        }
    }

    /// A call that is still going to happen: it belongs in "upcoming" and earns `CALL_BOOKED`.
    pub const fn is_live(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Booked | AppointmentStatus::Rescheduled
        )
    }

    /// Counted in `appointmentsBooked`: a chain that was booked and not called off
    /// (live, completed or no-show).
    pub const fn counts_as_booked(self) -> bool {
        matches!(
            self,
            AppointmentStatus::Booked
                | AppointmentStatus::Rescheduled
                | AppointmentStatus::Completed
                | AppointmentStatus::NoShow
        )
    }
}

/// The string is not a status name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown appointment status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for AppointmentStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AppointmentStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl fmt::Display for AppointmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_as_str_agree() {
        for st in AppointmentStatus::ALL {
            let json = serde_json::to_string(&st).unwrap();
            assert_eq!(json, format!("\"{}\"", st.as_str()));
            assert_eq!(st.as_str().parse::<AppointmentStatus>().unwrap(), st);
        }
    }

    #[test]
    fn booked_class_excludes_called_off_and_pending() {
        let booked: Vec<_> = AppointmentStatus::ALL
            .into_iter()
            .filter(|s| s.counts_as_booked())
            .collect();
        assert_eq!(
            booked,
            [
                AppointmentStatus::Booked,
                AppointmentStatus::Rescheduled,
                AppointmentStatus::Completed,
                AppointmentStatus::NoShow
            ]
        );
    }
}
