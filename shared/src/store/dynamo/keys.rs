//! Key strings. Every account-owned key starts with `A#<account>#`, so no operation can reach
//! another account's items.

use chrono::NaiveDate;

use crate::accounts::ApiKeyHash;
use crate::domain::{AccountId, AppointmentId, Email, LeadId, Phone};

pub(super) fn account(account: &AccountId) -> String {
    format!("A#{account}")
}

pub(super) const ACCOUNT_SK: &str = "ACCOUNT";
pub(super) const SYNC_SK: &str = "SYNC";
/// The account's sync lease (attributes `holder`, `expiresAt`, and `ttl` a day after expiry).
pub(super) const SYNC_LEASE_SK: &str = "SYNC#LEASE";
pub(super) const ACCOUNTS_COLLECTION: &str = "ACCOUNTS";

pub(super) fn api_key(hash: &ApiKeyHash) -> String {
    format!("KEY#{}", hash.as_hex())
}

pub(super) const KEY_SK: &str = "KEY";

pub(super) fn appointment(account: &AccountId, id: &AppointmentId) -> String {
    format!("A#{account}#APT#{id}")
}

pub(super) const APPOINTMENT_SK: &str = "APT";

pub(super) fn upcoming(account: &AccountId) -> String {
    format!("A#{account}#UPCOMING")
}

pub(super) fn appointments(account: &AccountId) -> String {
    format!("A#{account}#APTS")
}

pub(super) fn lead(account: &AccountId, id: &LeadId) -> String {
    format!("A#{account}#LEAD#{id}")
}

pub(super) const LEAD_SK: &str = "LEAD";
pub(super) const TIMELINE_PREFIX: &str = "TL#";

pub(super) fn leads(account: &AccountId) -> String {
    format!("A#{account}#LEADS")
}

pub(super) fn phone(account: &AccountId, phone: &Phone) -> String {
    format!("A#{account}#PHONE#{phone}")
}

pub(super) fn email(account: &AccountId, email: &Email) -> String {
    format!("A#{account}#EMAIL#{email}")
}

pub(super) const LOOKUP_SK: &str = "LOOKUP";

pub(super) fn days(account: &AccountId) -> String {
    format!("A#{account}#DAYS")
}

pub(super) fn day(day: NaiveDate) -> String {
    day.to_string()
}

pub(super) fn deliveries(account: &AccountId) -> String {
    format!("A#{account}#DELIVERIES")
}
