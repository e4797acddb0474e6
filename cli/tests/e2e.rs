//! End to end, through the real binary: create an account and import leads with the CLI, start
//! `booking-tracker serve` on a free port, post every provider sample signed, and check outcomes,
//! appointments, leads and deliveries through the CLI. Once on SQLite, once on DynamoDB Local.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use chrono::Utc;
use integration_tests::{compact, provider_fixture};
use serde_json::{Value, json};
use shared::domain::Secret;
use shared::providers::{calcom, calendly};

mod common;

use common::{BIN, Server};

/// Runs the CLI with `--json` and returns its exit code and parsed output.
fn cli(store: &str, args: &[&str]) -> (i32, Value) {
    cli_env(store, &[], args)
}

/// [`cli`] with more environment (a DynamoDB store's `KMS_KEY_ID`).
fn cli_env(store: &str, env: &[(&str, &str)], args: &[&str]) -> (i32, Value) {
    let output = Command::new(BIN)
        .env("BOOKING_TRACKER_STORE", store)
        .envs(env.iter().copied())
        .arg("--json")
        .args(args)
        .output()
        .expect("the CLI runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(&stdout).unwrap_or_else(
        |_| json!({ "raw": stdout, "stderr": String::from_utf8_lossy(&output.stderr) }),
    );
    (output.status.code().unwrap_or(-1), value)
}

struct Account {
    id: String,
    calcom_secret: Secret,
    calendly_key: Secret,
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn send_calcom(
    client: &reqwest::Client,
    server: &Server,
    account: &Account,
    fixture: &str,
) -> (u16, Value) {
    let body = compact(&provider_fixture(fixture));
    let signature = calcom::sign(&account.calcom_secret, &body);
    let url = format!("{}/webhooks/calcom/{}", server.url, account.id);
    post(client, &url, &[("x-cal-signature-256", signature)], body).await
}

async fn send_calendly(
    client: &reqwest::Client,
    server: &Server,
    account: &Account,
    fixture: &str,
) -> (u16, Value) {
    let body = provider_fixture(fixture);
    let header = calendly::sign(&account.calendly_key, Utc::now().timestamp(), &body);
    let url = format!("{}/webhooks/calendly/{}", server.url, account.id);
    post(
        client,
        &url,
        &[("calendly-webhook-signature", header)],
        body,
    )
    .await
}

const LEADS_CSV: &str = "\
Name,Phone,Email,Status
Marcus Ellery,+1 202-555-0177,,NEW
Jamie Rivera,,Jamie.Rivera@example.org,NEW
Dana Whitfield,(202) 555-0143,dana@elsewhere.example,NEW
Nobody,,,NEW
";

async fn scenario(store: &str, env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let (code, init) = cli_env(store, env, &["init"]);
    assert_eq!(code, 0, "{init}");

    let (code, created) = cli_env(
        store,
        env,
        &["accounts", "create", "acme", "--phone-region", "US"],
    );
    assert_eq!(code, 0, "{created}");
    let account = Account {
        id: created["accountId"].as_str().unwrap().to_owned(),
        calcom_secret: Secret::new(created["calcomWebhookSecret"].as_str().unwrap()),
        calendly_key: Secret::new(created["calendlySigningKey"].as_str().unwrap()),
    };
    assert_eq!(created["webhookPaths"]["calcom"], "/webhooks/calcom/acme");
    assert!(created["apiKey"].as_str().unwrap().starts_with("btk_"));

    let csv = dir.path().join("leads.csv");
    std::fs::write(&csv, LEADS_CSV).unwrap();
    let (code, report) = cli_env(
        store,
        env,
        &["leads", "import", "acme", csv.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["imported"], 3);
    assert_eq!(
        report["invalid"],
        json!([{"line": 5, "reason": "no phone or email: a lead needs one to be matched"}])
    );

    let server = Server::start_with(store, env);
    let client = reqwest::Client::new();
    let mut sent = 0;
    for (fixture, outcome) in [
        ("calcom-booking-created.json", "created"),
        ("calcom-booking-requested.json", "created"),
        ("calcom-booking-cancelled.json", "created"),
        ("calcom-booking-created-phone-only.json", "created"),
        ("calcom-booking-rescheduled.json", "created"),
        ("calcom-meeting-ended.json", "updated"),
        ("calcom-no-show.json", "updated"),
        ("calcom-ping.json", "ping"),
        ("calcom-booking-created.json", "unchanged"),
    ] {
        let (status, body) = send_calcom(&client, &server, &account, fixture).await;
        assert_eq!(
            (status, body["outcome"].as_str()),
            (200, Some(outcome)),
            "{fixture}: {body}"
        );
        sent += 1;
    }
    for (fixture, outcome) in [
        ("calendly-invitee-created.json", "created"),
        ("calendly-invitee-canceled.json", "updated"),
        ("calendly-invitee-canceled-rescheduled.json", "created"),
        ("calendly-invitee-created-rescheduled.json", "updated"),
        ("calendly-no-show-created.json", "updated"),
    ] {
        let (status, body) = send_calendly(&client, &server, &account, fixture).await;
        assert_eq!(
            (status, body["outcome"].as_str()),
            (200, Some(outcome)),
            "{fixture}: {body}"
        );
        sent += 1;
    }

    // Rejections over HTTP: each with its code, none stored.
    let body = provider_fixture("calcom-booking-created.json");
    let url = format!("{}/webhooks/calcom/acme", server.url);
    let (status, tampered) = post(
        &client,
        &url,
        &[(
            "x-cal-signature-256",
            calcom::sign(&account.calcom_secret, b"other"),
        )],
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, tampered["error"]["code"].as_str()),
        (401, Some("invalid_signature"))
    );
    let (status, unknown) = post(
        &client,
        &format!("{}/webhooks/calcom/nobody", server.url),
        &[],
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, unknown["error"]["code"].as_str()),
        (404, Some("unknown_account"))
    );
    let huge = vec![b' '; 3 * 1024 * 1024];
    let (status, too_big) = post(&client, &url, &[], huge).await;
    assert_eq!(
        (status, too_big["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let (status, not_json) = post(
        &client,
        &url,
        &[(
            "x-cal-signature-256",
            calcom::sign(&account.calcom_secret, b"{oops"),
        )],
        b"{oops".to_vec(),
    )
    .await;
    assert_eq!(
        (status, not_json["error"]["code"].as_str()),
        (400, Some("invalid_json"))
    );
    sent += 2; // the tampered and malformed requests are logged against the account

    // The dashboard's numbers, over HTTP with the API key: they agree with what was sent.
    let api_key = created["apiKey"].as_str().unwrap();
    let metrics = client
        .get(format!("{}/metrics?range=all", server.url))
        .bearer_auth(api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let metrics: Value = metrics.json().await.unwrap();
    assert_eq!(
        metrics["kpis"],
        json!({
            "appointmentsBooked": 3, "appointmentsCancelled": 2, "appointmentsRescheduled": 2,
            "noShows": 2, "completed": 0, "pending": 1, "showRate": 0.0,
            "leadsBooked": 2, "unmatchedBookings": 1
        }),
        "Priya's and Oliver's chains (no-shows) and Aisha's unmatched booking; Dana and Jamie cancelled; Marcus pending"
    );
    let compat = client
        .get(format!(
            "{}/api/metrics?account_id=other&range=all",
            server.url
        ))
        .bearer_auth(api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(compat.status(), 403);

    assert_eq!(server.stop(), 0, "serve exits cleanly on SIGTERM");

    let (code, printed) = cli_env(store, env, &["metrics", "acme", "--range", "all"]);
    assert_eq!(code, 0);
    assert_eq!(
        printed["kpis"], metrics["kpis"],
        "the CLI prints the same numbers"
    );
    let (code, recounted) = cli_env(store, env, &["recount", "acme"]);
    assert_eq!(code, 0);
    assert_eq!(
        recounted["drift"],
        json!([]),
        "counters were right all along"
    );

    let (code, appointments) = cli_env(store, env, &["appointments", "list", "acme"]);
    assert_eq!(code, 0);
    let status_of = |key: &str| {
        appointments
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["bookingKey"].as_str().is_some_and(|k| k.ends_with(key)))
            .map(|a| a["status"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no appointment {key}: {appointments}"))
    };
    assert_eq!(status_of("k3Pq8vXw2LmN9aRt5YbZc1"), "superseded");
    assert_eq!(status_of("7hJd2WqR4sTu6VxY8zAb3C"), "no_show");
    assert_eq!(status_of("Mx9fT2bQ7wEr4YuI1oPa6S"), "pending");
    assert_eq!(status_of("Rw5nB8cK1tHq3ZpL6mYd0F"), "cancelled");
    assert_eq!(status_of("Ak4eW9sD3fG7hJ2kL5zX8c"), "booked");
    assert_eq!(
        status_of("e1c7a9b3-5d2f-4e86-b0a4-9f3d6c8e2a17"),
        "cancelled"
    );
    assert_eq!(
        status_of("5a9e3c71-0f4d-4b2a-8c6e-7d1b2f9a4e35"),
        "superseded"
    );
    assert_eq!(status_of("c6d2e8a4-1b7f-4390-a5e1-8f3c0d9b6a27"), "no_show");

    let (_, leads) = cli_env(store, env, &["leads", "list", "acme"]);
    let lead = |name: &str| {
        leads
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no lead {name}: {leads}"))
    };
    // Marcus matched by phone, Dana by her phone from the Cal.com location, Jamie by email.
    assert_eq!(lead("Marcus Ellery")["bookingStatus"], "pending");
    assert_eq!(
        lead("Marcus Ellery")["status"],
        "NEW",
        "a pending request sets no label"
    );
    assert_eq!(lead("Dana Whitfield")["status"], "CALL_CANCELLED");
    assert_eq!(
        lead("Dana Whitfield")["email"],
        "dana@elsewhere.example",
        "the imported email is kept"
    );
    assert_eq!(lead("Jamie Rivera")["status"], "CALL_CANCELLED");
    assert_eq!(
        lead("Jamie Rivera")["phone"],
        "+12025550188",
        "the booking taught the lead its phone"
    );
    // Priya and Oliver had no lead: created from their bookings.
    assert_eq!(lead("Priya Nair")["source"], "booking");
    assert_eq!(lead("Priya Nair")["status"], "NO_SHOW");
    assert_eq!(lead("Oliver Bennett")["status"], "NO_SHOW");
    assert_eq!(
        lead("Oliver Bennett")["bookings"],
        1,
        "a reschedule is one booking"
    );
    // Aisha gave no valid phone or email: her booking stays unmatched, no lead invented.
    assert!(
        leads
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["name"] != "Aisha Okafor")
    );

    let (_, deliveries) = cli_env(store, env, &["deliveries", "acme", "--limit", "100"]);
    let deliveries = deliveries.as_array().unwrap();
    assert_eq!(
        deliveries.len(),
        sent,
        "every request naming the account is logged"
    );
    assert_eq!(
        deliveries.iter().filter(|d| d["httpStatus"] == 200).count(),
        sent - 2
    );
    assert!(deliveries.iter().any(|d| d["error"] == "invalid_signature"));

    // Why Priya's booking counts where it does: created from her, then rescheduled.
    let priya = ["explain", "acme", "--booking", "k3Pq8vXw2LmN9aRt5YbZc1"];
    let (code, explained) = cli_env(store, env, &priya);
    assert_eq!(code, 0, "{explained}");
    let chain = explained["appointments"].as_array().unwrap();
    assert_eq!(chain.len(), 2, "{explained}");
    assert_eq!(chain[0]["status"], "superseded");
    assert_eq!(chain[0]["lead"]["matchedBy"], "created");
    assert_eq!(chain[0]["history"][0]["trigger"], "BOOKING_CREATED");
    assert_eq!(chain[1]["rescheduledFrom"], chain[0]["appointmentId"]);
    assert!(
        chain[1]["counts"]
            .as_array()
            .unwrap()
            .contains(&json!("noShows"))
    );
    let output = Command::new(BIN)
        .env("BOOKING_TRACKER_STORE", store)
        .envs(env.iter().copied())
        .args(priya)
        .output()
        .unwrap();
    let story = String::from_utf8_lossy(&output.stdout);
    assert!(story.contains("Counted on 2026-03-02"), "{story}");
    // Nobody by that email: the rejected delivery is the first lead.
    let (code, nothing) = cli_env(
        store,
        env,
        &["explain", "acme", "--email", "ghost@example.com"],
    );
    assert_eq!((code, &nothing["found"]), (0, &json!(false)));
    assert_eq!(
        nothing["reasons"][0]["code"], "rejected_deliveries",
        "{nothing}"
    );
    let (code, _) = cli_env(store, env, &["explain", "acme"]);
    assert_eq!(code, 2, "a question is required");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_product_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    scenario(&store, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_product_on_dynamodb_local() {
    if !integration_tests::stores::dynamodb_available() {
        return;
    }
    let Some(key) = integration_tests::emulators::kms_key().await else {
        return;
    };
    let table = format!("bt-e2e-{}", ulid::Ulid::new().to_string().to_lowercase());
    scenario(&format!("dynamodb:{table}"), &[("KMS_KEY_ID", &key)]).await;
}

#[test]
fn a_missing_dynamodb_table_names_init_and_a_bad_store_url_is_a_usage_error() {
    if integration_tests::stores::dynamodb_available() {
        let (code, error) = cli("dynamodb:bt-never-created", &["accounts", "list"]);
        assert_eq!(code, 1);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("booking-tracker init"),
            "{error}"
        );
    }
    let output = Command::new(BIN)
        .args(["--store", "postgres:x", "accounts", "list"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn webhook_sign_prints_the_header_a_provider_sends() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, b"{\"triggerEvent\":\"PING\"}").unwrap();
    let (code, signed) = cli(
        "sqlite:unused.db",
        &[
            "webhook",
            "sign",
            "--calcom",
            "--secret",
            "s3cret",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(signed["header"], "X-Cal-Signature-256");
    assert_eq!(
        signed["value"],
        calcom::sign(&Secret::new("s3cret"), b"{\"triggerEvent\":\"PING\"}")
    );
    let (_, signed) = cli(
        "sqlite:unused.db",
        &[
            "webhook",
            "sign",
            "--calendly",
            "--secret",
            "k",
            file.to_str().unwrap(),
        ],
    );
    assert!(signed["value"].as_str().unwrap().starts_with("t="));
}

/// A provider API fake: Cal.com lists two upcoming bookings nobody sent a webhook for.
async fn calcom_with_two_bookings() -> wiremock::MockServer {
    use integration_tests::fakes::{CalcomBooking, calcom_page};
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let soon = Utc::now() + chrono::Duration::days(3);
    let bookings = [
        CalcomBooking::new(
            "UNSEEN1",
            "accepted",
            soon,
            Utc::now() - chrono::Duration::days(1),
        ),
        CalcomBooking::new(
            "UNSEEN2",
            "pending",
            soon + chrono::Duration::hours(2),
            Utc::now() - chrono::Duration::hours(5),
        ),
    ];
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .and(query_param("status", "upcoming"))
        .and(header("authorization", "Bearer cal_live_e2e"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calcom_page(&bookings, 1, 100, 2)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calcom_page(&[], 1, 100, 0)))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn post_sync_on_serve_recovers_bookings_no_webhook_delivered() {
    let calcom = calcom_with_two_bookings().await;
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    let (_, created) = cli(&store, &["accounts", "create", "acme"]);
    let key = created["apiKey"].as_str().unwrap().to_owned();
    let (code, _) = cli(
        &store,
        &[
            "accounts",
            "update",
            "acme",
            "--calcom-api-key",
            "cal_live_e2e",
        ],
    );
    assert_eq!(code, 0);

    let server = Server::start_with(&store, &[("CALCOM_API_URL", calcom.uri().as_str())]);
    let client = reqwest::Client::new();
    let sync = |client: &reqwest::Client| {
        client
            .post(format!("{}/sync", server.url))
            .bearer_auth(&key)
            .send()
    };
    let response = sync(&client).await.unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["success"], true, "{report}");
    assert_eq!(
        (
            report["bookingsFound"].as_u64(),
            report["updatesApplied"].as_u64(),
            report["matchesFound"].as_u64(),
            report["leadsCreated"].as_u64()
        ),
        (Some(2), Some(2), Some(0), Some(2))
    );
    let first = &report["updates"][0];
    assert_eq!(first["change"], "created");
    assert!(
        first["bookingTime"].as_str().unwrap().contains('/'),
        "HH:MM DD/MM/YYYY: {first}"
    );

    let metrics: Value = client
        .get(format!("{}/metrics", server.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metrics["lastSync"]["ok"], true);
    assert_eq!(
        (
            metrics["kpis"]["appointmentsBooked"].as_i64(),
            metrics["kpis"]["pending"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        metrics["upcoming"].as_array().unwrap().len(),
        1,
        "the pending one is not a live call yet"
    );

    let again: Value = sync(&client).await.unwrap().json().await.unwrap();
    assert_eq!(again["updatesApplied"], 0, "nothing new the second time");
    let unauthorised = client
        .post(format!("{}/sync", server.url))
        .bearer_auth("btk_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);
    assert_eq!(server.stop(), 0);

    let output = Command::new(BIN)
        .env("BOOKING_TRACKER_STORE", &store)
        .env("CALCOM_API_URL", calcom.uri())
        .args(["--json", "sync", "acme"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["updatesApplied"], 0);

    // A provider that refuses the key: the report says so and the command exits 1.
    let output = Command::new(BIN)
        .env("BOOKING_TRACKER_STORE", &store)
        .env("CALCOM_API_URL", "http://127.0.0.1:9")
        .args(["--json", "sync", "--all"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let reports: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(reports[0]["errors"][0]["code"], "unreachable", "{reports}");
}
