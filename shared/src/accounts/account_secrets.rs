//! The account's secret slots: listing them, sealing the plain ones, unsealing for rotation.

use super::Account;
use crate::domain::{AccountId, Secret};
use crate::secrets::{Keyring, SecretField, StoredSecret};

impl Account {
    /// Every secret the account holds, with its field.
    pub fn secrets(&self) -> Vec<(SecretField, &StoredSecret)> {
        let mut all = vec![
            (
                SecretField::CalcomWebhookSecret,
                &self.calcom.webhook_secret,
            ),
            (SecretField::CalendlySigningKey, &self.calendly.signing_key),
        ];
        all.extend(
            self.calcom
                .api_key
                .iter()
                .map(|s| (SecretField::CalcomApiKey, s)),
        );
        all.extend(
            self.calendly
                .token
                .iter()
                .map(|s| (SecretField::CalendlyToken, s)),
        );
        all.extend(
            self.google_sheet
                .as_ref()
                .and_then(|sheet| sheet.credentials.as_ref())
                .map(|c| (SecretField::GooglePrivateKey, &c.private_key)),
        );
        all
    }

    fn secrets_mut(&mut self) -> Vec<(SecretField, &mut StoredSecret)> {
        let mut all = vec![
            (
                SecretField::CalcomWebhookSecret,
                &mut self.calcom.webhook_secret,
            ),
            (
                SecretField::CalendlySigningKey,
                &mut self.calendly.signing_key,
            ),
        ];
        all.extend(
            self.calcom
                .api_key
                .iter_mut()
                .map(|s| (SecretField::CalcomApiKey, s)),
        );
        all.extend(
            self.calendly
                .token
                .iter_mut()
                .map(|s| (SecretField::CalendlyToken, s)),
        );
        all.extend(
            self.google_sheet
                .as_mut()
                .and_then(|sheet| sheet.credentials.as_mut())
                .map(|c| (SecretField::GooglePrivateKey, &mut c.private_key)),
        );
        all
    }

    /// Holds a secret not sealed yet (just set, or stored by a build from before sealing).
    pub fn has_plain_secrets(&self) -> bool {
        self.secrets().iter().any(|(_, s)| !s.is_sealed())
    }

    /// Seals every plain secret with the ring's current key.
    pub fn seal_with(&mut self, ring: &Keyring) -> Result<(), String> {
        let id = self.id.clone();
        for (field, slot) in self.secrets_mut() {
            if let StoredSecret::Plain(secret) = slot {
                *slot = StoredSecret::Sealed(ring.seal(&id, field, secret)?);
            }
        }
        Ok(())
    }

    /// Replaces each secret sealed with another key version than `version` by its plain text,
    /// opened with `open`, so that the next write seals it with the current key (rotation).
    /// Returns how many were replaced.
    pub fn unseal_older_than_current<E>(
        &mut self,
        version: u32,
        mut open: impl FnMut(&AccountId, SecretField, &StoredSecret) -> Result<Secret, E>,
    ) -> Result<usize, E> {
        let id = self.id.clone();
        let mut replaced = 0;
        for (field, slot) in self.secrets_mut() {
            let older = slot.sealed_with().is_some_and(|(_, v)| v != version);
            if older {
                *slot = StoredSecret::Plain(open(&id, field, slot)?);
                replaced += 1;
            }
        }
        Ok(replaced)
    }
}
