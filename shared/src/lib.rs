//! booking-tracker's core: domain types, provider formats, the booking state machine, lead
//! matching, the store interface with its adapters, and the use-cases built on them.

pub mod accounts;
#[cfg(feature = "sync")]
pub mod actions;
pub mod booking;
pub mod clock;
pub mod dashboard;
#[cfg(feature = "sync")]
pub mod doctor;
pub mod domain;
pub mod explain;
pub mod http;
pub mod ingest;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod leads;
pub mod matching;
pub mod metrics;
#[cfg(feature = "sync")]
pub mod outbound;
pub mod providers;
pub mod routes;
pub mod secrets;
#[cfg(feature = "sync")]
pub mod setup;
#[cfg(feature = "sync")]
pub mod sheets;
pub mod store;
#[cfg(feature = "sync")]
pub mod sync;
#[cfg(any(feature = "dynamodb", feature = "sync"))]
mod tls;
pub mod webhooks;
