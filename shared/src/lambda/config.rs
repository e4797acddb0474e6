//! The functions' configuration, read once at start-up. A missing or bad variable stops the
//! function before it takes a request, naming the variable.

use std::time::Duration;

use crate::providers::calendly::DEFAULT_TOLERANCE;

const QUEUE: &str = "SYNC_QUEUE_URL";
const KMS_KEY: &str = "KMS_KEY_ID";

#[derive(Debug, Clone)]
pub struct FunctionConfig {
    /// `TABLE_NAME`: the DynamoDB table.
    pub table: String,
    /// `CALENDLY_SIGNATURE_TOLERANCE_SECONDS` (default 300).
    pub calendly_tolerance: Duration,
    /// `SYNC_QUEUE_URL`: where the sync function's schedule enqueues accounts (only the sync
    /// function needs it: [`FunctionConfig::sync_queue_url`]).
    sync_queue_url: Option<String>,
    /// `KMS_KEY_ID`: the key wrapping the key ring of tenant secrets (the functions that open
    /// secrets need it: [`FunctionConfig::kms_key_id`]).
    kms_key_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is {value:?}: {problem}")]
    Invalid {
        name: &'static str,
        value: String,
        problem: &'static str,
    },
}

impl FunctionConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        const TABLE: &str = "TABLE_NAME";
        const TOLERANCE: &str = "CALENDLY_SIGNATURE_TOLERANCE_SECONDS";
        let table = get(TABLE)
            .filter(|t| !t.trim().is_empty())
            .ok_or(ConfigError::Missing(TABLE))?;
        let calendly_tolerance = match get(TOLERANCE) {
            None => DEFAULT_TOLERANCE,
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
                .ok_or(ConfigError::Invalid {
                    name: TOLERANCE,
                    value,
                    problem: "expected a positive number of seconds",
                })?,
        };
        Ok(Self {
            table,
            calendly_tolerance,
            sync_queue_url: get(QUEUE).filter(|u| !u.trim().is_empty()),
            kms_key_id: get(KMS_KEY)
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty()),
        })
    }

    /// `KMS_KEY_ID`, required by the functions that open tenant secrets (webhooks, sync).
    pub fn kms_key_id(&self) -> Result<&str, ConfigError> {
        self.kms_key_id
            .as_deref()
            .ok_or(ConfigError::Missing(KMS_KEY))
    }

    /// `SYNC_QUEUE_URL`, required by the sync function.
    pub fn sync_queue_url(&self) -> Result<&str, ConfigError> {
        self.sync_queue_url
            .as_deref()
            .ok_or(ConfigError::Missing(QUEUE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn a_missing_table_name_is_named() {
        let err = FunctionConfig::from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable TABLE_NAME is not set"
        );
    }

    #[test]
    fn tolerance_defaults_and_is_validated() {
        let config = FunctionConfig::from_lookup(lookup(&[("TABLE_NAME", "bt")])).unwrap();
        assert_eq!(config.calendly_tolerance, Duration::from_secs(300));
        let vars = [
            ("TABLE_NAME", "bt"),
            ("CALENDLY_SIGNATURE_TOLERANCE_SECONDS", "soon"),
        ];
        let err = FunctionConfig::from_lookup(lookup(&vars)).unwrap_err();
        assert!(
            err.to_string()
                .contains("CALENDLY_SIGNATURE_TOLERANCE_SECONDS")
        );
    }

    #[test]
    fn the_sync_queue_and_the_kms_key_are_named_when_missing() {
        let config = FunctionConfig::from_lookup(lookup(&[("TABLE_NAME", "bt")])).unwrap();
        assert_eq!(
            config.sync_queue_url().unwrap_err().to_string(),
            "environment variable SYNC_QUEUE_URL is not set"
        );
        assert_eq!(
            config.kms_key_id().unwrap_err().to_string(),
            "environment variable KMS_KEY_ID is not set"
        );
        let vars = [
            ("TABLE_NAME", "bt"),
            ("SYNC_QUEUE_URL", "https://sqs/q"),
            ("KMS_KEY_ID", "alias/bt"),
        ];
        let config = FunctionConfig::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(config.sync_queue_url().unwrap(), "https://sqs/q");
        assert_eq!(config.kms_key_id().unwrap(), "alias/bt");
    }
}
