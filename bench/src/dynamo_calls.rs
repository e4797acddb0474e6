//! Every DynamoDB request a client makes, recorded by an SDK interceptor: the operation, the
//! items it read, the items a write carried, its request bytes and whether it failed. The store
//! under test is handed a client built with [`counted_client`]; nothing in the store changes.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextMut, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsInput, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, ReturnConsumedCapacity, TransactWriteItem,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// One DynamoDB request, as the SDK made it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Call {
    /// The operation's name: `GetItem`, `TransactWriteItems`, …
    pub operation: String,
    /// Items returned (a `GetItem` that found its item reads one).
    pub items_read: usize,
    /// Items written, or in a transaction (its actions, conditions included).
    pub items_written: usize,
    /// What each key the request names is (`appointment`, `lead`, `phone`, …), in order.
    pub keys: Vec<&'static str>,
    /// Bytes of the request body sent, over all attempts.
    pub request_bytes: usize,
    /// Capacity units DynamoDB reported consuming, in thousandths (half units stay exact).
    pub capacity_milli: u64,
    /// HTTP attempts: more than one when the SDK retried.
    pub attempts: usize,
    /// The service's error code when the call failed; for a cancelled transaction, its
    /// cancellation reasons.
    pub error: Option<String>,
}

impl Storable for Call {
    type Storer = StoreReplace<Self>;
}

/// The calls made so far, shared between the interceptor and whoever reads them.
#[derive(Clone, Debug, Default)]
pub struct Recorder(Arc<Mutex<Vec<Call>>>);

impl Recorder {
    /// The calls recorded since the last take, oldest first.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn push(&self, call: Call) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }
}

/// A DynamoDB client over `config` whose every request lands in the returned recorder.
pub fn counted_client(config: &aws_config::SdkConfig) -> (aws_sdk_dynamodb::Client, Recorder) {
    let recorder = Recorder::default();
    let conf = aws_sdk_dynamodb::config::Builder::from(config)
        .interceptor(Counter(recorder.clone()))
        .build();
    (aws_sdk_dynamodb::Client::from_conf(conf), recorder)
}

#[derive(Debug)]
struct Counter(Recorder);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "DynamoDbCallCounter"
    }

    /// The input is only here, before serialisation: count what a write carries. (A client
    /// interceptor runs this before the operation's configuration: no `Metadata` yet.)
    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let (items_written, keys) = if let Some(t) = input.downcast_ref::<TransactWriteItemsInput>()
        {
            let keys = t.transact_items().iter().map(transact_key).collect();
            (t.transact_items().len(), keys)
        } else if let Some(b) = input.downcast_ref::<BatchWriteItemInput>() {
            let n = b
                .request_items()
                .map_or(0, |r| r.values().map(Vec::len).sum());
            (n, Vec::new())
        } else if let Some(p) = input.downcast_ref::<PutItemInput>() {
            (1, vec![kind(p.item())])
        } else if let Some(u) = input.downcast_ref::<UpdateItemInput>() {
            (1, vec![kind(u.key())])
        } else if let Some(d) = input.downcast_ref::<DeleteItemInput>() {
            (1, vec![kind(d.key())])
        } else if let Some(g) = input.downcast_ref::<GetItemInput>() {
            (0, vec![kind(g.key())])
        } else if let Some(b) = input.downcast_ref::<BatchGetItemInput>() {
            let keys = b
                .request_items()
                .into_iter()
                .flat_map(|r| r.values())
                .flat_map(|k| k.keys())
                .map(|k| kind(Some(k)))
                .collect();
            (0, keys)
        } else {
            (0, Vec::new())
        };
        cfg.interceptor_state().store_put(Call {
            items_written,
            keys,
            ..Call::default()
        });
        Ok(())
    }

    /// Writes are asked to report the capacity they consume (the store asks for reads).
    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        if let Some(t) = input.downcast_mut::<TransactWriteItemsInput>() {
            t.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
        } else if let Some(p) = input.downcast_mut::<PutItemInput>() {
            p.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let bytes = context.request().body().bytes().map_or(0, <[u8]>::len);
        if let Some(call) = cfg.load::<Call>() {
            let mut call = call.clone();
            call.request_bytes += bytes;
            call.attempts += 1;
            cfg.interceptor_state().store_put(call);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut call = cfg.load::<Call>().cloned().unwrap_or_default();
        call.operation = cfg
            .load::<Metadata>()
            .map_or("unknown", Metadata::name)
            .to_owned();
        match context.output_or_error() {
            Some(Ok(output)) => {
                let (items, capacity): (usize, Vec<&ConsumedCapacity>) =
                    if let Some(o) = output.downcast_ref::<GetItemOutput>() {
                        let found = usize::from(o.item().is_some());
                        (found, o.consumed_capacity().into_iter().collect())
                    } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
                        (o.items().len(), o.consumed_capacity().into_iter().collect())
                    } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
                        let found = o.responses().map_or(0, |r| r.values().map(Vec::len).sum());
                        (found, o.consumed_capacity().iter().collect())
                    } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
                        (0, o.consumed_capacity().iter().collect())
                    } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
                        (0, o.consumed_capacity().into_iter().collect())
                    } else {
                        (0, Vec::new())
                    };
                call.items_read = items;
                let units: f64 = capacity.iter().filter_map(|c| c.capacity_units()).sum();
                call.capacity_milli = (units * 1000.0).round().max(0.0) as u64;
            }
            Some(Err(err)) => {
                let service = err.as_operation_error();
                call.error = Some(
                    match service.and_then(|e| e.downcast_ref::<TransactWriteItemsError>()) {
                        Some(TransactWriteItemsError::TransactionCanceledException(t)) => {
                            let reasons: Vec<&str> = t
                                .cancellation_reasons()
                                .iter()
                                .filter_map(|r| r.code())
                                .filter(|c| *c != "None")
                                .collect();
                            format!("TransactionCanceled[{}]", reasons.join(","))
                        }
                        Some(other) => other.code().unwrap_or("error").to_owned(),
                        None => "error".to_owned(),
                    },
                );
            }
            None => {}
        }
        self.0.push(call);
        Ok(())
    }
}

/// What an item is, from its key, as the table's design lays keys out
/// (`shared::store::dynamo::table`).
fn kind(key: Option<&HashMap<String, AttributeValue>>) -> &'static str {
    let text = |name: &str| {
        key.and_then(|k| k.get(name))
            .and_then(|v| v.as_s().ok())
            .map_or("", String::as_str)
    };
    let (pk, sk) = (text("pk"), text("sk"));
    match sk {
        "ACCOUNT" => "account",
        "KEY" => "api-key",
        "KEYRING" => "keyring",
        "APT" => "appointment",
        "LEAD" => "lead",
        "SYNC" => "sync-state",
        "LOOKUP" if pk.contains("#PHONE#") => "phone",
        "LOOKUP" => "email",
        _ if sk.starts_with("TL#") => "timeline",
        _ if pk.ends_with("#DAYS") => "counters",
        _ if pk.ends_with("#DELIVERIES") => "delivery",
        _ => "other",
    }
}

fn transact_key(item: &TransactWriteItem) -> &'static str {
    if let Some(put) = item.put() {
        kind(Some(put.item()))
    } else if let Some(update) = item.update() {
        kind(Some(update.key()))
    } else if let Some(delete) = item.delete() {
        kind(Some(delete.key()))
    } else {
        kind(item.condition_check().map(|c| c.key()))
    }
}

/// One webhook's calls in one line, in the order made, with the keys each names: `GetItem
/// account (1 read) → BatchGetItem phone+email (0 read) → TransactWriteItems appointment+lead+…
/// [7 written]`.
pub fn sequence(calls: &[Call]) -> String {
    let mut out = String::new();
    for (i, call) in calls.iter().enumerate() {
        if i > 0 {
            out.push_str(" → ");
        }
        let _ = write!(out, "{} {}", call.operation, call.keys.join("+"));
        if call.items_written > 0 {
            let _ = write!(out, " [{} written]", call.items_written);
        } else {
            let _ = write!(out, " ({} read)", call.items_read);
        }
        if let Some(error) = &call.error {
            let _ = write!(out, "!{error}");
        }
    }
    out
}

/// Totals over many calls: requests, items read and written, and bytes sent, per operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub requests: usize,
    pub items_read: usize,
    pub items_written: usize,
    pub request_bytes: usize,
    pub capacity_milli: u64,
    pub failed: usize,
}

pub fn totals(calls: &[Call]) -> BTreeMap<String, Totals> {
    let mut by_op: BTreeMap<String, Totals> = BTreeMap::new();
    for call in calls {
        let t = by_op.entry(call.operation.clone()).or_default();
        t.requests += 1;
        t.items_read += call.items_read;
        t.items_written += call.items_written;
        t.request_bytes += call.request_bytes;
        t.capacity_milli += call.capacity_milli;
        t.failed += usize::from(call.error.is_some());
    }
    by_op
}

/// Per-webhook means over `webhooks`: `GetItem 2.00 (1.00 items read), TransactWriteItems 1.00
/// [7.0 items, 4.9 kB each], …; capacity as reported: 2.0 RCU + 22.0 WCU` (DynamoDB Local's
/// report: it charges misses nothing and a transaction a flat 22 WCU, unlike AWS).
pub fn per_webhook(calls: &[Call], webhooks: usize) -> String {
    let n = webhooks.max(1) as f64;
    let parts: Vec<String> = totals(calls)
        .iter()
        .map(|(op, t)| {
            let mut part = format!("{op} {:.2}", t.requests as f64 / n);
            if t.items_written > 0 {
                let _ = write!(
                    part,
                    " [{:.1} items, {:.1} kB each]",
                    t.items_written as f64 / t.requests as f64,
                    t.request_bytes as f64 / t.requests as f64 / 1e3
                );
            } else {
                let _ = write!(part, " ({:.2} items read)", t.items_read as f64 / n);
            }
            if t.failed > 0 {
                let _ = write!(part, " {} failed", t.failed);
            }
            part
        })
        .collect();
    let (mut read, mut written) = (0, 0);
    for call in calls {
        match call.operation.as_str() {
            "GetItem" | "BatchGetItem" | "Query" | "Scan" => read += call.capacity_milli,
            _ => written += call.capacity_milli,
        }
    }
    format!(
        "{}; capacity as reported: {:.1} RCU + {:.1} WCU",
        parts.join(", "),
        read as f64 / 1e3 / n,
        written as f64 / 1e3 / n
    )
}
