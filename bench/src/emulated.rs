//! What the DynamoDB harnesses run against: DynamoDB Local and moto's KMS, reached through the
//! `AWS_ENDPOINT_URL_*` variables `scripts/bench` sets.

// Bench set-up: without the emulators there is nothing to measure.
#![allow(clippy::expect_used)]

use chrono::Utc;
use shared::store::dynamo::load_aws_config;

#[derive(Debug)]
pub struct Emulated {
    pub config: aws_config::SdkConfig,
    /// A KMS key made for this run.
    pub kms_key: String,
    /// A table name of this run's own (not yet created).
    pub table: String,
}

impl Emulated {
    /// The AWS configuration from the environment, a new KMS key on moto, and a table name
    /// starting with `harness`.
    pub async fn connect(harness: &str) -> Self {
        let config = load_aws_config().await;
        let kms_key = integration_tests::emulators::kms_key()
            .await
            .expect("moto's KMS (AWS_ENDPOINT_URL_KMS)");
        let table = format!("{harness}-{}", Utc::now().timestamp_millis());
        Self {
            config,
            kms_key,
            table,
        }
    }
}
