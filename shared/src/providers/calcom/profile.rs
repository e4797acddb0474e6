//! Cal.com API v2 `GET /v2/me` ("Get my profile", https://cal.com/docs/api-reference/v2/me/get-my-profile):
//! the cheapest call that proves an API key works. It answers `{"status": "success", "data":
//! {"id", "username", "email", ...}}`; an OAuth token needs the `PROFILE_READ` scope. No
//! `cal-api-version` header: the controller has no versions.

use serde::Deserialize;

use super::webhooks_api::{Envelope, success};
use crate::providers::json::{self, PayloadError};

/// The path of the call.
pub const ME_PATH: &str = "/v2/me";

/// Who an API key belongs to, as far as `doctor` shows it (no email: it is personal data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalcomProfile {
    pub id: u64,
    pub username: Option<String>,
}

#[derive(Deserialize)]
struct WireMe {
    id: Option<u64>,
    username: Option<String>,
}

/// The answer to `GET /v2/me`.
pub fn parse_me(body: &[u8]) -> Result<CalcomProfile, PayloadError> {
    let answer: Envelope<WireMe> = json::from_body(body, "body")?;
    let me = json::required(success(answer)?, "data")?;
    Ok(CalcomProfile {
        id: json::required(me.id, "data.id")?,
        username: json::text(me.username.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_profile_and_names_what_is_missing() {
        let body = br#"{"status": "success", "data": {"id": 123, "username": "tom-hargreaves",
            "email": "tom.hargreaves@example.com", "name": "Tom Hargreaves", "timeFormat": 12,
            "defaultScheduleId": 1, "weekStart": "Monday", "timeZone": "Europe/London",
            "locale": "en", "organizationId": null}}"#;
        assert_eq!(
            parse_me(body).unwrap(),
            CalcomProfile {
                id: 123,
                username: Some("tom-hargreaves".into())
            }
        );
        let err = parse_me(br#"{"status": "success", "data": {"username": "x"}}"#).unwrap_err();
        assert_eq!(err.to_string(), "data.id: is required");
        assert!(parse_me(br#"{"status": "error", "data": null}"#).is_err());
    }
}
