//! Connecting a Google Sheet and keeping it in step through the real binary, against the local
//! Google fake (`integration_tests::google`).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use chrono::{DateTime, Duration, Utc};

use integration_tests::google::{CLIENT_EMAIL, FakeGoogle, SPREADSHEET};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_booking-tracker");

/// Exit code, stdout as JSON (or raw), and stdout and stderr as text.
fn cli(store: &str, google: &FakeGoogle, args: &[&str]) -> (i32, Value, String) {
    let output = Command::new(BIN)
        .env("BOOKING_TRACKER_STORE", store)
        .env("GOOGLE_SHEETS_API_URL", google.server.uri())
        .env("RUST_LOG", "debug")
        .arg("--json")
        .args(args)
        .output()
        .expect("the CLI runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let value = serde_json::from_str(&stdout).unwrap_or(Value::String(stdout.clone()));
    (
        output.status.code().unwrap_or(-1),
        value,
        format!("{stdout}\n{stderr}"),
    )
}

/// A SQLite store (in the returned directory) whose account `acme` is connected to the fake's
/// sheet, named by `sheet` (an id or a URL), with `more` flags of `accounts update`; and what
/// that update printed.
fn connected(
    google: &FakeGoogle,
    sheet: &str,
    more: &[&str],
) -> (tempfile::TempDir, String, (i32, Value, String)) {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    let key_file = dir.path().join("service-account.json");
    std::fs::write(&key_file, google.key_file()).unwrap();
    assert_eq!(cli(&store, google, &["accounts", "create", "acme"]).0, 0);
    let connect = [
        "accounts",
        "update",
        "acme",
        "--google-sheet",
        sheet,
        "--google-credentials",
        key_file.to_str().unwrap(),
    ];
    let updated = cli(&store, google, &[&connect[..], more].concat());
    (dir, store, updated)
}

/// When Jane's manual call is: 10:00 UTC thirty days from now. A call must still be ahead when
/// `sync` runs (it completes past manual calls), whatever day the tests run on.
fn janes_call_at() -> DateTime<Utc> {
    let day = (Utc::now() + Duration::days(30)).date_naive();
    day.and_hms_opt(10, 0, 0).unwrap().and_utc()
}

/// Records Jane's manual call ([`janes_call_at`]), found by `contact` (`--phone P` or `--email E`);
/// returns its time.
fn add_janes_call(store: &str, google: &FakeGoogle, contact: &[&str]) -> DateTime<Utc> {
    let add = ["appointments", "add", "acme", "--name", "Jane Doe"];
    let when = janes_call_at();
    let at = when.to_rfc3339();
    let at = ["--at", at.as_str()];
    let (code, _, text) = cli(store, google, &[&add[..], contact, &at].concat());
    assert_eq!(code, 0, "{text}");
    when
}

#[tokio::test]
async fn a_team_connects_its_sheet_and_sees_bookings_in_it() {
    let google = FakeGoogle::start(&[
        &["", "Jane", "Doe", "07700 123456", "jane@example.com"],
        &["NEW", "Bob", "Smith", "07742 201349", ""],
    ])
    .await;
    let url = format!("https://docs.google.com/spreadsheets/d/{SPREADSHEET}/edit#gid=0");
    let (_dir, store, (code, shown, text)) = connected(&google, &url, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(shown["googleSheet"]["spreadsheetId"], SPREADSHEET);
    assert_eq!(shown["googleSheet"]["range"], "Leads!A2:X");
    assert_eq!(shown["googleSheet"]["columns"]["booked"], "X");
    assert_eq!(shown["googleSheet"]["serviceAccount"], CLIENT_EMAIL);
    assert!(!text.contains("PRIVATE KEY"), "the key is never shown");
    let (_, _, text) = cli(&store, &google, &["accounts", "show", "acme"]);
    assert!(!text.contains("PRIVATE KEY"));

    // A column outside the range is refused, and nothing changes.
    let (code, refused, _) = cli(
        &store,
        &google,
        &["accounts", "update", "acme", "--sheet-columns", "phone=Z"],
    );
    assert_eq!(code, 1);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("outside the range"),
        "{refused}"
    );

    let (code, pulled, text) = cli(&store, &google, &["sheets", "pull", "acme"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(pulled["rowsRead"], 2);
    assert_eq!(pulled["imported"], 2);

    let call = add_janes_call(&store, &google, &["--phone", "+44 7700 123456"]);

    let (code, pushed, text) = cli(&store, &google, &["sheets", "push", "acme"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(pushed["cellsWritten"], 2, "{pushed}");
    assert_eq!(pushed["rowsAppended"], 0);
    assert!(!text.contains("PRIVATE KEY") && !text.contains("ya29."));
    {
        let state = google.state();
        assert_eq!(state.cell("A2"), "CALL_BOOKED");
        // As the account's time zone (London, the default) shows it.
        let shown = call.with_timezone(&chrono_tz::Europe::London);
        assert_eq!(state.cell("X2"), shown.format("%H:%M %d/%m/%Y").to_string());
        assert_eq!(state.cell("A3"), "NEW");
    }

    let (code, again, _) = cli(&store, &google, &["sheets", "push", "acme"]);
    assert_eq!(code, 0);
    assert_eq!(again["cellsWritten"], 0);
    assert_eq!(google.state().batch_updates.len(), 1);

    // The hourly sync does the same for an account with only a sheet.
    let (code, report, text) = cli(&store, &google, &["sync", "acme"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["success"], true);
    assert_eq!(report["sheet"]["rowsRead"], 2);
}

#[tokio::test]
async fn a_bad_key_file_is_refused_with_its_reason() {
    let google = FakeGoogle::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    let key_file = dir.path().join("oauth-client.json");
    std::fs::write(&key_file, r#"{"installed": {"client_id": "x"}}"#).unwrap();
    assert_eq!(cli(&store, &google, &["accounts", "create", "acme"]).0, 0);
    let (code, refused, _) = cli(
        &store,
        &google,
        &[
            "accounts",
            "update",
            "acme",
            "--google-sheet",
            SPREADSHEET,
            "--google-credentials",
            key_file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("service_account"),
        "{refused}"
    );
    let (_, shown, _) = cli(&store, &google, &["accounts", "show", "acme"]);
    assert_eq!(shown["googleSheet"], Value::Null, "nothing was saved");
    let (code, _, text) = cli(&store, &google, &["sheets", "pull", "acme"]);
    assert_eq!(code, 1);
    assert!(text.contains("--google-sheet"), "{text}");
}

#[tokio::test]
async fn a_link_column_gets_each_leads_booking_link_with_the_sheets_campaign() {
    let google = FakeGoogle::start(&[&[
        "",
        "Jane",
        "Doe",
        "07700 123456",
        "jane@example.com",
        "spring",
    ]])
    .await;
    let (_dir, store, (code, shown, text)) = connected(
        &google,
        SPREADSHEET,
        &[
            "--sheet-columns",
            "campaign=F,link=H",
            "--booking-url",
            "https://calendly.com/acme/intro",
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(shown["googleSheet"]["columns"]["campaign"], "F");
    assert_eq!(shown["googleSheet"]["columns"]["link"], "H");
    assert_eq!(shown["googleSheet"]["columns"]["source"], Value::Null);

    let (code, pushed, text) = cli(&store, &google, &["sheets", "push", "acme"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(pushed["cellsWritten"], 1, "{pushed}");
    let (_, leads, _) = cli(&store, &google, &["leads", "list", "acme"]);
    let jane = leads[0]["leadId"].as_str().unwrap();
    assert_eq!(
        google.state().cell("H2"),
        format!(
            "https://calendly.com/acme/intro?utm_content={jane}&utm_campaign=spring\
             &name=Jane+Doe&email=jane%40example.com"
        )
    );
    let (_, again, _) = cli(&store, &google, &["sheets", "push", "acme"]);
    assert_eq!(again["cellsWritten"], 0, "the link is written once");
}

#[tokio::test]
async fn sheet_actions_are_off_until_turned_on_and_can_be_turned_off_again() {
    let google = FakeGoogle::start(&[]).await;
    let (_dir, store, (code, shown, text)) = connected(&google, SPREADSHEET, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(shown["googleSheet"]["actions"], false, "off by default");

    let update = |value: &str| {
        cli(
            &store,
            &google,
            &["accounts", "update", "acme", "--sheet-actions", value],
        )
    };
    let (code, shown, text) = update("on");
    assert_eq!(code, 0, "{text}");
    assert_eq!(shown["googleSheet"]["actions"], true);
    let (_, shown, _) = cli(&store, &google, &["accounts", "show", "acme"]);
    assert_eq!(shown["googleSheet"]["actions"], true, "saved");
    let table = Command::new(BIN)
        .env("BOOKING_TRACKER_STORE", &store)
        .args(["accounts", "show", "acme"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("status edits act on bookings"), "{table}");

    let (code, shown, text) = update("off");
    assert_eq!(code, 0, "{text}");
    assert_eq!(shown["googleSheet"]["actions"], false);

    let (code, _, text) = update("maybe");
    assert_ne!(code, 0, "only on or off: {text}");

    // Without a sheet there is nothing to act from.
    cli(
        &store,
        &google,
        &["accounts", "update", "acme", "--no-google-sheet"],
    );
    let (code, refused, _) = update("on");
    assert_eq!(code, 1);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--google-sheet"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_manual_call_the_team_marks_cancelled_in_the_sheet_is_cancelled_here() {
    let google =
        FakeGoogle::start(&[&["", "Jane", "Doe", "07700 123456", "jane@example.com"]]).await;
    let (_dir, store, (code, _, text)) =
        connected(&google, SPREADSHEET, &["--sheet-actions", "on"]);
    assert_eq!(code, 0, "{text}");
    let _ = add_janes_call(&store, &google, &["--email", "jane@example.com"]);
    let (code, _, text) = cli(&store, &google, &["sync", "acme"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(google.state().cell("A2"), "CALL_BOOKED");

    google.state().grid[1][0] = "CALL_CANCELLED".into();
    let (code, report, text) = cli(&store, &google, &["sync", "acme"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        report["updates"][0]["change"], "cancelled_from_sheet",
        "{report}"
    );
    let note = &report["sheet"]["actions"][0];
    assert_eq!(
        (note["line"].as_u64(), note["result"].as_str()),
        (Some(2), Some("done"))
    );
    let (_, listed, _) = cli(&store, &google, &["appointments", "list", "acme"]);
    assert_eq!(listed[0]["status"], "cancelled", "{listed}");
    assert_eq!(google.state().cell("A2"), "CALL_CANCELLED");
}
