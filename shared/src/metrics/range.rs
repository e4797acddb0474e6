//! Metrics ranges: `range=7d|30d|90d|all` (default `7d`) or `from=YYYY-MM-DD&to=YYYY-MM-DD`,
//! inclusive, in the account's time zone.

use chrono::{Duration, NaiveDate};

/// The longest custom range, in days (three years, a leap day included).
pub const MAX_SPAN_DAYS: i64 = 3 * 365 + 1;

/// A range as asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeQuery {
    /// The last N days, today included.
    Last(u32),
    /// From the account's first booking to today.
    All,
    Between(NaiveDate, NaiveDate),
}

/// Why a range was refused: a sentence for the `invalid_range` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RangeError(pub String);

impl RangeQuery {
    /// Reads the query parameters `range`, `from` and `to`.
    pub fn parse(
        range: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Self, RangeError> {
        let fail = |message: &str| Err(RangeError(message.to_owned()));
        match (range.map(str::trim), from.map(str::trim), to.map(str::trim)) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                fail("use either range or from/to, not both")
            }
            (_, Some(from), Some(to)) => {
                let from = date(from, "from")?;
                let to = date(to, "to")?;
                if from > to {
                    return fail("from is after to");
                }
                if (to - from).num_days() + 1 > MAX_SPAN_DAYS {
                    return fail("the range spans more than 3 years");
                }
                Ok(RangeQuery::Between(from, to))
            }
            (_, Some(_), None) => fail("from needs to"),
            (_, None, Some(_)) => fail("to needs from"),
            (None | Some("7d"), None, None) => Ok(RangeQuery::Last(7)),
            (Some("30d"), None, None) => Ok(RangeQuery::Last(30)),
            (Some("90d"), None, None) => Ok(RangeQuery::Last(90)),
            (Some("all"), None, None) => Ok(RangeQuery::All),
            (Some(other), None, None) => Err(RangeError(format!(
                "range {other:?} is not one of 7d, 30d, 90d, all (or give from and to)"
            ))),
        }
    }

    pub fn needs_first_day(self) -> bool {
        self == RangeQuery::All
    }

    /// The days the range covers, given today's date in the account's zone and the account's
    /// first booking day (for `all`).
    pub fn resolve(self, today: NaiveDate, first_day: Option<NaiveDate>) -> ResolvedRange {
        match self {
            RangeQuery::Last(days) => ResolvedRange {
                label: format!("{days}d"),
                from: today - Duration::days(i64::from(days) - 1),
                to: today,
            },
            RangeQuery::All => ResolvedRange {
                label: "all".into(),
                from: first_day.unwrap_or(today).min(today),
                to: today,
            },
            RangeQuery::Between(from, to) => ResolvedRange {
                label: "custom".into(),
                from,
                to,
            },
        }
    }
}

/// A `YYYY-MM-DD` date, exactly (chrono alone would also take `2026-3-1`).
fn date(raw: &str, name: &str) -> Result<NaiveDate, RangeError> {
    let bytes = raw.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| {
            RangeError(format!(
                "{name} must be a date like 2026-03-01, got {raw:?}"
            ))
        })
}

/// The days a report covers, both ends included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedRange {
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl ResolvedRange {
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn presets_end_today() {
        let today = d(2025, 11, 13);
        let seven = RangeQuery::parse(None, None, None)
            .unwrap()
            .resolve(today, None);
        assert_eq!(
            (seven.label.as_str(), seven.from, seven.to),
            ("7d", d(2025, 11, 7), today)
        );
        assert_eq!(seven.days().count(), 7);
        let ninety = RangeQuery::parse(Some("90d"), None, None)
            .unwrap()
            .resolve(today, None);
        assert_eq!(ninety.days().count(), 90);
        let all = RangeQuery::parse(Some("all"), None, None).unwrap();
        assert_eq!(all.resolve(today, Some(d(2024, 1, 5))).from, d(2024, 1, 5));
        assert_eq!(
            all.resolve(today, None).from,
            today,
            "no bookings yet: just today"
        );
    }

    #[test]
    fn custom_ranges_are_inclusive_and_bounded() {
        let q = RangeQuery::parse(None, Some("2026-03-01"), Some("2026-03-31")).unwrap();
        assert_eq!(q.resolve(d(2026, 1, 1), None).days().count(), 31);
        assert!(RangeQuery::parse(None, Some("2023-01-01"), Some("2025-12-31")).is_ok());
        for (range, from, to) in [
            (Some("1y"), None, None),
            (Some("7d"), Some("2026-03-01"), Some("2026-03-02")),
            (None, Some("2026-03-02"), Some("2026-03-01")),
            (None, Some("2026-3-1"), Some("2026-03-02")),
            (None, Some("yesterday"), Some("2026-03-02")),
            (None, Some("2026-03-01"), None),
            (None, None, Some("2026-03-01")),
            (None, Some("2022-01-01"), Some("2025-01-02")),
        ] {
            assert!(
                RangeQuery::parse(range, from, to).is_err(),
                "{range:?} {from:?} {to:?}"
            );
        }
    }
}
