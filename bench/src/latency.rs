//! Latency summaries shared by the load harnesses.

use std::time::Duration;

/// The `p` quantile (0 to 1) of sorted samples, in milliseconds; NaN when there are none.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e3
}
