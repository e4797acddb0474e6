//! booking-tracker's core: domain types, provider formats, the booking state machine and lead
//! matching. Everything here is pure; storage and HTTP live in their own modules and crates.

pub mod booking;
pub mod domain;
pub mod matching;
pub mod providers;
