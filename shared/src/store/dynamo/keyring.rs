//! The key ring of the DynamoDB store: one item in the table (`KEYRING`/`KEYRING`), wrapped by
//! KMS (`KMS_KEY_ID`) with an encryption context naming the table. Opening secrets costs one
//! `Decrypt` per process; data keys come from `GenerateDataKey`. The KMS client is made on first
//! use, so a function that never opens a secret never builds it.

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob as DynamoBlob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use zeroize::Zeroizing;

use super::{DynamoStore, describe, key, s};
use crate::secrets::{DataKey, KeySource, Keyring, SecretsError};
use crate::store::StoreError;

/// `KMS_KEY_ID`: the KMS key that wraps the key ring.
pub const KMS_KEY_VAR: &str = "KMS_KEY_ID";

const KEYRING: &str = "KEYRING";

/// A key ring in the table, wrapped by a KMS key.
#[derive(Debug)]
pub struct KmsKeyring {
    store: DynamoStore,
    config: aws_config::SdkConfig,
    key_id: String,
    kms: OnceLock<aws_sdk_kms::Client>,
}

impl KmsKeyring {
    pub fn new(store: DynamoStore, config: aws_config::SdkConfig, key_id: String) -> Self {
        Self {
            store,
            config,
            key_id,
            kms: OnceLock::new(),
        }
    }

    fn kms(&self) -> &aws_sdk_kms::Client {
        self.kms
            .get_or_init(|| aws_sdk_kms::Client::new(&self.config))
    }

    fn context(&self) -> [(&'static str, String); 2] {
        [
            ("app", "booking-tracker".to_owned()),
            ("table", self.store.table_name().to_owned()),
        ]
    }

    fn refused<E>(
        &self,
        what: &str,
        e: &aws_sdk_kms::error::SdkError<E, aws_sdk_kms::config::http::HttpResponse>,
    ) -> SecretsError
    where
        E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        SecretsError::Unavailable(format!("{} refused {what}: {}", self.name(), describe(e)))
    }

    fn store_error(&self, e: StoreError) -> SecretsError {
        SecretsError::Unavailable(format!(
            "the key ring item of {}: {e}",
            self.store.table_name()
        ))
    }

    /// What a save is conditional on: the ring's id and versions as they were.
    fn state(ring: &Keyring) -> String {
        let versions: Vec<String> = ring.versions().map(|v| v.to_string()).collect();
        format!("{}:{}:{}", ring.id(), ring.current(), versions.join(","))
    }
}

#[async_trait]
impl KeySource for KmsKeyring {
    fn name(&self) -> String {
        format!("the KMS key {}", self.key_id)
    }

    async fn load(&self) -> Result<Option<Keyring>, SecretsError> {
        let item = self
            .store
            .get(KEYRING.to_owned(), KEYRING)
            .await
            .map_err(|e| self.store_error(e))?;
        let Some(Some(AttributeValue::B(wrapped))) = item.as_ref().map(|i| i.get("ring")) else {
            return Ok(None);
        };
        let mut request = self
            .kms()
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped.as_ref().to_vec()));
        for (k, v) in self.context() {
            request = request.encryption_context(k, v);
        }
        let out = request
            .send()
            .await
            .map_err(|e| self.refused("Decrypt", &e))?;
        let plain = Zeroizing::new(
            out.plaintext()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default(),
        );
        Keyring::from_json(&plain).map(Some).map_err(|e| {
            SecretsError::Unavailable(format!(
                "the key ring {} unwrapped is damaged: {e}",
                self.name()
            ))
        })
    }

    async fn save(&self, ring: &Keyring, replacing: Option<&Keyring>) -> Result<(), SecretsError> {
        let json = ring.to_json();
        let mut request = self
            .kms()
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(json.as_bytes().to_vec()));
        for (k, v) in self.context() {
            request = request.encryption_context(k, v);
        }
        let out = request
            .send()
            .await
            .map_err(|e| self.refused("Encrypt", &e))?;
        let wrapped = out
            .ciphertext_blob()
            .map(|b| b.as_ref().to_vec())
            .ok_or_else(|| {
                SecretsError::Unavailable(format!("{} returned no ciphertext", self.name()))
            })?;
        let mut item = key(KEYRING.to_owned(), KEYRING);
        item.insert("ring".into(), AttributeValue::B(DynamoBlob::new(wrapped)));
        item.insert("state".into(), s(Self::state(ring)));
        item.insert("kmsKeyId".into(), s(&self.key_id));
        let put = self
            .store
            .client
            .put_item()
            .table_name(self.store.table_name())
            .set_item(Some(item));
        let put = match replacing {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(previous) => put
                .condition_expression("#state = :state")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":state", s(Self::state(previous))),
        };
        match put.send().await.map_err(|e| self.store.error(e)) {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict) => Err(SecretsError::Conflict(format!(
                "the key ring of table {}",
                self.store.table_name()
            ))),
            Err(e) => Err(self.store_error(e)),
        }
    }

    async fn new_key(&self) -> Result<DataKey, SecretsError> {
        let mut request = self
            .kms()
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256);
        for (k, v) in self.context() {
            request = request.encryption_context(k, v);
        }
        let out = request
            .send()
            .await
            .map_err(|e| self.refused("GenerateDataKey", &e))?;
        let plain = Zeroizing::new(
            out.plaintext()
                .map(|b| b.as_ref().to_vec())
                .unwrap_or_default(),
        );
        DataKey::from_bytes(&plain).map_err(SecretsError::Unavailable)
    }
}

/// The key source of a DynamoDB store without `KMS_KEY_ID`: every use names the variable.
#[derive(Debug)]
pub struct NoKmsKey;

impl NoKmsKey {
    fn error() -> SecretsError {
        SecretsError::Missing(format!(
            "{KMS_KEY_VAR} is not set: the DynamoDB store seals tenant secrets with that KMS key"
        ))
    }
}

#[async_trait]
impl KeySource for NoKmsKey {
    fn name(&self) -> String {
        format!("the KMS key ({KMS_KEY_VAR} is not set)")
    }

    async fn load(&self) -> Result<Option<Keyring>, SecretsError> {
        Err(Self::error())
    }

    async fn save(&self, _: &Keyring, _: Option<&Keyring>) -> Result<(), SecretsError> {
        Err(Self::error())
    }

    async fn new_key(&self) -> Result<DataKey, SecretsError> {
        Err(Self::error())
    }
}
