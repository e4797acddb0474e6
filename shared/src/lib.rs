//! booking-tracker's core: domain types, provider formats, the booking state machine, lead
//! matching, the store interface with its adapters, and the use-cases built on them.

pub mod accounts;
pub mod booking;
pub mod domain;
pub mod ingest;
pub mod leads;
pub mod matching;
pub mod providers;
pub mod store;
