//! `booking-tracker doctor` through the binary, against a local fake of Cal.com API v2
//! (`GET /v2/webhooks`, `GET /v2/me`): exit 1 with a failing check, its JSON and its text, exit 0
//! when nothing fails; and `GET /health` on `serve`.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;

use common::{Server, run, succeed};

/// A SQLite store, and Cal.com with a working key and no webhook registered.
struct Setup {
    _calcom: MockServer,
    calcom_url: String,
    store: String,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn start() -> Self {
        let calcom = MockServer::start().await;
        for (route, data) in [
            ("/v2/webhooks", json!([])),
            ("/v2/me", json!({"id": 7, "username": "tom"})),
        ] {
            let body = json!({"status": "success", "data": data});
            Mock::given(method("GET"))
                .and(path(route))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .mount(&calcom)
                .await;
        }
        let dir = tempfile::tempdir().unwrap();
        let store = format!("sqlite:{}", dir.path().join("bt.db").display());
        Self {
            calcom_url: calcom.uri(),
            _calcom: calcom,
            store,
            _dir: dir,
        }
    }

    fn env(&self) -> [(&str, &str); 1] {
        [("CALCOM_API_URL", &self.calcom_url)]
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_exits_1_on_a_failing_check_and_prints_each_fix() {
    let setup = Setup::start().await;
    let (store, env) = (&setup.store, setup.env());
    succeed(store, &env, &["accounts", "create", "acme"]);
    let key = ["--calcom-api-key", "cal_live_cli"];
    succeed(
        store,
        &env,
        &[&["accounts", "update", "acme"][..], &key].concat(),
    );
    succeed(store, &env, &["accounts", "create", "quiet"]);

    let (code, report, _) = run(store, &env, true, &["doctor", "acme"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["accountId"], "acme");
    let checks = report["checks"].as_array().unwrap();
    let calcom_webhook = &checks[0];
    assert_eq!(
        (&calcom_webhook["check"], &calcom_webhook["status"]),
        (&json!("calcom_webhook"), &json!("fail")),
        "{report}"
    );
    assert_eq!(
        calcom_webhook["fix"],
        "run `booking-tracker webhook calcom-subscribe acme --url <base>` to register it"
    );
    let credentials = &checks[2];
    assert_eq!(
        (&credentials["status"], &credentials["fix"]),
        (&json!("ok"), &Value::Null)
    );

    let with_url = ["doctor", "acme", "--url", "https://bt.example.com/"];
    let (code, text, _) = run(store, &env, false, &with_url);
    let text = text.as_str().unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("fail  calcom_webhook  "),
        "{text}"
    );
    assert!(
        text.contains(
            "fix: run `booking-tracker webhook calcom-subscribe acme --url https://bt.example.com` \
             to register it"
        ),
        "{text}"
    );
    assert!(
        text.trim_end().ends_with("acme: 7 ok, 0 warn, 2 fail"),
        "{text}"
    );

    // Nothing configured, nothing failing.
    let (code, text, _) = run(store, &env, false, &["doctor", "quiet"]);
    assert_eq!(code, 0, "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_get_health_to_the_accounts_key() {
    let setup = Setup::start().await;
    let (store, env) = (&setup.store, setup.env());
    let created = succeed(store, &env, &["accounts", "create", "acme"]);
    let key = created["apiKey"].as_str().unwrap().to_owned();
    let server = Server::start_with(store, &env);

    let client = reqwest::Client::new();
    let health = format!("{}/health", server.url);
    let refused = client.get(&health).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let answer = client.get(&health).bearer_auth(&key).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let report: Value = answer.json().await.unwrap();
    assert_eq!(report["accountId"], "acme");
    assert_eq!(report["checks"].as_array().unwrap().len(), 9, "{report}");
    let wrong_method = client.post(&health).bearer_auth(&key).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(server.stop(), 0);
}
