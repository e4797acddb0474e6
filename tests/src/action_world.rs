//! A world for acting on bookings (SPEC §10): the account `acme` with a Cal.com key and a
//! Calendly token, the stateful fakes of both providers (`crate::acting`), the sync service calling
//! them, and the providers' samples delivered signed.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use shared::accounts::{Account, IssuedSecrets};
use shared::actions::{Action, ActionError, ActionReport};
use shared::booking::{Appointment, DayCounts};
use shared::domain::{AppointmentId, BookingKey, Provider, Secret};
use shared::store::prelude::*;
use shared::sync::SyncService;
use tokio::time::Instant;

use crate::acting::{Calcom, Calendly, Fake};
use crate::fakes::sync_service;
use crate::fakes::{CalcomBooking, CalendlyInvitee};
use crate::links::{deliver, sample};
use crate::stores::{Harness, account};

/// Cal.com's sample booking (`calcom-booking-created.json`): 10 March 2026, 14:00 UTC.
pub const UID: &str = "k3Pq8vXw2LmN9aRt5YbZc1";
pub const EMAIL: &str = "priya.nair@example.com";
/// Calendly's sample invitee (`calendly-invitee-created.json`): 17 March 2026, 20:00 UTC.
pub const EVENT: &str = "3f8a2c61-7b4e-4d19-9a05-6c2e8f1b7d43";
pub const INVITEE: &str = "e1c7a9b3-5d2f-4e86-b0a4-9f3d6c8e2a17";
/// The invitee of Calendly's no-show sample (`calendly-no-show-created.json`): 18 March, 11:00.
pub const NS_EVENT: &str = "2b7f9d13-6e58-4a0c-9f21-4c8e1a7b5d96";
pub const NS_INVITEE: &str = "c6d2e8a4-1b7f-4390-a5e1-8f3c0d9b6a27";

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn calendly_key(event: &str, invitee: &str) -> BookingKey {
    BookingKey::parse(&format!(
        "https://api.calendly.com/scheduled_events/{event}/invitees/{invitee}"
    ))
    .unwrap()
}

pub fn calcom_id(uid: &str) -> AppointmentId {
    AppointmentId::for_booking(Provider::Calcom, &BookingKey::parse(uid).unwrap())
}

#[allow(missing_debug_implementations)]
pub struct World<S> {
    pub h: Harness<S>,
    pub account: Account,
    pub secrets: IssuedSecrets,
    pub calcom: Fake<Calcom>,
    pub calendly: Fake<Calendly>,
}

impl<S: Store + 'static> World<S> {
    /// `acme` with a Cal.com key and a Calendly token, and both providers' fakes.
    pub async fn new(h: Harness<S>) -> Self {
        let (mut account, secrets) = account(&*h.store, "acme").await;
        account.calcom.api_key = Some(Secret::new("cal_live_acme").into());
        account.calendly.token = Some(Secret::new("calendly_acme").into());
        let account = h.store.update_account(&account).await.unwrap();
        Self {
            h,
            account,
            secrets,
            calcom: Fake::start(Calcom::new(at("2026-03-05T12:00:00Z"), vec![])).await,
            calendly: Fake::start(Calendly::new(at("2026-03-18T11:40:00Z"), vec![], vec![])).await,
        }
    }

    pub fn service(&self, now: DateTime<Utc>) -> SyncService<S> {
        let (calcom, calendly) = (self.calcom.server.uri(), self.calendly.server.uri());
        let urls = [calcom.as_str(), calendly.as_str(), "http://127.0.0.1:9"];
        sync_service(Arc::clone(&self.h.store), now, urls)
    }

    pub async fn act(
        &self,
        now: DateTime<Utc>,
        id: &AppointmentId,
        action: &Action,
    ) -> Result<ActionReport, ActionError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let service = self.service(now);
        service
            .act(&self.account, id, action, false, deadline)
            .await
    }

    /// Cal.com holds an accepted booking `uid` on 10 March 2026 at 14:00, for `email`.
    pub fn calcom_has(&self, uid: &str, email: &str) {
        let start = at("2026-03-10T14:00:00Z");
        let mut booking = CalcomBooking::new(uid, "accepted", start, at("2026-03-02T09:15:42Z"));
        booking.email = email.into();
        self.calcom.state().bookings.push(booking);
    }

    pub fn calcom_booking(&self, uid: &str) -> CalcomBooking {
        self.calcom
            .state()
            .booking(uid)
            .cloned()
            .expect("a booking Cal.com holds")
    }

    /// Calendly holds an active invitee of `event`.
    pub fn calendly_has(&self, event: &str, invitee: &str) {
        let made = at("2026-03-04T15:22:09Z");
        self.calendly
            .state()
            .invitees
            .push(CalendlyInvitee::new(event, invitee, made));
    }

    pub fn calendly_invitee(&self, invitee: &str) -> CalendlyInvitee {
        let state = self.calendly.state();
        let found = state.invitees.iter().find(|i| i.uuid == invitee);
        found.cloned().expect("an invitee Calendly holds")
    }

    pub async fn appointment(&self, id: &AppointmentId) -> Appointment {
        self.h
            .store
            .get_appointment(&self.account.id, id)
            .await
            .unwrap()
            .expect("stored")
    }

    /// Delivers a provider's webhook, signed as it would be: its outcome.
    pub async fn webhook(&self, provider: Provider, body: &Value) -> String {
        let (status, answer) =
            deliver(&self.h.store, provider, &self.account, &self.secrets, body).await;
        assert_eq!(status, 200, "{answer}");
        answer["outcome"].as_str().unwrap().to_owned()
    }

    pub async fn day(&self, date: NaiveDate) -> DayCounts {
        let days = self
            .h
            .store
            .day_counts(&self.account.id, date, date)
            .await
            .unwrap();
        days.into_iter().next().map(|(_, c)| c).unwrap_or_default()
    }
}

/// Cal.com's sample booking, as Cal.com sends it when it is created.
pub async fn calcom_booked<S: Store + 'static>(world: &World<S>) -> AppointmentId {
    world.calcom_has(UID, EMAIL);
    let outcome = world
        .webhook(Provider::Calcom, &sample("calcom-booking-created.json"))
        .await;
    assert_eq!(outcome, "created");
    calcom_id(UID)
}
