//! Use-cases that change booking data.

mod apply;
mod import;
mod recount;

pub use apply::{Applied, ApplyError, MAX_ATTEMPTS, apply_event};
pub use import::{ImportReport, InvalidRow, LeadRow, import_leads};
pub use recount::{Drift, RecountReport, all_days, drift, expected_counters, recount};
