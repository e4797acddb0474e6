//! Tenant secrets through the binary (SPEC §6): shown only by `accounts create` and `rotate`,
//! never in logs at `RUST_LOG=trace` nor in listings; the SQLite key file made beside the
//! database (0600) or where `BOOKING_TRACKER_KEY_FILE` says; a missing key answers 503
//! `secrets_unavailable` and stores nothing; `init` seals an older build's plain text.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use integration_tests::fakes::{calcom_page, calendly_me, calendly_page};
use integration_tests::{compact, provider_fixture};
use serde_json::Value;
use shared::domain::Secret;
use shared::providers::calcom;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;

use common::{Run, Server, run};

/// Exit code, stdout (JSON or raw), and stderr, with `RUST_LOG=trace`.
fn cli(store: &str, env: &[(&str, &str)], args: &[&str]) -> Run {
    let traced: Vec<(&str, &str)> = [("RUST_LOG", "trace")]
        .into_iter()
        .chain(env.iter().copied())
        .collect();
    run(store, &traced, true, args)
}

fn store_in(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("bt.db").display())
}

/// Cal.com and Calendly with nothing booked, on one server.
async fn calcom_fake() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calcom_page(&[], 1, 100, 0)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calendly_me()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scheduled_events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calendly_page(vec![], None)))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_show_only_where_they_are_issued_and_never_in_trace_logs() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let calcom = calcom_fake().await;
    let env = [
        ("CALCOM_API_URL", calcom.uri()),
        ("CALENDLY_API_URL", calcom.uri()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut everything_else = String::new();

    let (code, created, log) = cli(&store, &env, &["accounts", "create", "acme"]);
    assert_eq!(code, 0, "{created}");
    everything_else.push_str(&log);
    let mut secrets: Vec<String> = ["calcomWebhookSecret", "calendlySigningKey", "apiKey"]
        .iter()
        .map(|k| created[k].as_str().unwrap().to_owned())
        .collect();
    let (api_key, calcom_secret) = (secrets[2].clone(), secrets[0].clone());
    secrets.extend([
        "cal_live_trace_4f1b".to_owned(),
        "eyJ.trace.token_9c2d".to_owned(),
    ]);

    for args in [
        &[
            "accounts",
            "update",
            "acme",
            "--calcom-api-key",
            "cal_live_trace_4f1b",
        ][..],
        &[
            "accounts",
            "update",
            "acme",
            "--calendly-token",
            "eyJ.trace.token_9c2d",
        ],
        &["accounts", "show", "acme"],
        &["accounts", "list"],
        &["sync", "acme"],
        &["keys", "rotate"],
        &["deliveries", "acme"],
    ] {
        let (code, out, log) = cli(&store, &env, args);
        assert_eq!(code, 0, "{args:?}: {out} {log}");
        everything_else.push_str(&out.to_string());
        everything_else.push_str(&log);
    }
    assert!(
        everything_else.contains("TRACE") || everything_else.contains("trace"),
        "traced"
    );

    // A webhook through serve, logged at trace.
    let log_file = dir.path().join("serve.log");
    let server = Server::start_logged(&store, &[("RUST_LOG", "trace")], &log_file);
    let body = compact(&provider_fixture("calcom-booking-created.json"));
    let signature = calcom::sign(&Secret::new(calcom_secret.as_str()), &body);
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/calcom/acme", server.url))
        .header("x-cal-signature-256", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", server.url))
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    everything_else.push_str(&metrics.text().await.unwrap());
    assert_eq!(server.stop(), 0);
    everything_else.push_str(&std::fs::read_to_string(&log_file).unwrap());

    for secret in &secrets {
        assert!(
            !everything_else.contains(secret.as_str()),
            "a secret appeared outside accounts create"
        );
    }

    // Rotating a secret shows the new one, once, and nothing else.
    let (code, rotated, log) = cli(
        &store,
        &env,
        &["accounts", "rotate", "acme", "--secret", "calcom"],
    );
    assert_eq!(code, 0, "{rotated}");
    let fresh = rotated.to_string();
    for secret in &secrets {
        assert!(!fresh.contains(secret.as_str()) && !log.contains(secret.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_file_is_private_and_where_it_is_told_and_a_missing_one_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let (code, created, _) = cli(&store, &[], &["accounts", "create", "acme"]);
    assert_eq!(code, 0);
    let key_file = dir.path().join("bt.db.key");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "made on first use, for its owner only");
    }

    // BOOKING_TRACKER_KEY_FILE puts another database's key elsewhere.
    let elsewhere = dir.path().join("keys").join("other.key");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    let other = format!("sqlite:{}", dir.path().join("other.db").display());
    let key_env = [("BOOKING_TRACKER_KEY_FILE", elsewhere.to_str().unwrap())];
    assert_eq!(
        cli(&other, &key_env, &["accounts", "create", "globex"]).0,
        0
    );
    assert!(elsewhere.exists() && !dir.path().join("other.db.key").exists());

    // The key file goes missing: webhooks answer 503 and nothing is stored.
    let aside = dir.path().join("bt.db.key.aside");
    std::fs::rename(&key_file, &aside).unwrap();
    let server = Server::start(&store);
    let body = compact(&provider_fixture("calcom-booking-created.json"));
    let secret = Secret::new(created["calcomWebhookSecret"].as_str().unwrap());
    let send = |server_url: String, body: Vec<u8>| {
        let signature = calcom::sign(&secret, &body);
        async move {
            let response = reqwest::Client::new()
                .post(format!("{server_url}/webhooks/calcom/acme"))
                .header("x-cal-signature-256", signature)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, answer) = send(server.url.clone(), body.clone()).await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "secrets_unavailable");
    assert!(
        !answer.to_string().contains("bt.db.key"),
        "the provider learns nothing"
    );
    drop(server);
    let (_, deliveries, _) = cli(&store, &[], &["deliveries", "acme"]);
    assert_eq!(
        deliveries,
        Value::Array(vec![]),
        "not even a delivery entry"
    );
    let (_, appointments, _) = cli(&store, &[], &["appointments", "list", "acme"]);
    assert_eq!(appointments, Value::Array(vec![]));

    // A command that seals names the key file, and makes no new one.
    let (code, failed, _) = cli(
        &store,
        &[],
        &[
            "accounts",
            "update",
            "acme",
            "--calcom-api-key",
            "cal_live_x",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bt.db.key"),
        "{failed}"
    );
    assert!(!key_file.exists(), "no second key ring is made");

    // Restored, everything works again.
    std::fs::rename(&aside, &key_file).unwrap();
    let server = Server::start(&store);
    let (status, answer) = send(server.url.clone(), body).await;
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn init_seals_the_plain_text_secrets_an_older_build_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let (code, created, _) = cli(&store, &[], &["accounts", "create", "acme"]);
    assert_eq!(code, 0);
    let calcom_secret = created["calcomWebhookSecret"].as_str().unwrap().to_owned();
    // What an older build wrote: the secret in plain text, and no record of sealing.
    let db = dir.path().join("bt.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let doc: String = conn
            .query_row("SELECT doc FROM accounts WHERE id = 'acme'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let mut doc: Value = serde_json::from_str(&doc).unwrap();
        doc["calcom"]["webhookSecret"] = Value::String(calcom_secret.clone());
        conn.execute(
            "UPDATE accounts SET doc = ?1 WHERE id = 'acme'",
            [doc.to_string()],
        )
        .unwrap();
        conn.execute("DELETE FROM meta WHERE key = 'plain_secrets_sealed'", [])
            .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    }
    let raw = || {
        let mut bytes = std::fs::read(&db).unwrap();
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        bytes.extend(std::fs::read(wal).unwrap_or_default());
        String::from_utf8_lossy(&bytes).into_owned()
    };
    assert!(
        raw().contains(&calcom_secret),
        "plain, as the older build left it"
    );

    let (code, init, _) = cli(&store, &[], &["init"]);
    assert_eq!(code, 0, "{init}");
    assert!(
        init["message"]
            .as_str()
            .unwrap()
            .contains("sealed the plain-text secrets of 1 accounts"),
        "{init}"
    );
    assert!(
        !raw().contains(&calcom_secret),
        "sealed, and the old pages rewritten"
    );
    let (code, again, _) = cli(&store, &[], &["init"]);
    assert_eq!(code, 0);
    assert!(
        !again["message"]
            .as_str()
            .unwrap()
            .contains("sealed the plain"),
        "{again}"
    );
}
