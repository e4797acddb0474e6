//! Personal booking links (SPEC §7) in tests: leads to link to, the provider samples edited the
//! way a booking through a link changes them, and webhooks signed for real with the account's
//! issued secrets.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use serde_json::Value;
use shared::accounts::{Account, IssuedSecrets};
use shared::clock::FixedClock;
use shared::domain::{Email, LeadId, Phone, Provider};
use shared::ingest::{LeadRow, import_leads};
use shared::leads::{Lead, LeadSource};
use shared::providers::{calcom, calendly};
use shared::store::Store;
use shared::webhooks::{WebhookRequest, WebhookService};

use crate::provider_fixture;
use crate::stores::t0;

/// Imports one lead (as `leads import` does) and returns its id.
pub async fn import_lead(
    store: &(impl Store + ?Sized),
    account: &Account,
    phone: &str,
    email: &str,
    campaign: Option<&str>,
) -> LeadId {
    let row = LeadRow {
        line: 2,
        name: Some("Linked Lead".into()),
        phone: Some(phone.into()),
        email: Some(email.into()),
        campaign: campaign.map(str::to_owned),
        ..LeadRow::default()
    };
    let report = import_leads(store, account, vec![row], LeadSource::Import, t0(), &|_| {})
        .await
        .expect("import");
    assert_eq!(report.imported, 1, "{report:?}");
    let phone = Phone::parse(phone, account.phone_region).expect("a valid phone");
    let email = Email::parse(email).expect("a valid email");
    let found = store
        .find_leads(&account.id, Some(&phone), Some(&email))
        .await
        .expect("lookup");
    found.by_phone.expect("the imported lead")
}

/// Every lead of the account, in id order.
pub async fn all_leads(store: &(impl Store + ?Sized), account: &Account) -> Vec<Lead> {
    store
        .list_leads(&account.id, None, 1000)
        .await
        .expect("leads")
        .items
}

/// A provider sample as JSON, to edit.
pub fn sample(name: &str) -> Value {
    serde_json::from_slice(&provider_fixture(name)).expect("a JSON sample")
}

/// Gives a Cal.com webhook's attendee another email and phone, everywhere Cal.com puts them.
pub fn calcom_attendee(body: &mut Value, email: &str, phone: &str) {
    let payload = &mut body["payload"];
    payload["attendees"][0]["email"] = email.into();
    payload["attendees"][0]["phoneNumber"] = phone.into();
    payload["responses"]["email"]["value"] = email.into();
    payload["responses"]["attendeePhoneNumber"]["value"] = phone.into();
}

/// Gives a Calendly invitee (a webhook's `payload`, or an API item) another email and phone,
/// everywhere Calendly puts them.
pub fn calendly_invitee(invitee: &mut Value, email: &str, phone: &str) {
    invitee["email"] = email.into();
    invitee["text_reminder_number"] = phone.into();
    for qa in invitee["questions_and_answers"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        if qa["question"].as_str().is_some_and(|q| q.contains("Phone")) {
            qa["answer"] = phone.into();
        }
    }
}

/// Delivers `body` to the account's webhook for `provider`, signed with the account's secret
/// at the time the envelope says it was sent, and answers the response's status and body.
pub async fn deliver<S: Store + ?Sized>(
    store: &Arc<S>,
    provider: Provider,
    account: &Account,
    secrets: &IssuedSecrets,
    body: &Value,
) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).expect("JSON");
    let (name, value, sent_at) = match provider {
        Provider::Calcom => {
            let at = time(&body["createdAt"]);
            let signature = calcom::sign(&secrets.calcom_webhook_secret, &bytes);
            (calcom::SIGNATURE_HEADER, signature, at)
        }
        _ => {
            let at = time(&body["created_at"]);
            let key = &secrets.calendly_signing_key;
            let signature = calendly::sign(key, at.timestamp(), &bytes);
            (calendly::SIGNATURE_HEADER, signature, at)
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(name, HeaderValue::from_str(&value).expect("a header value"));
    let service = WebhookService {
        store: Arc::clone(store),
        clock: Arc::new(FixedClock(sent_at)),
        calendly_tolerance: Duration::from_secs(300),
    };
    let response = service
        .receive(WebhookRequest {
            provider,
            path_account: Some(account.id.as_str()),
            headers: &headers,
            body: &bytes,
        })
        .await;
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_str(response.body()).expect("a JSON body"),
    )
}

fn time(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().expect("an envelope time");
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}
