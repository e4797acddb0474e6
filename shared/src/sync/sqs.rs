//! The sync queue on SQS: `SendMessageBatch` to the queue `template.yaml` creates
//! (`SYNC_QUEUE_URL`). The endpoint comes from the standard AWS settings
//! (`AWS_ENDPOINT_URL_SQS` for a local emulator).

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::fanout::{BATCH, SyncQueue};
use crate::store::dynamo::describe;

/// `SYNC_QUEUE_URL`: where the schedule enqueues accounts.
pub const QUEUE_URL_VAR: &str = "SYNC_QUEUE_URL";

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Sqs,
    url: String,
}

/// The queue's client: given, or built by the first send. The sync function's schedule is the
/// only sender; the queue's own records (most invocations) never send, so their cold starts
/// skip the client (its endpoint rules and plugins are a tenth of a cold start).
#[derive(Clone, Debug)]
enum Sqs {
    Ready(Client),
    OnFirstSend(Box<aws_config::SdkConfig>, OnceLock<Client>),
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client: Sqs::Ready(client),
            url: url.into(),
        }
    }

    /// A queue at `url` whose client is built from `config` when it first sends.
    pub fn on_first_send(config: aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self {
            client: Sqs::OnFirstSend(Box::new(config), OnceLock::new()),
            url: url.into(),
        }
    }

    fn client(&self) -> &Client {
        match &self.client {
            Sqs::Ready(client) => client,
            Sqs::OnFirstSend(config, client) => client.get_or_init(|| Client::new(config)),
        }
    }
}

#[async_trait]
impl SyncQueue for SqsQueue {
    async fn send_batch(&self, bodies: &[String]) -> Result<Vec<usize>, String> {
        if bodies.len() > BATCH {
            return Err(format!(
                "{} entries; SQS takes at most {BATCH}",
                bodies.len()
            ));
        }
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = self
            .client()
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| format!("SQS: {}", describe(&e)))?;
        let mut refused = Vec::new();
        for failed in output.failed() {
            tracing::warn!(
                code = failed.code(),
                sender_fault = failed.sender_fault(),
                "SQS refused a sync message"
            );
            match failed.id().parse::<usize>() {
                Ok(i) => refused.push(i),
                Err(_) => return Err(format!("SQS named an unknown entry {:?}", failed.id())),
            }
        }
        Ok(refused)
    }
}
