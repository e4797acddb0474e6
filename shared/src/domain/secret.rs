//! Secrets: webhook signing keys, API tokens.

use std::fmt;

/// A secret string whose `Debug` and `Display` never show it, so it cannot leak through logs or
/// error messages by accident. Read it with [`Secret::expose`], only where it is used. It does
/// not implement `Serialize`: at rest a secret is a sealed `StoredSecret`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Compared in constant time: secrets are compared with what a caller sent.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

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
