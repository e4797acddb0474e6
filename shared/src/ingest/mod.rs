//! Use-cases that change booking data, and the key rotation.

mod apply;
mod import;
mod keys;
mod lead_update;
mod recount;

pub use apply::{Applied, ApplyError, MAX_ATTEMPTS, apply_event};
pub use import::{ImportReport, LeadRow, RowNote, import_leads};
pub use keys::{Rotation, rotate_keys};
pub use lead_update::update_lead;
pub use recount::{
    Drift, RecountPlan, RecountReport, all_days, drift, expected_counters, plan_recount,
    rebuild_outdated_counters, recount,
};
