//! Stores for tests: SQLite in a temporary directory, and DynamoDB Local when the test command
//! started it (a fresh table per test, so tests never see each other's items). Each comes in a
//! [`Harness`] that can also meter reads and dump everything stored, raw.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use shared::accounts::{Account, IssuedSecrets, NewAccount};
use shared::domain::AccountId;
use shared::store::dynamo::DynamoStore;
use shared::store::sqlite::SqliteStore;
use shared::store::{ReadStats, Store};

/// A store under test, with what it takes to look beneath it.
#[allow(missing_debug_implementations)]
pub struct Harness<S> {
    pub store: Arc<S>,
    raw: Raw,
}

enum Raw {
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Dynamo {
        client: aws_sdk_dynamodb::Client,
        table: String,
    },
}

impl Harness<SqliteStore> {
    /// A SQLite store in a fresh temporary directory, removed when the harness drops.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("test.db");
        let store = SqliteStore::open(&path).await.expect("SQLite store opens");
        Harness {
            store: Arc::new(store),
            raw: Raw::Sqlite { path, _dir: dir },
        }
    }
}

impl Harness<DynamoStore> {
    /// A DynamoDB store over a new table on DynamoDB Local, its secrets sealed under a new KMS
    /// key on moto, or `None` (skip) when either is not running.
    pub async fn dynamodb() -> Option<Self> {
        if !dynamodb_available() {
            return None;
        }
        let key_id = crate::emulators::kms_key().await?;
        let table = format!("bt-test-{}", ulid::Ulid::new().to_string().to_lowercase());
        let config = shared::store::dynamo::load_aws_config().await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let store = DynamoStore::new(client.clone(), table.clone()).with_kms_key(&config, key_id);
        store
            .create_table()
            .await
            .expect("table created on DynamoDB Local");
        Some(Harness {
            store: Arc::new(store),
            raw: Raw::Dynamo { client, table },
        })
    }
}

/// Reads what an adapter's reads have cost.
pub trait Metered {
    fn read_stats(&self) -> ReadStats;
}

impl Metered for SqliteStore {
    fn read_stats(&self) -> ReadStats {
        SqliteStore::read_stats(self)
    }
}

impl Metered for DynamoStore {
    fn read_stats(&self) -> ReadStats {
        DynamoStore::read_stats(self)
    }
}

impl<S> Harness<S> {
    /// Everything the store holds, as text: every SQLite row, or every DynamoDB item.
    pub async fn dump(&self) -> String {
        match &self.raw {
            Raw::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).expect("open database");
                let mut tables = conn
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .unwrap();
                let names: Vec<String> = tables
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                let mut out = String::new();
                for name in names {
                    let mut stmt = conn.prepare(&format!("SELECT * FROM {name}")).unwrap();
                    let columns = stmt.column_count();
                    let mut rows = stmt.query([]).unwrap();
                    while let Some(row) = rows.next().unwrap() {
                        out.push_str(&name);
                        for i in 0..columns {
                            let value: rusqlite::types::Value = row.get(i).unwrap();
                            out.push_str(&format!(" {value:?}"));
                        }
                        out.push('\n');
                    }
                }
                out
            }
            Raw::Dynamo { client, table } => {
                let mut out = String::new();
                let mut start = None;
                loop {
                    let page = client
                        .scan()
                        .table_name(table)
                        .set_exclusive_start_key(start.take())
                        .send()
                        .await
                        .expect("scan");
                    for item in page.items() {
                        // Canonical (sorted at every level), so an unchanged item prints the
                        // same every time.
                        let object = item
                            .iter()
                            .map(|(k, v)| (k.clone(), canonical(v)))
                            .collect();
                        out.push_str(&serde_json::Value::Object(object).to_string());
                        out.push('\n');
                    }
                    start = page.last_evaluated_key;
                    if start.is_none() {
                        return out;
                    }
                }
            }
        }
    }

    /// The SQLite file, for tests that reach beneath the store.
    pub fn dump_path(&self) -> Option<PathBuf> {
        match &self.raw {
            Raw::Sqlite { path, .. } => Some(path.clone()),
            Raw::Dynamo { .. } => None,
        }
    }

    pub fn is_dynamodb(&self) -> bool {
        matches!(self.raw, Raw::Dynamo { .. })
    }

    /// The same data through a store holding another key: a key file with another key ring
    /// (SQLite), or another KMS key (DynamoDB).
    pub async fn with_wrong_key(&self) -> Arc<dyn Store> {
        match &self.raw {
            Raw::Sqlite { path, .. } => {
                let mut other = path.as_os_str().to_owned();
                other.push(".other-key");
                let key_file = shared::secrets::KeyFile::new(other);
                let ring = shared::secrets::Keyring::new(
                    shared::secrets::DataKey::generate().expect("a key"),
                )
                .expect("a ring");
                use shared::secrets::KeySource;
                key_file.save(&ring, None).await.expect("key file written");
                Arc::new(
                    SqliteStore::open_with_key_file(path, key_file)
                        .await
                        .expect("opens"),
                )
            }
            Raw::Dynamo { client, table } => {
                let key_id = crate::emulators::kms_key().await.expect("KMS emulator");
                let config = shared::store::dynamo::load_aws_config().await;
                Arc::new(
                    DynamoStore::new(client.clone(), table.clone()).with_kms_key(&config, key_id),
                )
            }
        }
    }

    /// Writes plain-text secret values into an account's stored document, beneath the store,
    /// as a build from before sealing did. `fields` are the document's paths
    /// (`calcom.apiKey`, `googleSheet.credentials.privateKey`, ...).
    pub async fn set_raw_secrets(&self, account: &AccountId, fields: &[(&str, &str)]) {
        match &self.raw {
            Raw::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).expect("open database");
                let text: String = conn
                    .query_row(
                        "SELECT doc FROM accounts WHERE id = ?1",
                        [account.as_str()],
                        |r| r.get(0),
                    )
                    .expect("the account row");
                let mut doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                patch_secrets(&mut doc, fields);
                conn.execute(
                    "UPDATE accounts SET doc = ?2 WHERE id = ?1",
                    (account.as_str(), doc.to_string()),
                )
                .expect("updated");
            }
            Raw::Dynamo { client, table } => {
                dynamo_set_raw_secrets(client, table, account.as_str(), fields).await;
            }
        }
    }
}

/// Writes plain-text secret values into an account's items beneath a DynamoDB store (the
/// account item, and the copy its API-key item holds), as a build from before sealing did.
/// Returns whether any item was rewritten.
pub async fn dynamo_set_raw_secrets(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    account: &str,
    fields: &[(&str, &str)],
) -> bool {
    let page = client.scan().table_name(table).send().await.expect("scan");
    let mut rewritten = false;
    for item in page.items() {
        let id = item.get("id").and_then(|v| v.as_s().ok());
        if id.map(String::as_str) != Some(account) {
            continue;
        }
        let mut doc: serde_json::Value = serde_dynamo::from_item(item.clone()).expect("an item");
        patch_secrets(&mut doc, fields);
        let item: std::collections::HashMap<_, _> = serde_dynamo::to_item(doc).expect("an item");
        client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .expect("put");
        rewritten = true;
    }
    rewritten
}

/// Sets each `path` (`calcom.apiKey`) of an account document to its plain `value`.
fn patch_secrets(doc: &mut serde_json::Value, fields: &[(&str, &str)]) {
    for (path, value) in fields {
        let mut at = &mut *doc;
        for part in path.split('.') {
            at = &mut at[part];
        }
        *at = serde_json::Value::String((*value).to_owned());
    }
}

/// Whether DynamoDB Local is reachable; when it is not, a test that needs it prints why it is
/// skipped, unless `BOOKING_TRACKER_REQUIRE_DYNAMODB=1` (set by `scripts/test`) makes the absence
/// a failure.
pub fn dynamodb_available() -> bool {
    if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() {
        return true;
    }
    assert!(
        std::env::var("BOOKING_TRACKER_REQUIRE_DYNAMODB").as_deref() != Ok("1"),
        "DynamoDB Local is required (BOOKING_TRACKER_REQUIRE_DYNAMODB=1) but \
         AWS_ENDPOINT_URL_DYNAMODB is not set"
    );
    eprintln!(
        "skipping: DynamoDB Local is not running (AWS_ENDPOINT_URL_DYNAMODB unset); \
         scripts/test starts it"
    );
    false
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// Creates an account with default settings.
pub async fn account(store: &(impl Store + ?Sized), id: &str) -> (Account, IssuedSecrets) {
    let id = AccountId::parse(id).expect("valid account id");
    let (account, secrets) = Account::create(NewAccount::new(id), t0());
    let stored = store
        .create_account(&account)
        .await
        .expect("account created");
    (stored, secrets)
}

/// A DynamoDB attribute as JSON, with maps sorted by key.
fn canonical(value: &aws_sdk_dynamodb::types::AttributeValue) -> serde_json::Value {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    use serde_json::{Value, json};
    match value {
        A::S(s) => json!({ "S": s }),
        A::N(n) => json!({ "N": n }),
        A::Bool(b) => json!({ "BOOL": b }),
        A::Null(_) => json!({ "NULL": true }),
        A::L(items) => Value::Array(items.iter().map(canonical).collect()),
        A::M(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect()),
        other => json!({ "other": format!("{other:?}") }),
    }
}

/// Runs each named `async fn(Harness<S>)` against every store: SQLite, and DynamoDB Local when
/// the test command started it. One conformance suite, every adapter.
#[macro_export]
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test($crate::stores::Harness::sqlite().await).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let Some(harness) = $crate::stores::Harness::dynamodb().await else { return };
                    super::$test(harness).await;
                }
            )*
        }
    };
}

/// Every appointment of `account`, read page by page.
pub async fn all_appointments(
    store: &(impl shared::store::Appointments + ?Sized),
    account: &AccountId,
) -> shared::store::StoreResult<Vec<shared::booking::Appointment>> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_appointments(account, after.as_deref(), 1000)
            .await?;
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}
