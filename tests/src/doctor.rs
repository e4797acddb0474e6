//! An account for `doctor` to examine, with everything it looks at: local fakes of Cal.com
//! (`GET /v2/webhooks`, `GET /v2/me`, PROVIDERS.md §7.1), Calendly (`GET /users/me`,
//! `GET /webhook_subscriptions`, §2.8) and Google (`integration_tests::google`), webhooks
//! delivered for real through the webhook service, and the sync's state.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use shared::accounts::{Account, IssuedSecrets, NewAccount, SheetRange, SheetSettings};
use shared::doctor::{CheckName, CheckStatus, DoctorOptions, DoctorReport, run_doctor};
use shared::domain::{AccountId, Provider, Secret};
use shared::providers::calcom::webhooks_api::WEBHOOK_TRIGGERS;
use shared::providers::calendly::api::WEBHOOK_EVENTS;
use shared::store::{Store, SyncRun, SyncState};
use shared::sync::SyncService;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fakes::{CALENDLY_ORG, calendly_me, calendly_page, sync_service};
use crate::google::{FakeGoogle, SPREADSHEET};
use crate::links::{deliver, sample};
use crate::stores::Harness;

/// Where the deployment is.
pub const BASE: &str = "https://bt.example.com";
pub const CALCOM_KEY: &str = "cal_live_doctor_tests";
pub const CALENDLY_TOKEN: &str = "calendly_doctor_token";

/// The doctor's "now": a few hours after the sample Calendly booking was made.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 18, 0, 0).unwrap()
}

/// A Cal.com webhook as `GET /v2/webhooks` lists it.
pub fn calcom_webhook(id: u64, url: &str, active: bool, triggers: &[&str]) -> Value {
    json!({
        "id": id, "subscriberUrl": url, "triggers": triggers, "active": active,
        "payloadTemplate": null, "appId": null, "secret": null, "userId": 42,
        "time": null, "timeUnit": null,
    })
}

/// A Calendly webhook subscription as `GET /webhook_subscriptions` lists it.
pub fn calendly_subscription(uuid: &str, url: &str, state: &str, retry: Option<&str>) -> Value {
    json!({
        "uri": format!("https://api.calendly.com/webhook_subscriptions/{uuid}"),
        "callback_url": url,
        "created_at": "2026-02-01T09:00:00.000000Z",
        "updated_at": "2026-02-01T09:00:00.000000Z",
        "retry_started_at": retry,
        "state": state,
        "events": WEBHOOK_EVENTS,
        "scope": "organization",
        "organization": CALENDLY_ORG,
        "user": null,
        "creator": "https://api.calendly.com/users/4a7e1d2c-6b9f-4c3a-8e21-7d5f0b3c9e64",
    })
}

/// wiremock's default priority, where the healthy answers sit; a test's own answers win.
const DEFAULT: u8 = 5;
const OVERRIDE: u8 = 1;

/// Our URL for a provider's webhooks.
pub fn our_url(provider: &str) -> String {
    format!("{BASE}/webhooks/{provider}/acme")
}

/// The account `acme`, its fakes, and the sync service that reaches them.
#[allow(missing_debug_implementations)]
pub struct World<S> {
    pub h: Harness<S>,
    pub calcom: MockServer,
    pub calendly: MockServer,
    pub google: FakeGoogle,
    pub service: SyncService<S>,
    pub account: Account,
    pub secrets: IssuedSecrets,
}

impl<S: Store + 'static> World<S> {
    /// `acme` with a Cal.com key, a Calendly token and a connected sheet, and fakes that
    /// answer as for a healthy account: both webhooks registered, working, every trigger.
    pub async fn healthy(h: Harness<S>) -> Self {
        let world = Self::bare(h).await;
        let mut account = world.account.clone();
        account.calcom.api_key = Some(Secret::new(CALCOM_KEY).into());
        account.calendly.token = Some(Secret::new(CALENDLY_TOKEN).into());
        account.google_sheet = Some(SheetSettings {
            spreadsheet_id: SPREADSHEET.into(),
            range: SheetRange::parse("Leads!A2:X").unwrap(),
            columns: Default::default(),
            credentials: Some(world.google.credentials()),
            actions: false,
        });
        let account = world.h.store.update_account(&account).await.unwrap();
        let ours = calcom_webhook(1001, &our_url("calcom"), true, &WEBHOOK_TRIGGERS);
        world.list_calcom(&[ours], DEFAULT).await;
        let ours = calendly_subscription("SUB1", &our_url("calendly"), "active", None);
        world.list_calendly(&[ours], DEFAULT).await;
        Mock::given(method("GET"))
            .and(path("/v2/me"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": "success",
                "data": {"id": 42, "username": "tom-hargreaves", "email": "tom.hargreaves@example.com"}
            })))
            .mount(&world.calcom)
            .await;
        Mock::given(method("GET"))
            .and(path("/users/me"))
            .respond_with(ResponseTemplate::new(200).set_body_json(calendly_me()))
            .mount(&world.calendly)
            .await;
        Self { account, ..world }
    }

    /// `acme` with no provider credentials and no sheet; the fakes answer nothing.
    pub async fn bare(h: Harness<S>) -> Self {
        let calcom = MockServer::start().await;
        let calendly = MockServer::start().await;
        let google = FakeGoogle::start(&[&["", "Priya", "Nair", "+447700900123"]]).await;
        let service = sync_service(
            Arc::clone(&h.store),
            now(),
            [&calcom.uri(), &calendly.uri(), &google.server.uri()],
        );
        let id = AccountId::parse("acme").unwrap();
        let created = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let (account, secrets) = Account::create(NewAccount::new(id), created);
        let account = h.store.create_account(&account).await.unwrap();
        Self {
            h,
            calcom,
            calendly,
            google,
            service,
            account,
            secrets,
        }
    }

    /// Cal.com lists these webhooks instead of the healthy account's.
    pub async fn calcom_lists(&self, webhooks: &[Value]) {
        self.list_calcom(webhooks, OVERRIDE).await;
    }

    /// Calendly lists these subscriptions instead of the healthy account's.
    pub async fn calendly_lists(&self, subscriptions: &[Value]) {
        self.list_calendly(subscriptions, OVERRIDE).await;
    }

    async fn list_calcom(&self, webhooks: &[Value], priority: u8) {
        Mock::given(method("GET"))
            .and(path("/v2/webhooks"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"status": "success", "data": webhooks})),
            )
            .with_priority(priority)
            .mount(&self.calcom)
            .await;
    }

    async fn list_calendly(&self, subscriptions: &[Value], priority: u8) {
        Mock::given(method("GET"))
            .and(path("/webhook_subscriptions"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(calendly_page(subscriptions.to_vec(), None)),
            )
            .with_priority(priority)
            .mount(&self.calendly)
            .await;
    }

    /// The sample bookings of both providers, delivered and signed as the providers would.
    pub async fn deliver_bookings(&self) {
        for (provider, name) in [
            (Provider::Calcom, "calcom-booking-created.json"),
            (Provider::Calendly, "calendly-invitee-created.json"),
        ] {
            let (status, body) = deliver(
                &self.h.store,
                provider,
                &self.account,
                &self.secrets,
                &sample(name),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
    }

    /// `times` Cal.com bookings signed with another account's secret, an hour before now.
    pub async fn deliver_badly_signed(&self, times: usize) {
        let other = AccountId::parse("someone-else").unwrap();
        let (_, wrong) = Account::create(NewAccount::new(other), now());
        for i in 0..times {
            let mut body = sample("calcom-booking-created.json");
            body["createdAt"] = format!("2026-03-04T17:0{i}:00.000Z").into();
            let (status, answer) = deliver(
                &self.h.store,
                Provider::Calcom,
                &self.account,
                &wrong,
                &body,
            )
            .await;
            assert_eq!(
                (status, answer["error"]["code"].as_str()),
                (401, Some("invalid_signature"))
            );
        }
    }

    /// Records a sync run at `at`.
    pub async fn synced(&self, at: DateTime<Utc>, ok: bool) {
        let state = SyncState {
            last_run: Some(SyncRun {
                at,
                ok,
                bookings_found: 2,
                updates_applied: 0,
                errors: u64::from(!ok),
            }),
            ..SyncState::default()
        };
        self.h
            .store
            .save_sync_state(&self.account.id, &state)
            .await
            .unwrap();
    }

    pub async fn doctor(&self) -> DoctorReport {
        self.doctor_with(&DoctorOptions::default()).await
    }

    pub async fn doctor_with(&self, options: &DoctorOptions) -> DoctorReport {
        let report = run_doctor(&self.service, &self.account, options).await;
        let names: Vec<CheckName> = report.checks.iter().map(|c| c.check).collect();
        assert_eq!(names, CheckName::ALL, "every check, in the fixed order");
        report
    }
}

/// A check's detail and fix (empty when none), once its status is `want` (the whole report
/// shown when it is not) and it has a fix exactly when it is not ok.
pub fn expect(report: &DoctorReport, name: CheckName, want: CheckStatus) -> (String, String) {
    let check = report.check(name).unwrap();
    assert_eq!(check.status, want, "{name:?}: {report:#?}");
    assert_eq!(
        check.fix.is_none(),
        want == CheckStatus::Ok,
        "a fix exactly when not ok: {check:?}"
    );
    (check.detail.clone(), check.fix.clone().unwrap_or_default())
}

/// How long a hanging fake holds its answer: far past any check's budget.
pub const HANG: Duration = Duration::from_secs(60);
