//! The table definition: the one place its keys, indexes and TTL are written down. Local table
//! creation uses it, and the SAM template is tested against it.
//!
//! | entity | pk | sk | indexes |
//! |---|---|---|---|
//! | account | `A#<account>` | `ACCOUNT` | gsi2: `ACCOUNTS` / `<account>` |
//! | API key (copy of its account) | `KEY#<sha256>` | `KEY` | |
//! | appointment | `A#<account>#APT#<id>` | `APT` | gsi1 while live: `A#<account>#UPCOMING` / `<start>#<id>`; gsi2: `A#<account>#APTS` / `<id>`; gsi3 with a lead: `A#<account>#LEAD#<lead>` / `<bookedAt>#<id>` |
//! | lead | `A#<account>#LEAD#<id>` | `LEAD` | gsi2: `A#<account>#LEADS` / `<id>` |
//! | timeline entry | `A#<account>#LEAD#<id>` | `TL#<time>#<appointment>#<trigger>` | |
//! | phone / email owner | `A#<account>#PHONE#<e164>` / `A#<account>#EMAIL#<email>` | `LOOKUP` | |
//! | day counters | `A#<account>#DAYS` | `<YYYY-MM-DD>` | |
//! | delivery | `A#<account>#DELIVERIES` | `<ULID>` | TTL `ttl` (epoch seconds of `expiresAt`) |
//! | sync state | `A#<account>` | `SYNC` | |

use serde::Serialize;

/// A global secondary index: string keys, every attribute projected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexSpec {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

/// The table: string partition and sort keys, on-demand billing, a TTL attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableSpec {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub indexes: &'static [IndexSpec],
    pub ttl_attribute: &'static str,
    pub billing_mode: &'static str,
}

pub const UPCOMING_INDEX: &str = "gsi1";
pub const COLLECTION_INDEX: &str = "gsi2";
pub const LEAD_INDEX: &str = "gsi3";

pub const TABLE: TableSpec = TableSpec {
    partition_key: "pk",
    sort_key: "sk",
    indexes: &[
        IndexSpec {
            name: UPCOMING_INDEX,
            partition_key: "gsi1pk",
            sort_key: "gsi1sk",
        },
        IndexSpec {
            name: COLLECTION_INDEX,
            partition_key: "gsi2pk",
            sort_key: "gsi2sk",
        },
        IndexSpec {
            name: LEAD_INDEX,
            partition_key: "gsi3pk",
            sort_key: "gsi3sk",
        },
    ],
    // Not `expiresAt`: that is the delivery document's own (RFC 3339) field.
    ttl_attribute: "ttl",
    billing_mode: "PAY_PER_REQUEST",
};

impl TableSpec {
    /// Every key attribute the table and its indexes declare (all strings).
    pub fn key_attributes(&self) -> Vec<&'static str> {
        let mut names = vec![self.partition_key, self.sort_key];
        for index in self.indexes {
            names.push(index.partition_key);
            names.push(index.sort_key);
        }
        names
    }
}
