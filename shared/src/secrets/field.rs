//! The secrets an account holds, by name: what a sealed value is bound to.

/// Each tenant secret booking-tracker keeps (SPEC §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretField {
    /// Signs Cal.com's webhooks (`X-Cal-Signature-256`).
    CalcomWebhookSecret,
    /// Signs Calendly's webhooks (`Calendly-Webhook-Signature`).
    CalendlySigningKey,
    /// Reads Cal.com's API.
    CalcomApiKey,
    /// Reads Calendly's API (an organization admin's token).
    CalendlyToken,
    /// The Google service account's private key, for the team's sheet.
    GooglePrivateKey,
}

impl SecretField {
    pub const ALL: [SecretField; 5] = [
        SecretField::CalcomWebhookSecret,
        SecretField::CalendlySigningKey,
        SecretField::CalcomApiKey,
        SecretField::CalendlyToken,
        SecretField::GooglePrivateKey,
    ];

    /// The field's name in the account document; bound into its sealed value.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecretField::CalcomWebhookSecret => "calcom.webhookSecret",
            SecretField::CalendlySigningKey => "calendly.signingKey",
            SecretField::CalcomApiKey => "calcom.apiKey",
            SecretField::CalendlyToken => "calendly.token",
            SecretField::GooglePrivateKey => "googleSheet.credentials.privateKey",
        }
    }
}

impl std::fmt::Display for SecretField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
