//! What a personal booking link carries through the provider: the tracked lead id, and the
//! campaign and source the booking is credited to (SPEC §7).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Campaign and source names are cut to this many characters: they are counter keys.
pub const MAX_ATTRIBUTION_CHARS: usize = 100;

/// The campaign and source a booking (or a lead) is credited to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribution {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Attribution {
    /// From raw values: trimmed, empty ones dropped, long ones cut.
    pub fn new(campaign: Option<&str>, source: Option<&str>) -> Self {
        Self {
            campaign: campaign.and_then(attribution_value),
            source: source.and_then(attribution_value),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.campaign.is_none() && self.source.is_none()
    }

    /// Each value of `self`, else `other`'s.
    pub fn or(&self, other: &Attribution) -> Attribution {
        Attribution {
            campaign: self.campaign.clone().or_else(|| other.campaign.clone()),
            source: self.source.clone().or_else(|| other.source.clone()),
        }
    }
}

/// A campaign or source name as stored: trimmed, non-empty, at most
/// [`MAX_ATTRIBUTION_CHARS`] characters.
pub fn attribution_value(raw: &str) -> Option<String> {
    let value = raw.trim();
    (!value.is_empty()).then(|| value.chars().take(MAX_ATTRIBUTION_CHARS).collect())
}

/// Where a booking can carry the tracked lead id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeadField {
    /// Cal.com booking metadata `bt_lead`, or a hidden booking question `bt_lead`.
    BtLead,
    /// Calendly `tracking.utm_content` (the default for Calendly).
    #[default]
    UtmContent,
    /// Calendly `tracking.utm_term`.
    UtmTerm,
    /// Calendly `tracking.salesforce_uuid`.
    SalesforceUuid,
}

impl LeadField {
    /// The Calendly tracking fields an account may choose from.
    pub const CALENDLY: [LeadField; 3] = [
        LeadField::UtmContent,
        LeadField::UtmTerm,
        LeadField::SalesforceUuid,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            LeadField::BtLead => "bt_lead",
            LeadField::UtmContent => "utm_content",
            LeadField::UtmTerm => "utm_term",
            LeadField::SalesforceUuid => "salesforce_uuid",
        }
    }
}

impl fmt::Display for LeadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not a Calendly tracking field that can carry the lead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lead field {0:?}: expected utm_content, utm_term or salesforce_uuid")]
pub struct UnknownLeadField(pub String);

impl FromStr for LeadField {
    type Err = UnknownLeadField;

    /// The Calendly fields only: `bt_lead` is Cal.com's and is not a choice.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        LeadField::CALENDLY
            .into_iter()
            .find(|f| f.as_str() == raw.trim())
            .ok_or_else(|| UnknownLeadField(raw.to_owned()))
    }
}

impl Serialize for LeadField {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LeadField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        if raw == LeadField::BtLead.as_str() {
            return Ok(LeadField::BtLead);
        }
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// What the booking link carried, as the provider handed it back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracking {
    /// Values that may name the lead, by the field that carried them. Which field counts is the
    /// account's choice (see [`Tracking::lead_ref`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lead_refs: BTreeMap<LeadField, String>,
    #[serde(default)]
    pub attribution: Attribution,
}

impl Tracking {
    /// Keeps a lead reference, trimmed; empty ones are dropped.
    pub fn with_lead_ref(mut self, field: LeadField, raw: Option<&str>) -> Self {
        if let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) {
            self.lead_refs.insert(field, value.to_owned());
        }
        self
    }

    /// The raw value of `field`, when the booking carried one.
    pub fn lead_ref(&self, field: LeadField) -> Option<&str> {
        self.lead_refs.get(&field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.lead_refs.is_empty() && self.attribution.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_and_cut() {
        let long = "x".repeat(300);
        let a = Attribution::new(Some("  Spring outreach "), Some(&long));
        assert_eq!(a.campaign.as_deref(), Some("Spring outreach"));
        assert_eq!(a.source.unwrap().chars().count(), MAX_ATTRIBUTION_CHARS);
        assert!(Attribution::new(Some("  "), None).is_empty());
    }

    #[test]
    fn own_values_win_over_fallback() {
        let own = Attribution::new(Some("spring"), None);
        let lead = Attribution::new(Some("winter"), Some("linkedin"));
        assert_eq!(
            own.or(&lead),
            Attribution::new(Some("spring"), Some("linkedin"))
        );
    }

    #[test]
    fn lead_fields_parse_calendly_names_only() {
        assert_eq!("utm_term".parse::<LeadField>(), Ok(LeadField::UtmTerm));
        assert_eq!(
            "salesforce_uuid".parse::<LeadField>(),
            Ok(LeadField::SalesforceUuid)
        );
        assert!("bt_lead".parse::<LeadField>().is_err());
        assert!("utm_campaign".parse::<LeadField>().is_err());
        let json = serde_json::to_string(&LeadField::BtLead).unwrap();
        assert_eq!(
            serde_json::from_str::<LeadField>(&json).unwrap(),
            LeadField::BtLead
        );
    }

    #[test]
    fn empty_lead_refs_are_dropped() {
        let t = Tracking::default()
            .with_lead_ref(LeadField::BtLead, Some(" ld_1 "))
            .with_lead_ref(LeadField::UtmTerm, Some(""));
        assert_eq!(t.lead_ref(LeadField::BtLead), Some("ld_1"));
        assert_eq!(t.lead_ref(LeadField::UtmTerm), None);
    }
}
