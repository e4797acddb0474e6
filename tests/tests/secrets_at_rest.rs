//! Tenant secrets at rest (SPEC §6), on both stores for real: SQLite with its key file, and
//! DynamoDB Local with the key ring wrapped by KMS on moto. A raw scan of what each store holds
//! finds no secret; sealed values opened where they belong and nowhere else; rotation while
//! webhooks keep verifying; a plain-text store sealed on upgrade.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use integration_tests::google::private_key;
use integration_tests::stores::{Harness, Metered, t0};
use shared::accounts::{Account, GoogleCredentials, NewAccount, SheetSettings};
use shared::domain::{AccountId, Secret};
use shared::ingest::rotate_keys;
use shared::secrets::{SecretField, StoredSecret};
use shared::store::{Store, StoreError, seal_plain_secrets};

/// Every kind of secret an account can hold, distinct per account.
fn every_secret(id: &str) -> [(SecretField, String); 5] {
    [
        (
            SecretField::CalcomWebhookSecret,
            format!("calsec_rest_{id}_9f2c"),
        ),
        (
            SecretField::CalendlySigningKey,
            format!("clysec_rest_{id}_4d1a"),
        ),
        (
            SecretField::CalcomApiKey,
            format!("cal_live_rest_{id}_77ab"),
        ),
        (
            SecretField::CalendlyToken,
            format!("eyJ.rest.{id}.token_c0de"),
        ),
        (
            SecretField::GooglePrivateKey,
            private_key().trim().replace("MII", &format!("MII{id}")),
        ),
    ]
}

fn account_with_every_secret(id: &str) -> Account {
    let (mut account, _) = Account::create(NewAccount::new(AccountId::parse(id).unwrap()), t0());
    let [calcom, calendly, api_key, token, google] = every_secret(id).map(|(_, s)| Secret::new(s));
    account.calcom.webhook_secret = calcom.into();
    account.calendly.signing_key = calendly.into();
    account.calcom.api_key = Some(api_key.into());
    account.calendly.token = Some(token.into());
    let credentials = GoogleCredentials::from_key_file(
        &serde_json::json!({
            "type": "service_account",
            "client_email": format!("sync@{id}.iam.gserviceaccount.com"),
            "private_key_id": "k1",
            "private_key": google.expose(),
            "token_uri": "https://oauth2.googleapis.com/token",
        })
        .to_string(),
    )
    .unwrap();
    account.google_sheet = Some(SheetSettings {
        spreadsheet_id: "1Bxi".into(),
        range: shared::accounts::SheetRange::parse("Leads!A2:X").unwrap(),
        columns: shared::accounts::SheetColumns::default(),
        credentials: Some(credentials),
        actions: false,
    });
    account
}

/// Opens every secret of the stored account and checks it is the one set.
async fn opens_every_secret<S: Store + ?Sized>(store: &S, id: &str) {
    let account = store
        .get_account(&AccountId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let expected = every_secret(id);
    let held = account.secrets();
    assert_eq!(held.len(), expected.len());
    for (field, stored) in held {
        assert!(stored.is_sealed(), "{field} is sealed at rest");
        let opened = store
            .secrets()
            .open(&account.id, field, stored)
            .await
            .unwrap();
        let wanted = &expected.iter().find(|(f, _)| *f == field).unwrap().1;
        assert_eq!(opened.expose(), wanted, "{field}");
    }
}

/// Every byte the store holds, raw: the SQLite files (database and WAL) or a DynamoDB scan.
async fn raw_bytes<S>(h: &Harness<S>) -> String {
    match h.dump_path() {
        Some(path) => {
            let mut all = Vec::new();
            for suffix in ["", "-wal"] {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                all.extend(std::fs::read(file).unwrap_or_default());
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        None => h.dump().await,
    }
}

async fn no_secret_is_stored_in_plain_text<S: Store + Metered + 'static>(h: Harness<S>) {
    for id in ["acme", "globex"] {
        h.store
            .create_account(&account_with_every_secret(id))
            .await
            .unwrap();
    }
    let raw = raw_bytes(&h).await;
    for id in ["acme", "globex"] {
        for (field, secret) in every_secret(id) {
            let probe = match field {
                // A PEM's body is what must not leak.
                SecretField::GooglePrivateKey => format!("MII{id}"),
                _ => secret,
            };
            assert!(
                !raw.contains(&probe),
                "{field} of {id} found in the raw store"
            );
        }
        opens_every_secret(&*h.store, id).await;
    }
}

async fn a_sealed_value_opens_only_for_its_account_and_field<S: Store + Metered + 'static>(
    h: Harness<S>,
) {
    let acme = h
        .store
        .create_account(&account_with_every_secret("acme"))
        .await
        .unwrap();
    let globex = h
        .store
        .create_account(&account_with_every_secret("globex"))
        .await
        .unwrap();
    let secrets = h.store.secrets();
    // acme's sealed Cal.com key, presented as globex's, or as acme's Calendly token.
    let stolen = acme.calcom.api_key.clone().unwrap();
    assert!(
        secrets
            .open(&globex.id, SecretField::CalcomApiKey, &stolen)
            .await
            .is_err()
    );
    let err = secrets
        .open(&acme.id, SecretField::CalendlyToken, &stolen)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "secrets_unavailable");
    assert!(!err.to_string().contains("cal_live"), "{err}");

    // A value with one byte changed does not open either.
    let StoredSecret::Sealed(text) = &stolen else {
        panic!("sealed")
    };
    let mut bytes = text.clone().into_bytes();
    let last = bytes.len() - 3;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = StoredSecret::Sealed(String::from_utf8(bytes).unwrap());
    assert!(
        secrets
            .open(&acme.id, SecretField::CalcomApiKey, &tampered)
            .await
            .is_err()
    );
}

async fn rotation_reseals_everything_while_reads_go_on<S: Store + Metered + 'static>(
    h: Harness<S>,
) {
    let ids: Vec<String> = (0..12).map(|i| format!("team-{i:02}")).collect();
    for id in &ids {
        h.store
            .create_account(&account_with_every_secret(id))
            .await
            .unwrap();
    }
    let before = h.store.secrets().load().await.unwrap();
    let reader = {
        let store = Arc::clone(&h.store);
        let ids = ids.clone();
        tokio::spawn(async move {
            let mut opened = 0;
            for _ in 0..6 {
                for id in &ids {
                    opens_every_secret(&*store, id).await;
                    opened += 1;
                }
            }
            opened
        })
    };
    let rotation = rotate_keys(&*h.store).await.unwrap();
    assert_eq!(
        reader.await.unwrap(),
        72,
        "every read during the rotation opened"
    );
    assert_eq!(rotation.key_ring, before.id());
    assert_eq!((rotation.from, rotation.to), (1, 2));
    assert_eq!((rotation.accounts, rotation.resealed), (12, 12));
    assert_eq!(rotation.retired, [1]);
    for id in &ids {
        opens_every_secret(&*h.store, id).await;
        let account = h
            .store
            .get_account(&AccountId::parse(id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(
            account
                .secrets()
                .iter()
                .all(|(_, s)| s.sealed_with().unwrap().1 == 2)
        );
    }
    let after = h.store.secrets().load().await.unwrap();
    assert_eq!(after.versions().collect::<Vec<_>>(), [2]);

    // Run again: another new key; nothing else to resume.
    let again = rotate_keys(&*h.store).await.unwrap();
    assert_eq!((again.from, again.to, again.retired), (2, 3, vec![2]));
}

async fn an_interrupted_rotation_resumes<S: Store + Metered + 'static>(h: Harness<S>) {
    for id in ["acme", "globex"] {
        h.store
            .create_account(&account_with_every_secret(id))
            .await
            .unwrap();
    }
    // A rotation stopped after making its new key: version 2 current, nothing resealed yet.
    let secrets = h.store.secrets();
    let ring = secrets.load().await.unwrap();
    let rotated = ring.rotated(secrets.source().new_key().await.unwrap());
    secrets.source().save(&rotated, Some(&ring)).await.unwrap();
    opens_every_secret(&*h.store, "acme").await;

    let resumed = rotate_keys(&*h.store).await.unwrap();
    assert_eq!((resumed.from, resumed.to, resumed.resealed), (1, 2, 2));
    assert_eq!(resumed.retired, [1]);
    opens_every_secret(&*h.store, "globex").await;
}

async fn plain_text_secrets_of_an_older_build_are_sealed<S: Store + Metered + 'static>(
    h: Harness<S>,
) {
    h.store
        .create_account(&account_with_every_secret("acme"))
        .await
        .unwrap();
    let acme = AccountId::parse("acme").unwrap();
    // An older build's document: the same account, every secret in plain text.
    let plain: Vec<(&str, String)> = every_secret("acme")
        .into_iter()
        .map(|(field, secret)| (field.as_str(), secret))
        .collect();
    let fields: Vec<(&str, &str)> = plain.iter().map(|(f, s)| (*f, s.as_str())).collect();
    h.set_raw_secrets(&acme, &fields).await;
    assert!(
        raw_bytes(&h).await.contains("cal_live_rest_acme"),
        "the old document is plain"
    );
    let read = h.store.get_account(&acme).await.unwrap().unwrap();
    assert!(read.has_plain_secrets());
    // Plain values still open, so webhooks work before the migration runs.
    let opened = h
        .store
        .secrets()
        .open(
            &acme,
            SecretField::CalcomApiKey,
            read.calcom.api_key.as_ref().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(opened.expose(), "cal_live_rest_acme_77ab");

    assert_eq!(seal_plain_secrets(&*h.store).await.unwrap(), 1);
    assert_eq!(
        seal_plain_secrets(&*h.store).await.unwrap(),
        0,
        "idempotent"
    );
    opens_every_secret(&*h.store, "acme").await;
    if h.is_dynamodb() {
        assert!(!raw_bytes(&h).await.contains("cal_live_rest_acme"));
    }
}

async fn a_store_with_a_wrong_key_refuses_to_seal_or_open<S: Store + Metered + 'static>(
    h: Harness<S>,
) {
    h.store
        .create_account(&account_with_every_secret("acme"))
        .await
        .unwrap();
    let other = h.with_wrong_key().await;
    let err = other
        .create_account(&account_with_every_secret("globex"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Secrets(_)), "{err}");
    assert!(
        err.to_string().contains("KMS") || err.to_string().contains("key file"),
        "names the key: {err}"
    );
    assert!(
        h.store
            .get_account(&AccountId::parse("globex").unwrap())
            .await
            .unwrap()
            .is_none(),
        "nothing written"
    );
    let acme = other
        .get_account(&AccountId::parse("acme").unwrap())
        .await
        .unwrap()
        .unwrap();
    let err = other
        .secrets()
        .open(
            &acme.id,
            SecretField::CalcomApiKey,
            acme.calcom.api_key.as_ref().unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "secrets_unavailable");
}

integration_tests::conformance!(
    no_secret_is_stored_in_plain_text,
    a_sealed_value_opens_only_for_its_account_and_field,
    rotation_reseals_everything_while_reads_go_on,
    an_interrupted_rotation_resumes,
    plain_text_secrets_of_an_older_build_are_sealed,
    a_store_with_a_wrong_key_refuses_to_seal_or_open,
);
