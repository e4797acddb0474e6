//! Reading provider JSON with errors that name the offending field.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::BookingKey;

/// Why a webhook body could not be read as the provider's payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON at all.
    #[error("body is not valid JSON: {0}")]
    InvalidJson(String),
    /// JSON, but not the provider's shape. `field` is a path such as `payload.startTime`.
    #[error("{field}: {problem}")]
    InvalidPayload { field: String, problem: String },
}

impl PayloadError {
    pub(crate) fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        PayloadError::InvalidPayload {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Deserialises a whole body that must be a JSON object; `what` names it in errors when the
/// problem is at the top level.
pub(crate) fn from_body<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    what: &str,
) -> Result<T, PayloadError> {
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => PayloadError::field(what, "must be a JSON object"),
                Err(e) => PayloadError::InvalidJson(e.to_string()),
            },
        );
    }
    deserialize(|| serde_json::Deserializer::from_slice(bytes), "", what)
}

/// Deserialises a nested raw value, which must be a JSON object, found at path `prefix`.
pub(crate) fn from_raw<'a, T: Deserialize<'a>>(
    raw: &'a RawValue,
    prefix: &str,
) -> Result<T, PayloadError> {
    if !raw.get().starts_with('{') {
        return Err(PayloadError::field(prefix, "must be a JSON object"));
    }
    deserialize(
        || serde_json::Deserializer::from_str(raw.get()),
        prefix,
        prefix,
    )
}

/// Reads a whole JSON value from the deserializer `open` makes. Tracking the path of every
/// field costs a string per key (a quarter of a webhook's parse under load), and it is only
/// needed to name the field of an error: a body that fails is read again with the path tracked.
/// The second reading fails at the same place, so the error is the one the first one met.
fn deserialize<'a, T, R>(
    open: impl Fn() -> serde_json::Deserializer<R>,
    prefix: &str,
    what: &str,
) -> Result<T, PayloadError>
where
    T: Deserialize<'a>,
    R: serde_json::de::Read<'a>,
{
    let mut de = open();
    if let Ok(value) = T::deserialize(&mut de)
        && de.end().is_ok()
    {
        return Ok(value);
    }
    let mut de = open();
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let field = match (prefix, path.as_str()) {
                (_, ".") | (_, "") => what.to_owned(),
                ("", p) => p.to_owned(),
                (pre, p) => format!("{pre}.{p}"),
            };
            PayloadError::field(field, inner.to_string())
        } else {
            PayloadError::InvalidJson(inner.to_string())
        }
    })?;
    de.end()
        .map_err(|e| PayloadError::InvalidJson(e.to_string()))?;
    Ok(value)
}

pub(crate) fn required<T>(value: Option<T>, field: &str) -> Result<T, PayloadError> {
    value.ok_or_else(|| PayloadError::field(field, "is required"))
}

pub(crate) fn time(value: &str, field: &str) -> Result<DateTime<Utc>, PayloadError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| PayloadError::field(field, format!("is not an RFC 3339 time ({e})")))
}

pub(crate) fn optional_time(
    value: Option<&str>,
    field: &str,
) -> Result<Option<DateTime<Utc>>, PayloadError> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| time(v, field))
        .transpose()
}

pub(crate) fn key(value: Option<&str>, field: &str) -> Result<BookingKey, PayloadError> {
    let raw = required(value, field)?;
    BookingKey::parse(raw).map_err(|e| PayloadError::field(field, e.to_string()))
}

/// A link to another booking: absent, null and empty all mean "none".
pub(crate) fn optional_key(
    value: Option<&str>,
    field: &str,
) -> Result<Option<BookingKey>, PayloadError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => BookingKey::parse(raw)
            .map(Some)
            .map_err(|e| PayloadError::field(field, e.to_string())),
    }
}

/// A trimmed, non-empty string.
pub(crate) fn text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}
