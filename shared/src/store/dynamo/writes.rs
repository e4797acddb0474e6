//! The conditional writes each transaction is made of, mirroring the SQLite adapter's.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use chrono::NaiveDate;

use super::table::TABLE;
use super::{DynamoStore, Item, item, key, keys, n, s};
use crate::booking::{DayCounts, Write};
use crate::domain::AccountId;
use crate::leads::TimelineEntry;
use crate::store::{Delivery, LeadWrite, LookupClaim, StoreError, StoreResult, sortable_time};

fn build<T, E: std::fmt::Display>(result: Result<T, E>) -> StoreResult<T> {
    result.map_err(|e| StoreError::Unavailable(format!("building a DynamoDB request: {e}")))
}

impl DynamoStore {
    pub(super) fn put(
        &self,
        item: Item,
        condition: Option<Condition>,
    ) -> StoreResult<TransactWriteItem> {
        let mut put = Put::builder().table_name(&*self.table).set_item(Some(item));
        if let Some(c) = condition {
            put = put
                .condition_expression(c.expression)
                .set_expression_attribute_names(c.names)
                .set_expression_attribute_values(c.values);
        }
        Ok(TransactWriteItem::builder()
            .put(build(put.build())?)
            .build())
    }

    pub(super) fn write_appointment(
        &self,
        account: &AccountId,
        write: &Write,
    ) -> StoreResult<TransactWriteItem> {
        let a = &write.after;
        let mut attrs = vec![
            (TABLE.partition_key, keys::appointment(account, a.id())),
            (TABLE.sort_key, keys::APPOINTMENT_SK.to_owned()),
            ("gsi2pk", keys::appointments(account)),
            ("gsi2sk", a.id().to_string()),
        ];
        if let Some(start) = a.start().filter(|_| a.status().is_live()) {
            attrs.push(("gsi1pk", keys::upcoming(account)));
            attrs.push(("gsi1sk", format!("{}#{}", sortable_time(start), a.id())));
        }
        if let Some(lead) = a.lead_id() {
            attrs.push(("gsi3pk", keys::lead(account, lead)));
            attrs.push((
                "gsi3sk",
                format!("{}#{}", sortable_time(a.booked_at()), a.id()),
            ));
        }
        let condition = Condition::revision(write.before.as_ref().map(|b| b.revision()));
        self.put(item(a, &attrs)?, Some(condition))
    }

    pub(super) fn write_lead(
        &self,
        account: &AccountId,
        write: &LeadWrite,
    ) -> StoreResult<TransactWriteItem> {
        let lead = &write.after;
        let attrs = [
            (TABLE.partition_key, keys::lead(account, &lead.id)),
            (TABLE.sort_key, keys::LEAD_SK.to_owned()),
            ("gsi2pk", keys::leads(account)),
            ("gsi2sk", lead.id.to_string()),
        ];
        self.put(
            item(lead, &attrs)?,
            Some(Condition::revision(write.before_revision)),
        )
    }

    fn lookup_key(account: &AccountId, claim: &LookupClaim) -> (String, String) {
        match claim {
            LookupClaim::Phone(phone, lead) => (keys::phone(account, phone), lead.to_string()),
            LookupClaim::Email(email, lead) => (keys::email(account, email), lead.to_string()),
        }
    }

    /// Takes a phone or email for a lead; fails if another lead holds it.
    pub(super) fn claim(
        &self,
        account: &AccountId,
        claim: &LookupClaim,
    ) -> StoreResult<TransactWriteItem> {
        let (pk, lead) = Self::lookup_key(account, claim);
        let mut lookup = key(pk, keys::LOOKUP_SK);
        lookup.insert("leadId".into(), s(lead.clone()));
        let condition = Condition {
            expression: "attribute_not_exists(pk) OR leadId = :lead".into(),
            names: None,
            values: Some(HashMap::from([(":lead".into(), s(lead))])),
        };
        self.put(lookup, Some(condition))
    }

    /// Gives up a phone or email, if the lead still holds it.
    pub(super) fn release(
        &self,
        account: &AccountId,
        claim: &LookupClaim,
    ) -> StoreResult<TransactWriteItem> {
        let (pk, lead) = Self::lookup_key(account, claim);
        let delete = Delete::builder()
            .table_name(&*self.table)
            .set_key(Some(key(pk, keys::LOOKUP_SK)))
            .condition_expression("attribute_not_exists(pk) OR leadId = :lead")
            .expression_attribute_values(":lead", s(lead));
        Ok(TransactWriteItem::builder()
            .delete(build(delete.build())?)
            .build())
    }

    /// Adds a day's counter deltas (`ADD` creates missing counters at zero).
    pub(super) fn add_counters(
        &self,
        account: &AccountId,
        day: NaiveDate,
        counts: &DayCounts,
    ) -> StoreResult<TransactWriteItem> {
        let mut expression = Vec::new();
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        for (i, (name, value)) in counts
            .fields()
            .into_iter()
            .filter(|(_, v)| *v != 0)
            .enumerate()
        {
            expression.push(format!("#c{i} :v{i}"));
            names.insert(format!("#c{i}"), name.to_owned());
            values.insert(format!(":v{i}"), n(value));
        }
        let update = Update::builder()
            .table_name(&*self.table)
            .set_key(Some(key(keys::days(account), &keys::day(day))))
            .update_expression(format!("ADD {}", expression.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values));
        Ok(TransactWriteItem::builder()
            .update(build(update.build())?)
            .build())
    }

    /// Timeline entries are keyed by their event: writing one twice keeps one.
    pub(super) fn put_timeline(
        &self,
        account: &AccountId,
        lead: &crate::domain::LeadId,
        entry: &TimelineEntry,
    ) -> StoreResult<TransactWriteItem> {
        let attrs = [
            (TABLE.partition_key, keys::lead(account, lead)),
            (
                TABLE.sort_key,
                format!("{}{}", keys::TIMELINE_PREFIX, entry.key()),
            ),
        ];
        self.put(item(entry, &attrs)?, None)
    }

    pub(super) fn delivery_item(account: &AccountId, delivery: &Delivery) -> StoreResult<Item> {
        let attrs = [
            (TABLE.partition_key, keys::deliveries(account)),
            (TABLE.sort_key, delivery.id.clone()),
        ];
        let mut item = item(delivery, &attrs)?;
        // The TTL attribute must be a number of epoch seconds.
        item.insert(
            TABLE.ttl_attribute.into(),
            n(delivery.expires_at.timestamp()),
        );
        Ok(item)
    }

    pub(super) fn put_delivery(
        &self,
        account: &AccountId,
        delivery: &Delivery,
    ) -> StoreResult<TransactWriteItem> {
        self.put(Self::delivery_item(account, delivery)?, None)
    }
}

/// A condition expression with its placeholders.
pub(super) struct Condition {
    pub(super) expression: String,
    pub(super) names: Option<HashMap<String, String>>,
    pub(super) values: Option<Item>,
}

impl Condition {
    /// The item is new, or already belongs to `account` (an API-key item being rewritten).
    pub(super) fn new_or_account(account: &AccountId) -> Self {
        Condition {
            expression: "attribute_not_exists(pk) OR #id = :account".into(),
            names: Some(HashMap::from([("#id".into(), "id".into())])),
            values: Some(HashMap::from([(":account".into(), s(account.to_string()))])),
        }
    }

    /// New (`None`): the item must not exist. Existing: it must still be at the revision read.
    pub(super) fn revision(read: Option<u64>) -> Self {
        match read {
            None => Condition {
                expression: "attribute_not_exists(pk)".into(),
                names: None,
                values: None,
            },
            Some(revision) => Condition {
                expression: "#revision = :revision".into(),
                names: Some(HashMap::from([("#revision".into(), "revision".into())])),
                values: Some(HashMap::from([(":revision".into(), n(revision))])),
            },
        }
    }
}
