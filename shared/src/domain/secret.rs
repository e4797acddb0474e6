//! Secrets: webhook signing keys, API tokens.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret string whose `Debug` and `Display` never show it, so it cannot leak through logs or
/// error messages by accident. Read it with [`Secret::expose`], only where it is used.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("whsec_live_abc");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "whsec_live_abc");
    }
}
