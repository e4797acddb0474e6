//! The Google Sheet lead directory against a local fake of Google's token endpoint and the Sheets
//! API (`integration_tests::google`): the previous system's scenarios, run through the sync.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use integration_tests::fakes::fast_retries;
use integration_tests::google::{CLIENT_EMAIL, FakeGoogle, SPREADSHEET};
use integration_tests::stores::Harness;
use shared::accounts::{
    Account, LinkSettings, NewAccount, SheetColumns, SheetRange, SheetSettings,
};
use shared::clock::FixedClock;
use shared::domain::{
    AccountId, Attendee, Attribution, BookingEvent, BookingKey, Email, EventKind, Phone, Provider,
    Region,
};
use shared::ingest::apply_event;
use shared::leads::{Lead, LeadSource};
use shared::outbound::ProviderHttp;
use shared::sheets::SheetsClient;
use shared::store::prelude::*;
use shared::store::sqlite::SqliteStore;
use shared::sync::{SyncReport, SyncService};
use tokio::time::Instant;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    at(3, 20, 12)
}

struct World {
    h: Harness<SqliteStore>,
    google: FakeGoogle,
    service: SyncService<SqliteStore>,
    account: Account,
}

/// An account on the London clock whose sheet holds `rows` from row 2.
async fn world(rows: &[&[&str]]) -> World {
    world_with(rows, SheetColumns::default(), LinkSettings::default()).await
}

/// [`world`] with other columns and link settings.
async fn world_with(rows: &[&[&str]], columns: SheetColumns, links: LinkSettings) -> World {
    let h = Harness::sqlite().await;
    let google = FakeGoogle::start(rows).await;
    let http = ProviderHttp::new(fast_retries()).unwrap();
    let service = SyncService::new(
        Arc::clone(&h.store),
        Arc::new(FixedClock(now())),
        http.clone(),
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        SheetsClient::new(&http, &google.server.uri()),
    );
    let (mut account, _) = Account::create(
        NewAccount::new(AccountId::parse("acme").unwrap()),
        at(1, 1, 0),
    );
    account.google_sheet = Some(SheetSettings {
        spreadsheet_id: SPREADSHEET.into(),
        range: SheetRange::parse("Leads!A2:X").unwrap(),
        columns,
        credentials: Some(google.credentials()),
        actions: false,
    });
    account.links = links;
    let account = h.store.create_account(&account).await.unwrap();
    World {
        h,
        google,
        service,
        account,
    }
}

impl World {
    async fn sync(&self) -> SyncReport {
        self.service
            .sync_account(&self.account, Instant::now() + Duration::from_secs(60))
            .await
            .unwrap()
    }

    async fn book(&self, uid: &str, kind: EventKind, who: Attendee, start: DateTime<Utc>) {
        let event = BookingEvent {
            provider: Provider::Calcom,
            kind,
            key: BookingKey::parse(uid).unwrap(),
            predecessor: None,
            successor: None,
            start: Some(start),
            end: Some(start + chrono::Duration::minutes(30)),
            attendee: who,
            event_type: Some("Discovery call".into()),
            occurred_at: now() + chrono::Duration::seconds(self.sequence()),
            booked_at: None,
            trigger: "test".into(),
            tracking: Default::default(),
        };
        apply_event(&*self.h.store, &self.account, &event, None, now())
            .await
            .unwrap();
    }

    fn sequence(&self) -> i64 {
        use std::sync::atomic::{AtomicI64, Ordering};
        static NEXT: AtomicI64 = AtomicI64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    async fn leads(&self) -> Vec<Lead> {
        self.h
            .store
            .list_leads(&self.account.id, None, 1000)
            .await
            .unwrap()
            .items
    }

    fn writes(&self) -> (usize, usize) {
        let state = self.google.state();
        (state.batch_updates.len(), state.appends.len())
    }
}

fn jane() -> Attendee {
    Attendee {
        name: Some("Jane Doe".into()),
        email: Some(Email::parse("jane.d@othermail.example").unwrap()),
        phone: Some(Phone::parse("+447700123456", Region::GB).unwrap()),
    }
}

const SHEET: &[&[&str]] = &[
    &["", "Jane", "Doe", "07700 123456", "jane@example.com"],
    &[
        "NEW",
        "Bob",
        "Smith",
        "07742 201349",
        "",
        "notes the team keeps",
    ],
];

#[tokio::test]
async fn a_booking_matched_by_the_sheets_phone_is_written_back_in_one_call() {
    let w = world(SHEET).await;
    let first = w.sync().await;
    assert!(first.success, "{first:?}");
    let pulled = first.sheet.clone().unwrap();
    assert_eq!((pulled.rows_read, pulled.imported), (2, 2));
    assert_eq!(w.writes(), (0, 0), "nothing booked yet, nothing written");
    let leads = w.leads().await;
    let sheet_jane = leads
        .iter()
        .find(|l| l.phone.as_ref().map(Phone::as_str) == Some("+447700123456"))
        .expect("the sheet's 07700 123456 is read as +447700123456");
    assert_eq!(sheet_jane.sheet_row, Some(2));
    assert_eq!(sheet_jane.source, LeadSource::Sheet);

    // The webhook matches the sheet's lead by phone, although the email differs.
    w.book("JANE-1", EventKind::Booked, jane(), at(3, 25, 10))
        .await;
    assert_eq!(
        w.leads().await.len(),
        2,
        "no lead created: matched by phone"
    );

    let report = w.sync().await;
    assert!(report.success, "{report:?}");
    assert_eq!(report.sheet.as_ref().unwrap().cells_written, 2);
    let state = w.google.state();
    assert_eq!(state.batch_updates.len(), 1, "one values:batchUpdate");
    assert_eq!(
        state.batch_updates[0],
        vec![
            ("Leads!A2".to_owned(), "CALL_BOOKED".to_owned()),
            ("Leads!X2".to_owned(), "10:00 25/03/2026".to_owned()),
        ]
    );
    assert_eq!(
        state.row(2)[..5],
        [
            "CALL_BOOKED",
            "Jane",
            "Doe",
            "07700 123456",
            "jane@example.com"
        ],
        "the team's columns are untouched"
    );
    assert_eq!(
        state.row(3),
        vec![
            "NEW",
            "Bob",
            "Smith",
            "07742 201349",
            "",
            "notes the team keeps"
        ],
        "other rows are untouched"
    );
    assert!(state.appends.is_empty());
}

#[tokio::test]
async fn someone_not_in_the_sheet_is_appended_once() {
    let w = world(SHEET).await;
    w.sync().await;
    let stranger = Attendee {
        name: Some("Priya van der Berg".into()),
        email: Some(Email::parse("Priya@Example.org").unwrap()),
        phone: None,
    };
    w.book("PRIYA-1", EventKind::Booked, stranger, at(3, 26, 15))
        .await;

    let report = w.sync().await;
    assert!(report.success, "{report:?}");
    assert_eq!(report.sheet.as_ref().unwrap().rows_appended, 1);
    {
        let state = w.google.state();
        assert_eq!(state.appends.len(), 1);
        let mut expected = vec![String::new(); 24];
        expected[0] = "CALL_BOOKED".into();
        expected[1] = "Priya".into();
        expected[2] = "van der Berg".into();
        expected[4] = "priya@example.org".into();
        expected[23] = "15:00 26/03/2026".into();
        assert_eq!(state.appends[0], vec![expected]);
        assert_eq!(state.cell("B4"), "Priya");
    }
    let priya = w
        .leads()
        .await
        .into_iter()
        .find(|l| l.name.as_deref() == Some("Priya van der Berg"))
        .unwrap();
    assert_eq!(priya.sheet_row, Some(4), "the row it landed on is kept");

    // The next run reads the appended row back as the same lead, and writes nothing.
    let again = w.sync().await;
    assert!(again.success, "{again:?}");
    assert_eq!(w.writes(), (0, 1));
    let sheet = again.sheet.unwrap();
    assert_eq!((sheet.imported, sheet.updated), (0, 0));
    assert_eq!(w.leads().await.len(), 3);
}

#[tokio::test]
async fn the_same_person_booking_twice_shows_the_next_upcoming_call() {
    let w = world(SHEET).await;
    w.sync().await;
    w.book("JANE-LATER", EventKind::Booked, jane(), at(3, 28, 9))
        .await;
    w.book("JANE-SOONER", EventKind::Booked, jane(), at(3, 25, 16))
        .await;
    w.sync().await;
    assert_eq!(w.google.state().cell("X2"), "16:00 25/03/2026");

    // The sooner call is cancelled: the later one is next, and the lead is still booked.
    w.book("JANE-SOONER", EventKind::Cancelled, jane(), at(3, 25, 16))
        .await;
    w.sync().await;
    let state = w.google.state();
    assert_eq!(state.cell("X2"), "09:00 28/03/2026");
    assert_eq!(state.cell("A2"), "CALL_BOOKED");
    assert_eq!(
        state.batch_updates.last().unwrap(),
        &vec![("Leads!X2".to_owned(), "09:00 28/03/2026".to_owned())],
        "only the changed cell"
    );
}

#[tokio::test]
async fn cancellations_and_no_shows_write_their_labels_and_a_team_edit_is_kept() {
    let w = world(SHEET).await;
    w.sync().await;
    w.book("JANE-1", EventKind::Booked, jane(), at(3, 25, 10))
        .await;
    w.sync().await;
    w.book("JANE-1", EventKind::Cancelled, jane(), at(3, 25, 10))
        .await;
    w.sync().await;
    assert_eq!(w.google.state().cell("A2"), "CALL_CANCELLED");
    assert_eq!(w.google.state().cell("X2"), "10:00 25/03/2026");

    w.book("JANE-2", EventKind::Booked, jane(), at(3, 27, 11))
        .await;
    w.book("JANE-2", EventKind::NoShowMarked, jane(), at(3, 27, 11))
        .await;
    w.sync().await;
    assert_eq!(w.google.state().cell("A2"), "NO_SHOW");
    assert_eq!(w.google.state().cell("X2"), "11:00 27/03/2026");

    // The team follows up and relabels the row: nothing new happened, so it stays theirs.
    w.google.state().grid[1][0] = "FOLLOW_UP".into();
    let writes = w.writes();
    let report = w.sync().await;
    assert!(report.success, "{report:?}");
    assert_eq!(
        w.writes(),
        writes,
        "a second push with nothing new writes nothing"
    );
    assert_eq!(w.google.state().cell("A2"), "FOLLOW_UP");
    let jane = w
        .leads()
        .await
        .into_iter()
        .find(|l| l.sheet_row == Some(2))
        .unwrap();
    assert_eq!(jane.status.as_deref(), Some("FOLLOW_UP"), "pulled back");
}

#[tokio::test]
async fn a_rate_limited_write_is_retried_with_backoff() {
    let w = world(SHEET).await;
    w.sync().await;
    w.book("JANE-1", EventKind::Booked, jane(), at(3, 25, 10))
        .await;
    w.google.fail_writes(FakeGoogle::quota_exceeded(), 1).await;
    let report = w.sync().await;
    assert!(report.success, "{report:?}");
    assert_eq!(w.google.state().cell("A2"), "CALL_BOOKED");
}

#[tokio::test]
async fn a_failed_push_is_reported_never_blocks_the_run_and_is_made_next_run() {
    let w = world(SHEET).await;
    w.sync().await;
    w.book("JANE-1", EventKind::Booked, jane(), at(3, 25, 10))
        .await;
    w.google.fail_writes(ResponseTemplate::new(503), 3).await;
    let failed = w.sync().await;
    assert!(!failed.success);
    assert_eq!(failed.errors.len(), 1, "{failed:?}");
    assert_eq!(failed.errors[0].provider, "google_sheets");
    assert_eq!(failed.errors[0].code, "provider_error");
    assert_eq!(w.google.state().cell("A2"), "");

    let next = w.sync().await;
    assert!(next.success, "{next:?}");
    assert_eq!(w.google.state().cell("A2"), "CALL_BOOKED");
}

#[tokio::test]
async fn a_token_google_stops_taking_mid_run_is_replaced() {
    let w = world(SHEET).await;
    w.sync().await;
    assert_eq!(w.google.state().token_requests, 1);
    w.sync().await;
    assert_eq!(
        w.google.state().token_requests,
        1,
        "the token is cached across runs"
    );

    // From now on each token is good for one call: the pull spends it, the push finds it
    // refused and fetches another.
    w.google.state().uses_per_token = Some(1);
    w.google.state().tokens_expire_now();
    w.book("JANE-1", EventKind::Booked, jane(), at(3, 25, 10))
        .await;
    let report = w.sync().await;
    assert!(report.success, "{report:?}");
    assert_eq!(w.google.state().cell("A2"), "CALL_BOOKED");
    assert_eq!(w.google.state().token_requests, 3);
}

#[tokio::test]
async fn a_token_about_to_expire_is_not_used() {
    let w = world(SHEET).await;
    w.google.state().expires_in = 30;
    w.sync().await;
    w.sync().await;
    assert_eq!(
        w.google.state().token_requests,
        2,
        "a token with under a minute left is replaced before use"
    );
}

#[tokio::test]
async fn rows_without_phone_or_email_are_reported_not_imported() {
    let w = world(&[
        &["", "Nobody", "Reachable", "", ""],
        &[],
        &["", "Bad", "Phone", "12", ""],
        &["", "Jane", "Doe", "07700 123456", ""],
        &["", "Jane", "Again", "+44 7700 123456", ""],
    ])
    .await;
    let report = w.sync().await;
    let sheet = report.sheet.unwrap();
    assert_eq!(sheet.imported, 1);
    assert_eq!(sheet.duplicates, 1, "row 6 repeats row 5's phone");
    let lines: Vec<usize> = sheet.invalid.iter().map(|i| i.line).collect();
    assert_eq!(
        lines,
        vec![2, 4],
        "reported by sheet row; the blank row is skipped"
    );
    assert!(sheet.invalid[0].reason.contains("no phone or email"));
    assert_eq!(w.leads().await.len(), 1);
}

#[tokio::test]
async fn a_sheet_not_shared_with_the_service_account_says_so() {
    let w = world(SHEET).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v4/spreadsheets/"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}
        })))
        .with_priority(1)
        .mount(&w.google.server)
        .await;
    let report = w.sync().await;
    assert!(!report.success);
    assert_eq!(report.errors[0].code, "unauthorized");
    assert!(
        report.errors[0].message.contains(CLIENT_EMAIL),
        "{:?}",
        report.errors[0]
    );
    assert!(
        !report.errors[0].message.contains("PRIVATE KEY"),
        "the key never shows"
    );
}

#[tokio::test]
async fn campaign_and_source_are_read_and_each_lead_gets_its_link_written_once() {
    let columns = SheetColumns::default()
        .with_spec("campaign=F,source=G,link=H")
        .unwrap();
    let links = LinkSettings {
        booking_url: Some("https://calendly.com/acme/intro?month=2026-04".into()),
        ..LinkSettings::default()
    };
    let w = world_with(
        &[
            &[
                "",
                "Jane",
                "Doe",
                "07700 123456",
                "jane@example.com",
                "spring",
                "linkedin",
            ],
            &["", "Bob", "Smith", "12", "bob@example.com", "", "referral"],
        ],
        columns,
        links,
    )
    .await;
    let first = w.sync().await;
    assert!(first.success, "{first:?}");
    let sheet = first.sheet.unwrap();
    assert_eq!(sheet.imported, 2);
    assert!(sheet.invalid.is_empty(), "{sheet:?}");
    assert_eq!(sheet.warnings.len(), 1, "{sheet:?}");
    assert_eq!(sheet.warnings[0].line, 3);
    assert!(sheet.warnings[0].reason.contains("imported by its email"));

    let leads = w.leads().await;
    let by_email = |email: &str| {
        leads
            .iter()
            .find(|l| l.email.as_ref().map(Email::as_str) == Some(email))
            .unwrap()
            .clone()
    };
    let (jane, bob) = (by_email("jane@example.com"), by_email("bob@example.com"));
    assert_eq!(
        jane.attribution,
        Attribution::new(Some("spring"), Some("linkedin"))
    );
    assert_eq!(bob.attribution, Attribution::new(None, Some("referral")));
    assert_eq!(bob.phone, None, "the unusable phone is left out");
    {
        let state = w.google.state();
        assert_eq!(state.batch_updates.len(), 1, "both links in one call");
        assert_eq!(
            state.cell("H2"),
            format!(
                "https://calendly.com/acme/intro?month=2026-04&utm_content={}&utm_campaign=spring\
                 &utm_source=linkedin&name=Jane+Doe&email=jane%40example.com",
                jane.id
            )
        );
        assert!(
            state
                .cell("H3")
                .contains(&format!("utm_content={}", bob.id))
        );
        assert_eq!(state.cell("A2"), "", "no booking, no label");
    }

    let again = w.sync().await;
    assert_eq!(
        again.sheet.unwrap().cells_written,
        0,
        "links already in place"
    );

    // The team moves Jane to another campaign: the pull takes it, the push rewrites her link.
    w.google.state().grid[1][5] = "summer".into();
    let moved = w.sync().await;
    assert_eq!(moved.sheet.unwrap().cells_written, 1);
    assert!(w.google.state().cell("H2").contains("utm_campaign=summer"));
}
