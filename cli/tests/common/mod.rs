//! What the CLI's tests share: the binary, and `serve` on a free port.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_booking-tracker");

/// A CLI run: exit code, stdout (parsed when it was asked for `--json` and is JSON), stderr.
pub(crate) type Run = (i32, Value, String);

/// Runs the CLI on `store` with `env`, with `--json` when `json`.
pub(crate) fn run(store: &str, env: &[(&str, &str)], json: bool, args: &[&str]) -> Run {
    let mut command = Command::new(BIN);
    command
        .env("BOOKING_TRACKER_STORE", store)
        .envs(env.iter().copied());
    if json {
        command.arg("--json");
    }
    let output = command.args(args).output().expect("the CLI runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let value = match json {
        true => serde_json::from_str(&stdout).unwrap_or(Value::String(stdout)),
        false => Value::String(stdout),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), value, stderr)
}

/// Runs the CLI with `--json` and expects exit 0; answers what it printed.
pub(crate) fn succeed(store: &str, env: &[(&str, &str)], args: &[&str]) -> Value {
    let (code, printed, stderr) = run(store, env, true, args);
    assert_eq!(code, 0, "{args:?}: {printed} {stderr}");
    printed
}

/// `booking-tracker serve` on a free port; stopped (SIGTERM) when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Server {
    pub(crate) fn start(store: &str) -> Self {
        Self::start_with(store, &[])
    }

    pub(crate) fn start_with(store: &str, env: &[(&str, &str)]) -> Self {
        Self::spawn(store, env, Stdio::null())
    }

    /// Like [`Server::start_with`], its log (stderr) written to `log`.
    pub(crate) fn start_logged(store: &str, env: &[(&str, &str)], log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("a log file");
        Self::spawn(store, env, Stdio::from(file))
    }

    fn spawn(store: &str, env: &[(&str, &str)], stderr: Stdio) -> Self {
        let mut child = Command::new(BIN)
            .env("BOOKING_TRACKER_STORE", store)
            .envs(env.iter().copied())
            .args([
                "--json",
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--sync-every",
                "off",
            ])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let announced: Value =
            serde_json::from_str(&first).unwrap_or_else(|_| panic!("serve announced {first:?}"));
        let url = announced["listening"].as_str().unwrap().to_owned();
        Server { child, url }
    }

    /// Asks the server to stop and waits: it must exit cleanly.
    pub(crate) fn stop(mut self) -> i32 {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap().code().unwrap_or(-1)
    }
}

impl Server {
    /// Kills the server with SIGKILL, as a crash or an OOM kill would, and reaps it.
    pub(crate) fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Posts `body` to serve's Cal.com webhook route for `account`, signed with `secret` as Cal.com
/// signs.
pub(crate) async fn post_calcom(
    server: &Server,
    account: &str,
    secret: &shared::domain::Secret,
    body: Vec<u8>,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/webhooks/calcom/{account}", server.url))
        .header(
            "x-cal-signature-256",
            shared::providers::calcom::sign(secret, &body),
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A fresh `dynamodb:TABLE` store URL and the `KMS_KEY_ID` its secrets are sealed under, or
/// `None` (skip) when DynamoDB Local or moto is not running.
pub(crate) async fn dynamodb_local(prefix: &str) -> Option<(String, String)> {
    if !integration_tests::stores::dynamodb_available() {
        return None;
    }
    let key = integration_tests::emulators::kms_key().await?;
    let table = format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase());
    Some((format!("dynamodb:{table}"), key))
}
