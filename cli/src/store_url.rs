//! `--store URL`: `sqlite:PATH` (the default) or `dynamodb:TABLE`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use shared::store::Store;
use shared::store::dynamo::DynamoStore;
use shared::store::sqlite::SqliteStore;

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
            StoreUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path).await?)),
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
                SqliteStore::open(path).await?;
                Ok(format!(
                    "SQLite store {} is ready (schema version {})",
                    path.display(),
                    SqliteStore::schema_version()
                ))
            }
            StoreUrl::Dynamo(table) => {
                let created = DynamoStore::from_env(table.as_str())
                    .await
                    .create_table()
                    .await?;
                Ok(if created {
                    format!("DynamoDB table {table} created, with its indexes and TTL")
                } else {
                    format!("DynamoDB table {table} already exists")
                })
            }
        }
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
