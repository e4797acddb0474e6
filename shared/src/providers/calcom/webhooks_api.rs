//! Cal.com API v2 `/v2/webhooks` (PROVIDERS.md §7.1): the API key owner's webhooks, as
//! `webhook calcom-subscribe` lists, creates, repairs and deletes them. Answers come in
//! `{"status": "success", "data": ...}`; a webhook is `{id, subscriberUrl, triggers, active,
//! payloadTemplate, secret?, ...}` (the secret is never read: Cal.com does not give it back).

use serde::Deserialize;

use crate::providers::json::{self, PayloadError};

/// The triggers booking-tracker follows: what our webhook must deliver.
pub const WEBHOOK_TRIGGERS: [&str; 7] = [
    "BOOKING_CREATED",
    "BOOKING_REQUESTED",
    "BOOKING_RESCHEDULED",
    "BOOKING_CANCELLED",
    "BOOKING_REJECTED",
    "BOOKING_NO_SHOW_UPDATED",
    "MEETING_ENDED",
];

/// Most webhooks one page may hold (`take`, also Cal.com's default).
pub const WEBHOOKS_TAKE: usize = 250;

/// One of the user's webhooks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalcomWebhook {
    /// Cal.com's id (a number), as text.
    pub id: String,
    pub subscriber_url: String,
    pub active: bool,
    pub triggers: Vec<String>,
    /// A custom payload template replaces the body Cal.com sends: booking-tracker cannot read it.
    pub custom_payload: bool,
}

impl CalcomWebhook {
    /// Delivers every trigger booking-tracker follows.
    pub fn covers_our_triggers(&self) -> bool {
        WEBHOOK_TRIGGERS
            .iter()
            .all(|wanted| self.triggers.iter().any(|t| t == wanted))
    }
}

/// `{"status": "success", "data": ...}`: how Cal.com API v2 answers.
#[derive(Deserialize)]
pub(super) struct Envelope<T> {
    status: Option<String>,
    data: Option<T>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireId {
    Number(u64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireWebhook {
    id: Option<WireId>,
    subscriber_url: Option<String>,
    active: Option<bool>,
    #[serde(default)]
    triggers: Option<Vec<String>>,
    payload_template: Option<String>,
}

/// The answer to `GET /v2/webhooks`: one page of webhooks.
pub fn parse_webhooks_page(body: &[u8]) -> Result<Vec<CalcomWebhook>, PayloadError> {
    let page: Envelope<Vec<WireWebhook>> = json::from_body(body, "body")?;
    let data = json::required(success(page)?, "data")?;
    data.into_iter()
        .enumerate()
        .map(|(i, w)| webhook(w, &format!("data[{i}].")))
        .collect()
}

/// The answer to `POST /v2/webhooks` and `PATCH /v2/webhooks/{id}`: the webhook.
pub fn parse_webhook(body: &[u8]) -> Result<CalcomWebhook, PayloadError> {
    let answer: Envelope<WireWebhook> = json::from_body(body, "body")?;
    webhook(json::required(success(answer)?, "data")?, "data.")
}

/// The envelope's data, unless its status says the call failed.
pub(super) fn success<T>(envelope: Envelope<T>) -> Result<Option<T>, PayloadError> {
    match envelope.status.as_deref() {
        Some(status) if status != "success" => Err(PayloadError::field(
            "status",
            format!("is {status:?}, expected \"success\""),
        )),
        _ => Ok(envelope.data),
    }
}

fn webhook(wire: WireWebhook, at: &str) -> Result<CalcomWebhook, PayloadError> {
    let field = |name: &str| format!("{at}{name}");
    let id = match json::required(wire.id, &field("id"))? {
        WireId::Number(n) => n.to_string(),
        WireId::Text(t) => t.trim().to_owned(),
    };
    // It goes into a path (`/v2/webhooks/{id}`).
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(PayloadError::field(
            field("id"),
            format!("{id:?} is not an id"),
        ));
    }
    Ok(CalcomWebhook {
        id,
        subscriber_url: json::required(
            json::text(wire.subscriber_url.as_deref()),
            &field("subscriberUrl"),
        )?,
        active: json::required(wire.active, &field("active"))?,
        triggers: wire.triggers.unwrap_or_default(),
        custom_payload: json::text(wire.payload_template.as_deref()).is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_page_of_webhooks_with_numeric_ids() {
        let body = br#"{"status": "success", "data": [
            {"id": 12, "subscriberUrl": "https://bt.example.com/webhooks/calcom/acme",
             "triggers": ["BOOKING_CREATED"], "active": false, "payloadTemplate": null,
             "userId": 7},
            {"id": 13, "subscriberUrl": "https://zapier.example/hook", "triggers": [],
             "active": true, "payloadTemplate": "{\"x\": \"{{title}}\"}"}]}"#;
        let page = parse_webhooks_page(body).unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(page[0].id, "12");
        assert!(!page[0].active && !page[0].custom_payload);
        assert!(page[1].custom_payload);
    }

    #[test]
    fn an_error_envelope_or_a_webhook_without_id_is_malformed() {
        assert!(parse_webhooks_page(br#"{"status": "error", "data": []}"#).is_err());
        let err = parse_webhook(
            br#"{"status": "success", "data": {"subscriberUrl": "https://x", "active": true}}"#,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "data.id: is required");
        let err = parse_webhook(
            br#"{"data": {"id": "../users", "subscriberUrl": "https://x", "active": true}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("data.id:"), "{err}");
    }

    #[test]
    fn covers_every_trigger_or_not() {
        let mut hook = CalcomWebhook {
            id: "1".into(),
            subscriber_url: "https://x".into(),
            active: true,
            triggers: WEBHOOK_TRIGGERS.iter().map(|t| (*t).to_owned()).collect(),
            custom_payload: false,
        };
        assert!(hook.covers_our_triggers());
        hook.triggers.retain(|t| t != "MEETING_ENDED");
        assert!(!hook.covers_our_triggers());
    }
}
