//! Where a booking came from.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A booking source. `Manual` bookings are entered by hand (`booking-tracker appointments add`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Calcom,
    Calendly,
    Manual,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Calcom, Provider::Calendly, Provider::Manual];

    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Calcom => "calcom",
            Provider::Calendly => "calendly",
            Provider::Manual => "manual",
        }
    }

    /// How the provider is written in sentences meant for people.
    pub const fn display_name(self) -> &'static str {
        match self {
            Provider::Calcom => "Cal.com",
            Provider::Calendly => "Calendly",
            Provider::Manual => "manual entry",
        }
    }
}

/// The string is not one of `calcom`, `calendly`, `manual`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?} (expected calcom, calendly or manual)")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_form_round_trips_through_serde_and_from_str() {
        for p in Provider::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<Provider>(&json).unwrap(), p);
            assert_eq!(p.as_str().parse::<Provider>().unwrap(), p);
        }
        assert!("zoom".parse::<Provider>().is_err());
    }
}
