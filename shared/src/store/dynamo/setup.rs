//! Creating and checking the table (`booking-tracker init`).

use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use super::DynamoStore;
use super::table::TABLE;
use crate::store::{StoreError, StoreResult};

/// How long `create_table` waits for a new table to become active.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

fn build<T, E: std::fmt::Display>(result: Result<T, E>) -> StoreResult<T> {
    result.map_err(|e| StoreError::Unavailable(format!("building a DynamoDB request: {e}")))
}

fn key(name: &str, key_type: KeyType) -> StoreResult<KeySchemaElement> {
    build(
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build(),
    )
}

impl DynamoStore {
    /// Creates the table, its indexes and TTL if missing, and waits until it is active.
    /// Idempotent. Returns whether the table was created now.
    pub async fn create_table(&self) -> StoreResult<bool> {
        let definitions = TABLE
            .key_attributes()
            .into_iter()
            .map(|name| {
                build(
                    AttributeDefinition::builder()
                        .attribute_name(name)
                        .attribute_type(ScalarAttributeType::S)
                        .build(),
                )
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let indexes = TABLE
            .indexes
            .iter()
            .map(|index| {
                build(
                    GlobalSecondaryIndex::builder()
                        .index_name(index.name)
                        .key_schema(key(index.partition_key, KeyType::Hash)?)
                        .key_schema(key(index.sort_key, KeyType::Range)?)
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build(),
                )
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let created = match self
            .client
            .create_table()
            .table_name(&*self.table)
            .set_attribute_definitions(Some(definitions))
            .key_schema(key(TABLE.partition_key, KeyType::Hash)?)
            .key_schema(key(TABLE.sort_key, KeyType::Range)?)
            .set_global_secondary_indexes(Some(indexes))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
        {
            Ok(_) => true,
            Err(e) if e.code() == Some("ResourceInUseException") => false,
            Err(e) => return Err(self.error(e)),
        };
        self.wait_until_active().await?;
        self.enable_ttl().await?;
        self.enable_point_in_time_recovery().await;
        Ok(created)
    }

    /// `NotInitialised` unless the table exists.
    pub async fn check_table(&self) -> StoreResult<()> {
        self.client
            .describe_table()
            .table_name(&*self.table)
            .send()
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    async fn wait_until_active(&self) -> StoreResult<()> {
        let deadline = tokio::time::Instant::now() + ACTIVE_TIMEOUT;
        loop {
            let described = self
                .client
                .describe_table()
                .table_name(&*self.table)
                .send()
                .await
                .map_err(|e| self.error(e))?;
            let table = described.table();
            let indexes_active = table
                .map(|t| t.global_secondary_indexes())
                .unwrap_or_default()
                .iter()
                .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"));
            if table.and_then(|t| t.table_status()) == Some(&TableStatus::Active) && indexes_active
            {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(StoreError::Unavailable(format!(
                    "table {} did not become active within {ACTIVE_TIMEOUT:?}",
                    self.table
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn enable_ttl(&self) -> StoreResult<()> {
        let current = self
            .client
            .describe_time_to_live()
            .table_name(&*self.table)
            .send()
            .await
            .map_err(|e| self.error(e))?;
        let status = current
            .time_to_live_description()
            .and_then(|d| d.time_to_live_status());
        if matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) {
            return Ok(());
        }
        let spec = build(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TABLE.ttl_attribute)
                .build(),
        )?;
        self.client
            .update_time_to_live()
            .table_name(&*self.table)
            .time_to_live_specification(spec)
            .send()
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Point-in-time recovery, where the service offers it (DynamoDB Local does not).
    async fn enable_point_in_time_recovery(&self) {
        let Ok(spec) = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(true)
            .build()
        else {
            return;
        };
        let result = self
            .client
            .update_continuous_backups()
            .table_name(&*self.table)
            .point_in_time_recovery_specification(spec)
            .send()
            .await;
        if let Err(e) = result {
            tracing::warn!(table = %self.table, error = %super::describe(&e), "point-in-time recovery not enabled");
        }
    }
}
