//! `--store URL`: `sqlite:PATH` (the default) or `dynamodb:TABLE`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::Utc;
use shared::ingest::rebuild_outdated_counters;
use shared::secrets::{KEY_FILE_VAR, KeyFile};
use shared::store::dynamo::DynamoStore;
use shared::store::sqlite::SqliteStore;
use shared::store::{Store, Vault, seal_plain_secrets};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    Dynamo(String),
}

impl FromStr for StoreUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("sqlite", path)) if !path.is_empty() => Ok(StoreUrl::Sqlite(path.into())),
            Some(("dynamodb", table)) if !table.is_empty() => Ok(StoreUrl::Dynamo(table.into())),
            _ => Err(format!(
                "{s:?} is not a store: use sqlite:PATH (e.g. sqlite:booking-tracker.db) or \
                 dynamodb:TABLE"
            )),
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreUrl::Dynamo(table) => write!(f, "dynamodb:{table}"),
        }
    }
}

impl StoreUrl {
    /// Opens the store for use. SQLite creates its file and schema on first use; DynamoDB's table
    /// must exist (`booking-tracker init` creates it).
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        match self {
            StoreUrl::Sqlite(path) => Ok(Arc::new(open_sqlite(path).await?)),
            StoreUrl::Dynamo(table) => {
                let store = DynamoStore::from_env(table.as_str()).await;
                store.check_table().await?;
                Ok(Arc::new(store))
            }
        }
    }

    /// Creates the store if missing; idempotent. Returns a sentence saying what was done.
    pub async fn init(&self) -> anyhow::Result<String> {
        match self {
            StoreUrl::Sqlite(path) => {
                let store = open_sqlite(path).await?;
                let sealed = store.sealed_on_open() + seal_plain_secrets(&store).await?;
                let recounted = rebuild_outdated_counters(&store, Utc::now()).await?;
                Ok(format!(
                    "SQLite store {} is ready (schema version {}; secrets sealed with {}){}{}",
                    path.display(),
                    SqliteStore::schema_version(),
                    store.secrets().source_name(),
                    sealed_note(sealed),
                    recounted_note(recounted)
                ))
            }
            StoreUrl::Dynamo(table) => {
                let store = DynamoStore::from_env(table.as_str()).await;
                let created = store.create_table().await?;
                let sealed = seal_plain_secrets(&store).await?;
                let recounted = rebuild_outdated_counters(&store, Utc::now()).await?;
                Ok(if created {
                    format!("DynamoDB table {table} created, with its indexes and TTL")
                } else {
                    format!(
                        "DynamoDB table {table} already exists{}{}",
                        sealed_note(sealed),
                        recounted_note(recounted)
                    )
                })
            }
        }
    }
}

/// A SQLite store with its key file: `BOOKING_TRACKER_KEY_FILE`, else `<db>.key` beside it.
async fn open_sqlite(path: &std::path::Path) -> anyhow::Result<SqliteStore> {
    let key_file = match std::env::var_os(KEY_FILE_VAR).filter(|v| !v.is_empty()) {
        Some(file) => KeyFile::new(file),
        None => KeyFile::beside(path),
    };
    Ok(SqliteStore::open_with_key_file(path, key_file).await?)
}

fn recounted_note(accounts: usize) -> String {
    match accounts {
        0 => String::new(),
        n => {
            format!("; counters of {n} account(s) rebuilt with their campaign and source breakdown")
        }
    }
}

fn sealed_note(accounts: usize) -> String {
    match accounts {
        0 => String::new(),
        n => format!("; sealed the plain-text secrets of {n} accounts"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds_and_rejects_others() {
        assert_eq!("sqlite:bt.db".parse(), Ok(StoreUrl::Sqlite("bt.db".into())));
        assert_eq!(
            "dynamodb:bt-prod".parse(),
            Ok(StoreUrl::Dynamo("bt-prod".into()))
        );
        for bad in ["bt.db", "sqlite:", "postgres:x", "dynamodb:"] {
            assert!(bad.parse::<StoreUrl>().is_err(), "{bad}");
        }
    }
}
