//! Use-cases that change booking data.

mod apply;
mod import;

pub use apply::{Applied, ApplyError, MAX_ATTEMPTS, apply_event};
pub use import::{ImportReport, InvalidRow, LeadRow, import_leads};
