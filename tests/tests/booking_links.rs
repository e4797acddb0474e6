//! Personal booking links (SPEC §7), on both stores: a booking made through a lead's link lands
//! on that lead whatever details the booker typed, through Cal.com and Calendly webhooks (signed
//! for real) and the sync's API formats alike; a tracked id naming a lead of another account is
//! ignored and leaves that account untouched; a reschedule keeps the lead and the campaign.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, NaiveDate};
use integration_tests::links::{
    all_leads, calcom_attendee, calendly_invitee, deliver, import_lead, sample,
};
use integration_tests::provider_fixture;
use integration_tests::stores::{Harness, account, t0};
use serde_json::{Value, json};
use shared::accounts::Account;
use shared::booking::{Appointment, Dimension};
use shared::domain::{AppointmentId, AppointmentStatus, BookingKey, LeadField, LeadId, Provider};
use shared::ingest::apply_event;
use shared::matching::MatchMethod;
use shared::metrics::{RangeQuery, metrics_report_by};
use shared::providers::{calcom, calendly};
use shared::store::Store;

/// The linked lead's own details, and the other ones the booker typed.
const LEAD_PHONE: &str = "+447742201001";
const LEAD_EMAIL: &str = "linked.lead@example.com";
const BOOKER_PHONE: &str = "+447742201002";
const BOOKER_EMAIL: &str = "someone.else@example.net";

const OLD_INVITEE: &str = "https://api.calendly.com/scheduled_events/8d4b1e97-2c6a-4f30-b7e8-1a5c9d3f6e02/invitees/5a9e3c71-0f4d-4b2a-8c6e-7d1b2f9a4e35";
const NEW_INVITEE: &str = "https://api.calendly.com/scheduled_events/2b7f9d13-6e58-4a0c-9f21-4c8e1a7b5d96/invitees/c6d2e8a4-1b7f-4390-a5e1-8f3c0d9b6a27";

async fn stored(store: &impl Store, account: &Account, id: AppointmentId) -> Appointment {
    let found = store.get_appointment(&account.id, &id).await.unwrap();
    found.unwrap_or_else(|| panic!("appointment {id} is stored"))
}

/// The appointment a webhook response names.
async fn answered(store: &impl Store, account: &Account, response: &Value) -> Appointment {
    let id = response["appointmentId"].as_str().expect("an appointment");
    stored(store, account, AppointmentId::parse(id).unwrap()).await
}

/// The appointment of a provider booking.
async fn booking(store: &impl Store, account: &Account, p: Provider, key: &str) -> Appointment {
    let id = AppointmentId::for_booking(p, &BookingKey::parse(key).unwrap());
    stored(store, account, id).await
}

/// A 200 answer naming `lead`.
fn assert_lands((status, response): &(u16, Value), lead: &LeadId) {
    let landed = (*status, response["leadId"].as_str());
    assert_eq!(landed, (200, Some(lead.as_str())), "{response}");
}

fn assert_on(apt: &Appointment, lead: &LeadId, by: MatchMethod, campaign: &str) {
    let what = format!("{} {:?}", apt.key().as_str(), apt.lead_choice());
    assert_eq!(apt.lead_id(), Some(lead), "{what}");
    assert_eq!(apt.matched_by(), by, "{what}");
    assert_eq!(
        apt.attribution().campaign.as_deref(),
        Some(campaign),
        "{what}"
    );
}

/// The Cal.com sample as booked through a link by someone typing the booker's details.
fn calcom_booked(uid: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = sample("calcom-booking-created.json");
    calcom_attendee(&mut body, BOOKER_EMAIL, BOOKER_PHONE);
    body["payload"]["uid"] = uid.into();
    edit(&mut body["payload"]);
    body
}

/// The Calendly sample as booked through a link: `tracking` takes `fields`.
fn calendly_booked(invitee: &str, fields: &[(&str, &str)]) -> Value {
    let mut body = sample("calendly-invitee-created.json");
    let payload = &mut body["payload"];
    calendly_invitee(payload, BOOKER_EMAIL, BOOKER_PHONE);
    payload["uri"] = invitee.into();
    for (field, value) in fields {
        payload["tracking"][*field] = (*value).into();
    }
    body
}

async fn calcom_webhook_through_a_link_lands_on_the_linked_lead<S: Store>(h: Harness<S>) {
    let store = &*h.store;
    let (account, secrets) = account(store, "acme").await;
    let lead = import_lead(store, &account, LEAD_PHONE, LEAD_EMAIL, None).await;
    // The phone the booker typed is another lead's: the link still wins.
    let holder = import_lead(store, &account, BOOKER_PHONE, "holder@example.com", None).await;

    let by_metadata = calcom_booked("linkMetadata01", |p| {
        p["metadata"]["bt_lead"] = lead.as_str().into();
        p["metadata"]["utm_campaign"] = "spring".into();
    });
    let by_question = calcom_booked("linkQuestion01", |p| {
        p["responses"]["bt_lead"] =
            json!({"label": "bt_lead", "value": lead.as_str(), "isHidden": true});
        p["responses"]["utm_campaign"] =
            json!({"label": "utm_campaign", "value": "spring", "isHidden": true});
    });
    for body in [by_metadata, by_question] {
        let response = deliver(&h.store, Provider::Calcom, &account, &secrets, &body).await;
        assert_lands(&response, &lead);
        let apt = answered(store, &account, &response.1).await;
        assert_on(&apt, &lead, MatchMethod::TrackedId, "spring");
    }

    let leads = all_leads(store, &account).await;
    assert_eq!(leads.len(), 2, "no lead was created: {leads:?}");
    let bookings = |id: &LeadId| leads.iter().find(|l| &l.id == id).unwrap().bookings.len();
    assert_eq!((bookings(&lead), bookings(&holder)), (2, 0));
}

async fn calendly_webhook_through_a_link_lands_on_the_linked_lead<S: Store>(h: Harness<S>) {
    let store = &*h.store;
    let (account, secrets) = account(store, "acme").await;
    let lead = import_lead(store, &account, LEAD_PHONE, LEAD_EMAIL, None).await;
    let invitee = |n: u32| format!("{NEW_INVITEE}-{n}");

    // `utm_content` by default; the sample's own campaign is `spring-consults`.
    let body = calendly_booked(&invitee(1), &[("utm_content", lead.as_str())]);
    let response = deliver(&h.store, Provider::Calendly, &account, &secrets, &body).await;
    assert_lands(&response, &lead);
    let apt = answered(store, &account, &response.1).await;
    assert_on(&apt, &lead, MatchMethod::TrackedId, "spring-consults");

    // An account whose links put the lead in `utm_term` follows that field only.
    let mut changed = account.clone();
    changed.links.calendly_lead_field = LeadField::UtmTerm;
    let account = store.update_account(&changed).await.unwrap();
    let not_followed = calendly_booked(&invitee(2), &[("utm_content", lead.as_str())]);
    let (_, response) = deliver(
        &h.store,
        Provider::Calendly,
        &account,
        &secrets,
        &not_followed,
    )
    .await;
    let apt = answered(store, &account, &response).await;
    assert_ne!(
        apt.lead_id(),
        Some(&lead),
        "utm_content is not the account's field"
    );
    assert_eq!(
        apt.matched_by(),
        MatchMethod::Created,
        "{:?}",
        apt.lead_choice()
    );

    let followed = calendly_booked(&invitee(3), &[("utm_term", lead.as_str())]);
    let response = deliver(&h.store, Provider::Calendly, &account, &secrets, &followed).await;
    assert_lands(&response, &lead);
    let apt = answered(store, &account, &response.1).await;
    assert_on(&apt, &lead, MatchMethod::TrackedId, "spring-consults");
}

async fn the_sync_api_formats_carry_the_lead<S: Store>(h: Harness<S>) {
    let store = &*h.store;
    let (account, _) = account(store, "acme").await;
    let lead = import_lead(store, &account, LEAD_PHONE, LEAD_EMAIL, None).await;
    let region = account.phone_region;
    let now = t0() + Duration::days(10);

    // Cal.com API v2: metadata on the first booking, hidden questions on the second.
    let mut page = sample("calcom-v2-bookings-page1.json");
    page["pagination"]["hasNextPage"] = false.into();
    let first = &mut page["data"][0];
    first.as_object_mut().unwrap().remove("rescheduledFromUid");
    first["metadata"]["bt_lead"] = lead.as_str().into();
    first["metadata"]["utm_campaign"] = "spring".into();
    first["attendees"][0]["email"] = BOOKER_EMAIL.into();
    first["attendees"][0]["phoneNumber"] = BOOKER_PHONE.into();
    first["bookingFieldsResponses"]["email"] = BOOKER_EMAIL.into();
    first["bookingFieldsResponses"]["attendeePhoneNumber"] = BOOKER_PHONE.into();
    let second = &mut page["data"][1]["bookingFieldsResponses"];
    second["bt_lead"] = lead.as_str().into();
    second["utm_campaign"] = "autumn".into();
    let parsed = calcom::api::parse_bookings_page(&serde_json::to_vec(&page).unwrap(), region);

    // Calendly: an invitee of the listed event, booked through the link.
    let listed =
        calendly::api::parse_events_page(&provider_fixture("calendly-scheduled-events.json"));
    let listed = listed.unwrap().events;
    let event = listed
        .iter()
        .find(|e| NEW_INVITEE.starts_with(&e.uri))
        .unwrap();
    let mut invitees = sample("calendly-event-invitees.json");
    let item = &mut invitees["collection"][0];
    calendly_invitee(item, BOOKER_EMAIL, BOOKER_PHONE);
    item["old_invitee"] = Value::Null;
    item["tracking"]["utm_content"] = lead.as_str().into();
    item["tracking"]["utm_campaign"] = "spring".into();
    let body = serde_json::to_vec(&invitees).unwrap();
    let invited = calendly::api::parse_invitees_page(&body, event, region).unwrap();

    let events = parsed.unwrap().events.into_iter().chain(invited.events);
    let mut seen = Vec::new();
    for event in events {
        let applied = apply_event(store, &account, &event, None, now)
            .await
            .unwrap();
        seen.push((
            event.provider,
            event.key.as_str().to_owned(),
            applied.lead_id().cloned(),
        ));
    }
    for (provider, key, lead_id) in &seen {
        assert_eq!(lead_id.as_ref(), Some(&lead), "{provider} {key}");
    }
    for (provider, key, campaign) in [
        (Provider::Calcom, "7hJd2WqR4sTu6VxY8zAb3C", "spring"),
        (Provider::Calcom, "Mx9fT2bQ7wEr4YuI1oPa6S", "autumn"),
        (Provider::Calendly, NEW_INVITEE, "spring"),
    ] {
        let apt = booking(store, &account, provider, key).await;
        assert_on(&apt, &lead, MatchMethod::TrackedId, campaign);
    }
    assert_eq!(
        all_leads(store, &account).await.len(),
        1,
        "no lead was created"
    );
}

/// What is stored of an account, as text: leads, their timelines, appointments and counters.
async fn everything_of(store: &impl Store, account: &Account) -> String {
    let leads = all_leads(store, account).await;
    let mut out = format!("{leads:?}");
    for lead in &leads {
        out += &format!(
            "{:?}",
            store.lead_timeline(&account.id, &lead.id).await.unwrap()
        );
    }
    let apts = store
        .list_appointments(&account.id, None, 100)
        .await
        .unwrap();
    let from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let counts = store.day_counts(&account.id, from, to).await.unwrap();
    out + &format!("{:?}{counts:?}", apts.items)
}

async fn a_tracked_id_of_another_account_is_ignored<S: Store>(h: Harness<S>) {
    let store = &*h.store;
    let (acme, secrets) = account(store, "acme").await;
    let (globex, _) = account(store, "globex").await;
    let theirs = import_lead(store, &globex, LEAD_PHONE, LEAD_EMAIL, Some("globex-q1")).await;
    let ours = import_lead(store, &acme, "+447742201003", "ours@example.com", None).await;
    let globex_before = everything_of(store, &globex).await;

    // Cal.com: the booker even typed globex's lead's details, which no acme lead has.
    let mut body = calcom_booked("crossAccount01", |p| {
        p["metadata"]["bt_lead"] = theirs.as_str().into();
    });
    calcom_attendee(&mut body, LEAD_EMAIL, LEAD_PHONE);
    // Calendly: the booker's email is an acme lead's.
    let mut other = calendly_booked(NEW_INVITEE, &[("utm_content", theirs.as_str())]);
    calendly_invitee(&mut other["payload"], "ours@example.com", "+447742201004");

    let mut created = None;
    for (provider, body) in [(Provider::Calcom, body), (Provider::Calendly, other)] {
        let (status, response) = deliver(&h.store, provider, &acme, &secrets, &body).await;
        assert_eq!(status, 200, "{response}");
        let apt = answered(store, &acme, &response).await;
        let choice = apt.lead_choice().expect("a recorded choice");
        assert_ne!(apt.lead_id(), Some(&theirs), "{provider}");
        assert_ne!(apt.matched_by(), MatchMethod::TrackedId, "{provider}");
        assert!(
            choice.detail.contains("names no lead of this account"),
            "{provider}: {choice:?}"
        );
        match provider {
            Provider::Calcom => {
                assert_eq!(apt.matched_by(), MatchMethod::Created);
                created = apt.lead_id().cloned();
            }
            _ => assert_eq!(
                (apt.lead_id(), apt.matched_by()),
                (Some(&ours), MatchMethod::Email)
            ),
        }
    }
    let mut acme_leads: Vec<_> = all_leads(store, &acme)
        .await
        .into_iter()
        .map(|l| l.id)
        .collect();
    acme_leads.sort();
    let mut expected = vec![ours, created.expect("a created lead")];
    expected.sort();
    assert_eq!(acme_leads, expected);
    assert_eq!(
        everything_of(store, &globex).await,
        globex_before,
        "globex is untouched"
    );
}

async fn a_reschedule_keeps_the_lead_and_the_campaign<S: Store>(h: Harness<S>) {
    let store = &*h.store;
    let (account, secrets) = account(store, "acme").await;
    let lead = import_lead(store, &account, LEAD_PHONE, LEAD_EMAIL, None).await;

    let booked = calcom_booked("k3Pq8vXw2LmN9aRt5YbZc1", |p| {
        p["metadata"]["bt_lead"] = lead.as_str().into();
        p["metadata"]["utm_campaign"] = "spring".into();
    });
    deliver(&h.store, Provider::Calcom, &account, &secrets, &booked).await;
    // Cal.com drops the metadata on reschedule: only the video link is left.
    let mut moved = sample("calcom-booking-rescheduled.json");
    assert_eq!(moved["payload"]["metadata"].as_object().unwrap().len(), 1);
    calcom_attendee(&mut moved, BOOKER_EMAIL, BOOKER_PHONE);
    let response = deliver(&h.store, Provider::Calcom, &account, &secrets, &moved).await;
    assert_lands(&response, &lead);
    let apt = answered(store, &account, &response.1).await;
    assert_on(&apt, &lead, MatchMethod::Inherited, "spring");

    // Calendly's pair, in both orders, each in an account of its own.
    for (id, cancel_first) in [
        ("calendly-cancel-first", true),
        ("calendly-create-first", false),
    ] {
        let (account, secrets) = self::account(store, id).await;
        let lead = import_lead(store, &account, LEAD_PHONE, LEAD_EMAIL, None).await;
        let tracked = [("utm_content", lead.as_str()), ("utm_campaign", "spring")];
        let mut original = calendly_booked(OLD_INVITEE, &tracked);
        let old_event = OLD_INVITEE.split("/invitees/").next().unwrap();
        original["payload"]["event"] = old_event.into();
        original["payload"]["scheduled_event"]["uri"] = old_event.into();
        let response = deliver(&h.store, Provider::Calendly, &account, &secrets, &original);
        assert_lands(&response.await, &lead);

        let mut pair = [
            sample("calendly-invitee-canceled-rescheduled.json"),
            sample("calendly-invitee-created-rescheduled.json"),
        ];
        if !cancel_first {
            pair.reverse();
        }
        for body in &pair {
            let (status, response) =
                deliver(&h.store, Provider::Calendly, &account, &secrets, body).await;
            assert_eq!(status, 200, "{id}: {response}");
        }
        let new = booking(store, &account, Provider::Calendly, NEW_INVITEE).await;
        assert_on(&new, &lead, MatchMethod::Inherited, "spring");
        let old = booking(store, &account, Provider::Calendly, OLD_INVITEE).await;
        assert_eq!(old.status(), AppointmentStatus::Superseded, "{id}");

        let now = t0() + Duration::days(20);
        let by = Some(Dimension::Campaign);
        let report = metrics_report_by(store, &account, RangeQuery::All, by, now)
            .await
            .unwrap();
        let breakdown = serde_json::to_value(report.breakdown).unwrap();
        assert_eq!(breakdown[0]["key"], "spring", "{id}: {breakdown}");
        let kpis = &breakdown[0]["kpis"];
        let counts = [
            &kpis["appointmentsBooked"],
            &kpis["appointmentsRescheduled"],
            &kpis["appointmentsCancelled"],
        ];
        assert_eq!(counts, [1, 1, 0], "{id}: {breakdown}");
        assert_eq!(breakdown.as_array().unwrap().len(), 1, "{id}: {breakdown}");
    }
}

integration_tests::conformance!(
    calcom_webhook_through_a_link_lands_on_the_linked_lead,
    calendly_webhook_through_a_link_lands_on_the_linked_lead,
    the_sync_api_formats_carry_the_lead,
    a_tracked_id_of_another_account_is_ignored,
    a_reschedule_keeps_the_lead_and_the_campaign,
);
