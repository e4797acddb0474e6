//! How an account's personal booking links carry the lead (SPEC §7).

use serde::{Deserialize, Serialize};

use crate::domain::{BookingEvent, LeadField, LeadId, Provider};

/// Where the account's bookings carry the tracked lead id, and the booking page links are built
/// from by default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkSettings {
    /// The Calendly tracking field that carries the lead id (`utm_content` unless changed).
    #[serde(default)]
    pub calendly_lead_field: LeadField,
    /// The booking page `leads link` and the sheet's `link` column use when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_url: Option<String>,
    /// The provider of `booking_url` when its host does not say (a self-hosted Cal.com).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_provider: Option<Provider>,
}

impl LinkSettings {
    /// The field that carries the lead id on `provider`'s bookings.
    pub fn lead_field(&self, provider: Provider) -> Option<LeadField> {
        match provider {
            Provider::Calcom => Some(LeadField::BtLead),
            Provider::Calendly => Some(self.calendly_lead_field),
            // `appointments add --lead`: the lead chosen by hand.
            Provider::Manual => Some(LeadField::BtLead),
        }
    }

    /// The lead id the event's booking link names, if it carried one that is a well-formed lead
    /// id. Whether that lead exists in this account is for the caller to check.
    pub fn tracked_lead(&self, event: &BookingEvent) -> Option<LeadId> {
        let field = self.lead_field(event.provider)?;
        LeadId::parse(event.tracking.lead_ref(field)?)
    }
}
