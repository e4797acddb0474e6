//! An account with Cal.com, Calendly and a Google Sheet, all fakes, its sheet actions on or
//! off; the people in the sheet, their calls, and what the tests read back.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use shared::accounts::{Account, NewAccount, SheetColumns, SheetRange, SheetSettings};
use shared::domain::{AccountId, AppointmentId, AppointmentStatus, BookingKey, Provider, Secret};
use shared::leads::{Lead, SheetActionResult};
use shared::store::Store;
use shared::sync::{SyncReport, SyncService};
use tokio::time::Instant;

use super::{Calcom, Calendly, Fake};
use crate::fakes::{CALENDLY_ORG, CalcomBooking, CalendlyInvitee, sync_service};
use crate::google::{FakeGoogle, SPREADSHEET};
use crate::stores::Harness;

/// An hour in 2026.
pub fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap()
}

/// Where the sync's clock and the fakes stand.
pub fn now() -> DateTime<Utc> {
    at(3, 20, 12)
}

pub const JANE_EMAIL: &str = "jane@example.com";
pub const BOB_EMAIL: &str = "bob@example.com";
const ROWS: &[&[&str]] = &[
    &["", "Jane", "Doe", "07700 123456", JANE_EMAIL],
    &["", "Bob", "Smith", "07742 201349", BOB_EMAIL],
];

/// The account, its store and the fakes it reaches.
#[allow(missing_debug_implementations)]
pub struct World<S> {
    pub h: Harness<S>,
    pub google: FakeGoogle,
    pub calcom: Fake<Calcom>,
    pub calendly: Fake<Calendly>,
    pub service: SyncService<S>,
    pub account: Account,
}

/// Jane's upcoming Cal.com call.
pub fn jane_call() -> CalcomBooking {
    let mut booking = CalcomBooking::new("JANE-1", "accepted", at(3, 25, 10), at(3, 18, 9));
    booking.name = "Jane Doe".into();
    booking.email = JANE_EMAIL.into();
    booking
}

/// Bob's Calendly call, yesterday.
pub fn bob_call() -> Calendly {
    let mut invitee = CalendlyInvitee::new("EV-BOB", "INV-BOB", at(3, 12, 9));
    invitee.email = BOB_EMAIL.into();
    Calendly::new(now(), vec![("EV-BOB".into(), at(3, 19, 10))], vec![invitee])
}

/// Jane's Cal.com call on an account with sheet actions `on` (or off), synced once: the sheet
/// shows it.
pub async fn jane_booked<S: Store + 'static>(h: Harness<S>, on: bool) -> World<S> {
    let calendly = Calendly::new(now(), vec![], vec![]);
    let w = world(h, on, vec![jane_call()], calendly).await;
    let first = w.sync().await;
    assert!(first.success, "{first:?}");
    assert_eq!(
        w.row_shows(2),
        ("CALL_BOOKED".into(), "10:00 25/03/2026".into())
    );
    w
}

/// An account with both providers and the sheet `ROWS`, its sheet actions `on` or off.
pub async fn world<S: Store + 'static>(
    h: Harness<S>,
    on: bool,
    calcom: Vec<CalcomBooking>,
    calendly: Calendly,
) -> World<S> {
    let google = FakeGoogle::start(ROWS).await;
    let calcom = Fake::start(Calcom::new(now(), calcom)).await;
    let calendly = Fake::start(calendly).await;
    let service = sync_service(
        Arc::clone(&h.store),
        now(),
        [
            &calcom.server.uri(),
            &calendly.server.uri(),
            &google.server.uri(),
        ],
    );
    let (mut account, _) = Account::create(
        NewAccount::new(AccountId::parse("acme").unwrap()),
        at(1, 1, 0),
    );
    account.calcom.api_key = Some(Secret::new("cal_live_test_key").into());
    account.calendly.token = Some(Secret::new("calendly_test_token").into());
    account.calendly.organization = Some(CALENDLY_ORG.into());
    account.google_sheet = Some(SheetSettings {
        spreadsheet_id: SPREADSHEET.into(),
        range: SheetRange::parse("Leads!A2:X").unwrap(),
        columns: SheetColumns::default(),
        credentials: Some(google.credentials()),
        actions: on,
    });
    let account = h.store.create_account(&account).await.unwrap();
    World {
        h,
        google,
        calcom,
        calendly,
        service,
        account,
    }
}

impl<S: Store + 'static> World<S> {
    pub async fn sync(&self) -> SyncReport {
        let deadline = Instant::now() + Duration::from_secs(60);
        self.service
            .sync_account(&self.account, deadline)
            .await
            .unwrap()
    }

    /// The team types `label` into row `row`'s status cell.
    pub fn team_sets(&self, row: usize, label: &str) {
        self.google.state().grid[row - 1][0] = label.into();
    }

    pub fn cell(&self, a1: &str) -> String {
        self.google.state().cell(a1)
    }

    /// Row `row`'s status and call time.
    pub fn row_shows(&self, row: u32) -> (String, String) {
        (self.cell(&format!("A{row}")), self.cell(&format!("X{row}")))
    }

    pub async fn lead_in_row(&self, row: u32) -> Lead {
        let leads = self.h.store.list_leads(&self.account.id, None, 100).await;
        let leads = leads.unwrap().items;
        leads
            .into_iter()
            .find(|l| l.sheet_row == Some(row))
            .unwrap()
    }

    pub async fn status(&self, provider: Provider, key: &str) -> AppointmentStatus {
        let id = appointment(provider, key);
        let found = self.h.store.get_appointment(&self.account.id, &id).await;
        found.unwrap().unwrap().status()
    }

    /// POSTs Cal.com received to cancel a booking.
    pub fn calcom_cancels(&self) -> usize {
        self.calcom.calls("POST", "/cancel").len()
    }
}

pub fn appointment(provider: Provider, key: &str) -> AppointmentId {
    AppointmentId::for_booking(provider, &BookingKey::parse(key).unwrap())
}

/// The result and message of the report's one sheet entry.
pub fn only_note(report: &SyncReport) -> (SheetActionResult, String) {
    let sheet = report.sheet.as_ref().expect("the sheet was read");
    assert_eq!(sheet.actions.len(), 1, "{sheet:?}");
    (sheet.actions[0].result, sheet.actions[0].message.clone())
}

/// The results of the report's sheet entries.
pub fn notes_of(report: &SyncReport) -> Vec<SheetActionResult> {
    let sheet = report.sheet.as_ref().expect("the sheet was read");
    sheet.actions.iter().map(|n| n.result).collect()
}

pub fn changes(report: &SyncReport) -> Vec<(&str, &str)> {
    let updates = report.updates.iter();
    updates
        .map(|u| (u.appointment_id.as_str(), u.change.as_str()))
        .collect()
}
