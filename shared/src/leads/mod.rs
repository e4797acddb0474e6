//! Leads and their booking timelines.

mod lead;
mod timeline;

pub use lead::{Lead, LeadBooking, LeadSource};
pub use timeline::TimelineEntry;
