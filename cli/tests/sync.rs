//! `booking-tracker sync` through the binary: one run per account at a time (SPEC §5), and the
//! pool's flags.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, Utc};
use integration_tests::fakes::calcom_page;
use serde_json::Value;
use shared::domain::AccountId;
use shared::store::sqlite::SqliteStore;
use shared::store::{LeaseTaken, SyncLease, SyncStates};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;

use common::run;

/// Exit code and stdout as JSON (or raw).
fn cli(store: &str, calcom: &str, args: &[&str]) -> (i32, Value) {
    let (code, value, _) = run(store, &[("CALCOM_API_URL", calcom)], true, args);
    (code, value)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_while_another_run_holds_the_account_exits_1_with_sync_in_progress() {
    let calcom = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calcom_page(&[], 1, 100, 0)))
        .mount(&calcom)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bt.db");
    let store = format!("sqlite:{}", db.display());
    let url = calcom.uri();
    for args in [
        &["accounts", "create", "acme"][..],
        &[
            "accounts",
            "update",
            "acme",
            "--calcom-api-key",
            "cal_live_cli",
        ],
    ] {
        assert_eq!(cli(&store, &url, args).0, 0, "{args:?}");
    }
    let (code, report) = cli(&store, &url, &["sync", "acme"]);
    assert_eq!(
        (code, &report["success"]),
        (0, &Value::Bool(true)),
        "{report}"
    );

    // Another run (another process) holds the lease for ten minutes.
    let other = SqliteStore::open(&db).await.unwrap();
    let acme = AccountId::parse("acme").unwrap();
    let lease = SyncLease {
        holder: "another-process".into(),
        expires_at: Utc::now() + Duration::minutes(10),
    };
    assert_eq!(
        other
            .take_sync_lease(&acme, &lease, Utc::now())
            .await
            .unwrap(),
        LeaseTaken::Taken
    );
    let (code, answer) = cli(&store, &url, &["sync", "acme"]);
    assert_eq!(code, 1, "{answer}");
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"]["code"], "sync_in_progress", "{answer}");
    let (code, reports) = cli(&store, &url, &["sync", "--all", "--concurrency", "2"]);
    assert_eq!(code, 1);
    assert_eq!(
        reports[0]["errors"][0]["code"], "sync_in_progress",
        "{reports}"
    );

    // Given back, the account syncs again.
    other
        .release_sync_lease(&acme, "another-process")
        .await
        .unwrap();
    let (code, reports) = cli(&store, &url, &["sync", "--all"]);
    assert_eq!(code, 0, "{reports}");
    assert_eq!(reports.as_array().unwrap().len(), 1);
}

#[test]
fn the_pool_size_is_a_usage_error_when_out_of_range_or_without_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    assert_eq!(
        cli(
            &store,
            "http://127.0.0.1:9",
            &["sync", "--all", "--concurrency", "0"]
        )
        .0,
        2
    );
    assert_eq!(
        cli(
            &store,
            "http://127.0.0.1:9",
            &["sync", "acme", "--concurrency", "4"]
        )
        .0,
        2
    );
}
