//! Account documents decoded once. Every webhook reads its account, and decoding the same JSON
//! document again each time was 3.6% of `serve`'s workers under load. The read itself stays:
//! another process (the CLI) may change the account at any moment. Only a document whose bytes
//! equal the one decoded last for that account is not decoded again, so what a read returns is
//! always what the row holds at that read.

use std::collections::HashMap;
use std::sync::Mutex;

use super::from_doc;
use crate::accounts::Account;
use crate::store::StoreResult;

/// Accounts kept; past it the map starts over (a deployment's active accounts fit many times).
const MAX_ACCOUNTS: usize = 4096;

#[derive(Debug, Default)]
pub(super) struct DecodedAccounts {
    /// Account id → the document last decoded for it, and the account it decoded to.
    entries: Mutex<HashMap<String, (String, Account)>>,
}

impl DecodedAccounts {
    /// The account stored as `doc` under `id`.
    pub(super) fn decode(&self, id: &str, doc: &str) -> StoreResult<Account> {
        if let Ok(entries) = self.entries.lock()
            && let Some((known, account)) = entries.get(id)
            && known == doc
        {
            return Ok(account.clone());
        }
        let account: Account = from_doc(doc, "account")?;
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ACCOUNTS && !entries.contains_key(id) {
                entries.clear();
            }
            entries.insert(id.to_owned(), (doc.to_owned(), account.clone()));
        }
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::accounts::NewAccount;
    use crate::domain::AccountId;
    use crate::secrets::StoredSecret;

    fn doc(account: &Account) -> String {
        serde_json::to_string(account).unwrap()
    }

    #[test]
    fn a_changed_document_is_decoded_again_and_the_same_one_gives_the_same_account() {
        let decoded = DecodedAccounts::default();
        let new = NewAccount::new(AccountId::parse("acme").unwrap());
        let (mut account, _) = Account::create(new, chrono::Utc::now());
        // Documents only ever hold sealed secrets (the encoder refuses plain ones).
        let sealed =
            |n: u8| StoredSecret::Sealed(format!("sealed:v1:r1:1:{n}AAAAAAAAAAAAAAAAAAAAAAA"));
        (account.calcom.webhook_secret, account.calendly.signing_key) = (sealed(1), sealed(2));
        let first = doc(&account);
        assert_eq!(doc(&decoded.decode("acme", &first).unwrap()), first);
        assert_eq!(doc(&decoded.decode("acme", &first).unwrap()), first);

        account.revision += 1;
        account.name = "Acme renamed".into();
        let second = doc(&account);
        assert_eq!(doc(&decoded.decode("acme", &second).unwrap()), second);
        // An older document (a restored backup) is what the row holds: it is what comes back.
        assert_eq!(doc(&decoded.decode("acme", &first).unwrap()), first);
        assert!(decoded.decode("acme", "{not json").is_err());
        assert!(decoded.decode("other", &second).is_ok());
    }
}
