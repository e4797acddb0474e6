//! What `doctor` and `GET /health` answer (SPEC §8): `{"accountId", "checks": [{"check",
//! "status", "detail", "fix"}]}`, the checks always in the order of [`CheckName::ALL`].

use serde::Serialize;

/// One check, by its stable name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    CalcomWebhook,
    CalendlyWebhook,
    CalcomCredentials,
    CalendlyCredentials,
    Deliveries,
    LastSync,
    GoogleSheet,
    Counters,
    Unmatched,
}

impl CheckName {
    /// Every check, in the order a report lists them.
    pub const ALL: [CheckName; 9] = [
        CheckName::CalcomWebhook,
        CheckName::CalendlyWebhook,
        CheckName::CalcomCredentials,
        CheckName::CalendlyCredentials,
        CheckName::Deliveries,
        CheckName::LastSync,
        CheckName::GoogleSheet,
        CheckName::Counters,
        CheckName::Unmatched,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            CheckName::CalcomWebhook => "calcom_webhook",
            CheckName::CalendlyWebhook => "calendly_webhook",
            CheckName::CalcomCredentials => "calcom_credentials",
            CheckName::CalendlyCredentials => "calendly_credentials",
            CheckName::Deliveries => "deliveries",
            CheckName::LastSync => "last_sync",
            CheckName::GoogleSheet => "google_sheet",
            CheckName::Counters => "counters",
            CheckName::Unmatched => "unmatched",
        }
    }
}

/// How a check came out: `fail` makes `booking-tracker doctor` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Warn,
    Fail,
}

impl CheckStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }
}

/// One check's outcome. `fix` is one sentence naming the command to run; `null` when the check
/// is ok.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: CheckName,
    pub status: CheckStatus,
    pub detail: String,
    pub fix: Option<String>,
}

/// Every check of one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    pub account_id: String,
    pub checks: Vec<Check>,
}

impl DoctorReport {
    /// Whether any check failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == CheckStatus::Fail)
    }

    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.check == name)
    }

    /// How many checks came out `status`.
    pub fn count(&self, status: CheckStatus) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// A check's outcome before it is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Finding {
    status: CheckStatus,
    detail: String,
    fix: Option<String>,
}

impl Finding {
    pub(super) fn ok(detail: impl Into<String>) -> Self {
        Self {
            status: CheckStatus::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    pub(super) fn warn(detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: CheckStatus::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub(super) fn fail(detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: CheckStatus::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub(super) fn named(self, check: CheckName) -> Check {
        Check {
            check,
            status: self.status,
            detail: self.detail,
            fix: self.fix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_serialises_with_the_documented_names_and_a_null_fix_when_ok() {
        let report = DoctorReport {
            account_id: "acme".into(),
            checks: vec![
                Finding::ok("fine").named(CheckName::LastSync),
                Finding::fail("broken", "run it").named(CheckName::GoogleSheet),
            ],
        };
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            serde_json::json!({"accountId": "acme", "checks": [
                {"check": "last_sync", "status": "ok", "detail": "fine", "fix": null},
                {"check": "google_sheet", "status": "fail", "detail": "broken", "fix": "run it"},
            ]})
        );
        assert!(report.failed());
        assert_eq!(report.count(CheckStatus::Ok), 1);
        for name in CheckName::ALL {
            assert_eq!(
                serde_json::to_value(name).unwrap(),
                serde_json::json!(name.as_str())
            );
        }
    }
}
