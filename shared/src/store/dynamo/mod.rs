//! The DynamoDB store: one table (see `table.rs` for its design and access patterns), every
//! multi-record change one `TransactWriteItems` conditional on the revisions read.

mod accounts;
mod appointments;
mod counters;
mod deliveries;
mod io;
mod keyring;
mod keys;
mod leads;
mod setup;
mod sync_state;
pub mod table;
mod writes;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::secrets::Secrets;
use crate::store::{ReadStats, StoreError, Vault};

pub use keyring::{KMS_KEY_VAR, KmsKeyring, NoKmsKey};

pub(super) type Item = HashMap<String, AttributeValue>;

/// The DynamoDB store. Cheap to clone; clones share the SDK client and the key ring.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: Arc<str>,
    stats: Arc<Stats>,
    secrets: Arc<Secrets>,
}

#[derive(Debug, Default)]
struct Stats {
    items_read: AtomicU64,
    scans: AtomicU64,
    read_capacity_milli: AtomicU64,
}

impl DynamoStore {
    /// A store over `table`, using a client built once per process. It has no KMS key: every
    /// use of a secret fails naming `KMS_KEY_ID` until [`DynamoStore::with_kms_key`].
    pub fn new(client: Client, table: impl Into<Arc<str>>) -> Self {
        Self {
            client,
            table: table.into(),
            stats: Arc::default(),
            secrets: Arc::new(Secrets::new(Arc::new(NoKmsKey))),
        }
    }

    /// The same store, its secrets sealed under a key ring wrapped by the KMS key `key_id`.
    pub fn with_kms_key(
        mut self,
        config: &aws_config::SdkConfig,
        key_id: impl Into<String>,
    ) -> Self {
        let source = KmsKeyring::new(self.clone(), config.clone(), key_id.into());
        self.secrets = Arc::new(Secrets::new(Arc::new(source)));
        self
    }

    /// A store configured from the standard AWS environment (region, credentials, and
    /// `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local), with the KMS key `KMS_KEY_ID` if set.
    pub async fn from_env(table: impl Into<Arc<str>>) -> Self {
        Self::from_config(&load_aws_config().await, table)
    }

    /// A store over `table` with clients from `config`, and the KMS key `KMS_KEY_ID` if set.
    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<Arc<str>>) -> Self {
        let store = Self::new(Client::new(config), table);
        match std::env::var(KMS_KEY_VAR)
            .ok()
            .filter(|k| !k.trim().is_empty())
        {
            Some(key_id) => store.with_kms_key(config, key_id.trim()),
            None => store,
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// What reads have cost since the store was made.
    pub fn read_stats(&self) -> ReadStats {
        ReadStats {
            items: self.stats.items_read.load(Ordering::Relaxed),
            full_scans: self.stats.scans.load(Ordering::Relaxed),
            read_capacity_milli: self.stats.read_capacity_milli.load(Ordering::Relaxed),
        }
    }

    fn count_read(&self, items: usize, capacity: Option<&ConsumedCapacity>) {
        self.stats
            .items_read
            .fetch_add(items as u64, Ordering::Relaxed);
        let units = capacity
            .and_then(ConsumedCapacity::capacity_units)
            .unwrap_or(0.0);
        // Capacity comes in half units; thousandths keep it exact in an integer.
        let milli = (units * 1000.0).round().max(0.0) as u64;
        self.stats
            .read_capacity_milli
            .fetch_add(milli, Ordering::Relaxed);
    }

    fn error<E, R>(&self, err: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match err.code() {
            Some("ResourceNotFoundException") => StoreError::NotInitialised(format!(
                "DynamoDB table {:?} does not exist; create it with `booking-tracker init`",
                self.table
            )),
            Some("ConditionalCheckFailedException" | "TransactionConflictException") => {
                StoreError::Conflict
            }
            _ => StoreError::Unavailable(format!("DynamoDB: {}", describe(&err))),
        }
    }
}

/// An SDK error in one line: the service's code and message when it answered, else the cause
/// chain (never the raw response, which would fill a log line with headers).
pub(crate) fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(err).to_string(),
    }
}

/// The standard AWS configuration chain: environment, profile, instance or Lambda role. Each
/// service's endpoint comes from `AWS_ENDPOINT_URL_<SERVICE>` when set (DynamoDB Local, moto).
/// HTTPS trusts Amazon Trust Services' roots rather than parsing the system store (`crate::tls`).
pub async fn load_aws_config() -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    // An endpoint override (`AWS_ENDPOINT_URL` or any service's `AWS_ENDPOINT_URL_<SERVICE>`)
    // may be anything (a proxy, an emulator): it keeps the system store.
    let overridden = std::env::vars_os().any(|(name, value)| {
        name.to_string_lossy().starts_with("AWS_ENDPOINT_URL") && !value.is_empty()
    });
    if !overridden && let Some(client) = crate::tls::amazon_trust_services_client() {
        loader = loader.http_client(client);
    }
    // Inside Lambda (or its emulators) the role's credentials and the region are in these
    // variables; building the rest of the chain (profiles, SSO, IMDS) is start-up time only.
    if [
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
    ]
    .into_iter()
    .all(env_set)
    {
        loader = loader
            .region(aws_config::environment::EnvironmentVariableRegionProvider::new())
            .credentials_provider(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            );
        // Nor has a function shared config files unless it names one: looking for
        // `~/.aws/config` and `~/.aws/credentials` is the larger half of `load` on a cold start.
        if ![
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_PROFILE",
        ]
        .into_iter()
        .any(env_set)
        {
            use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
            loader = loader.profile_files(
                EnvConfigFiles::builder()
                    .with_contents(EnvConfigFileKind::Config, "")
                    .build(),
            );
        }
    }
    loader.load().await
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A document as an item, with its keys added.
pub(super) fn item<T: Serialize>(doc: &T, keys: &[(&str, String)]) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(doc)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode item: {e}")))?;
    for (name, value) in keys {
        item.insert((*name).to_owned(), s(value.clone()));
    }
    Ok(item)
}

/// Reads a document back; key attributes are ignored.
pub(super) fn doc<T: DeserializeOwned>(item: Item, what: &str) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(super) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

pub(super) fn string_attr(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

impl Vault for DynamoStore {
    fn secrets(&self) -> &Secrets {
        &self.secrets
    }
}
