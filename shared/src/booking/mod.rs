//! Following a booking through its life: appointment state, the state machine and the counters
//! it keeps.

mod appointment;
mod counters;
mod history;
mod machine;
mod register;
mod segments;

pub use appointment::Appointment;
pub use counters::{CounterDelta, DayCounts, contribution};
pub use history::{EventSource, HistoryEntry, MAX_HISTORY};
pub use machine::{
    ApplyContext, MAX_CHAIN, Neighbourhood, NeighbourhoodLoader, Outcome, Transition, Write, apply,
};
pub use segments::{Dimension, Segment, UnknownDimension};

#[cfg(test)]
mod machine_tests;
