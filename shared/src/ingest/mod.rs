//! Use-cases that change booking data.

mod apply;

pub use apply::{Applied, ApplyError, MAX_ATTEMPTS, apply_event};
