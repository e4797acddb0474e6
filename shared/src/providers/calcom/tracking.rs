//! What a Cal.com booking link carried (SPEC §7): booking metadata (`?metadata[bt_lead]=...`),
//! else a hidden booking question with the same identifier. Webhooks and API v2 alike.

use serde_json::{Map, Value};

use crate::domain::{Attribution, LeadField, Tracking};

/// The identifiers read: the tracked lead id, campaign and source.
const LEAD: &str = "bt_lead";
const CAMPAIGN: &str = "utm_campaign";
const SOURCE: &str = "utm_source";

/// Reads the tracking from a booking's `metadata` and its booking-question answers. `answer`
/// gives the answer to the question with an identifier.
pub(super) fn tracking<'a>(
    metadata: Option<&'a Value>,
    answer: impl Fn(&str) -> Option<&'a str>,
) -> Tracking {
    let metadata = metadata_map(metadata);
    let value = |name: &str| -> Option<String> {
        metadata
            .as_ref()
            .and_then(|m| m.get(name))
            .and_then(scalar)
            .filter(|v| !v.trim().is_empty())
            .or_else(|| answer(name).map(str::to_owned))
    };
    let lead = value(LEAD);
    Tracking {
        attribution: Attribution::new(value(CAMPAIGN).as_deref(), value(SOURCE).as_deref()),
        ..Tracking::default()
    }
    .with_lead_ref(LeadField::BtLead, lead.as_deref())
}

/// `metadata` is an object; a payload template may have turned it into a JSON string.
fn metadata_map(metadata: Option<&Value>) -> Option<Map<String, Value>> {
    match metadata? {
        Value::Object(map) => Some(map.clone()),
        Value::String(text) => serde_json::from_str(text).ok(),
        _ => None,
    }
}

/// A string or a number, as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_wins_over_hidden_questions() {
        let metadata = json!({"bt_lead": "ld_meta", "videoCallUrl": "https://cal.com/video/x", "utm_campaign": 7});
        let t = tracking(Some(&metadata), |slug| match slug {
            "bt_lead" => Some("ld_question"),
            "utm_source" => Some("linkedin"),
            _ => None,
        });
        assert_eq!(t.lead_ref(LeadField::BtLead), Some("ld_meta"));
        assert_eq!(t.attribution, Attribution::new(Some("7"), Some("linkedin")));
    }

    #[test]
    fn stringified_metadata_is_read() {
        let metadata = json!("{\"bt_lead\":\"ld_1\"}");
        let t = tracking(Some(&metadata), |_| None);
        assert_eq!(t.lead_ref(LeadField::BtLead), Some("ld_1"));
    }

    #[test]
    fn nothing_carried_is_empty() {
        assert!(tracking(Some(&json!({"videoCallUrl": "x"})), |_| None).is_empty());
        assert!(tracking(None, |_| None).is_empty());
    }
}
