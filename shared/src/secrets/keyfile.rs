//! The key ring of a SQLite store: a file beside the database (`<db>.key`, or
//! `BOOKING_TRACKER_KEY_FILE`), mode 0600, made on first use. It must be backed up with the
//! database: without it, the database's secrets do not open.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::{DataKey, KeySource, Keyring, SecretsError};

/// Overrides where a SQLite store's key file is.
pub const KEY_FILE_VAR: &str = "BOOKING_TRACKER_KEY_FILE";

#[derive(Clone, Debug)]
pub struct KeyFile {
    path: PathBuf,
}

impl KeyFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `<database>.key`.
    pub fn beside(database: &Path) -> Self {
        let mut name = database.as_os_str().to_owned();
        name.push(".key");
        Self::new(PathBuf::from(name))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(path: &Path) -> Result<Option<Keyring>, SecretsError> {
        let name = || format!("the key file {}", path.display());
        let bytes = match std::fs::read(path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(SecretsError::Unavailable(format!(
                    "cannot read {}: {e}",
                    name()
                )));
            }
        };
        Keyring::from_json(&bytes)
            .map(Some)
            .map_err(|e| SecretsError::Unavailable(format!("{} is damaged: {e}", name())))
    }

    /// Writes the ring to a new file only this user can read, then moves it into place.
    fn write(&self, ring: &Keyring, exclusive: bool) -> Result<(), SecretsError> {
        let fail = |what: &str, e: std::io::Error| {
            SecretsError::Unavailable(format!(
                "cannot {what} the key file {}: {e}",
                self.path.display()
            ))
        };
        let json = ring.to_json();
        let mut temp = self.path.as_os_str().to_owned();
        temp.push(format!(".{}.tmp", std::process::id()));
        let temp = PathBuf::from(temp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp).map_err(|e| fail("create", e))?;
        let written = file
            .write_all(json.as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(fail("write", e));
        }
        // A first ring never replaces one another process made meanwhile.
        let placed = if exclusive {
            std::fs::hard_link(&temp, &self.path).and_then(|()| std::fs::remove_file(&temp))
        } else {
            std::fs::rename(&temp, &self.path)
        };
        match placed {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Err(SecretsError::Conflict(self.name()))
                } else {
                    Err(fail("place", e))
                }
            }
        }
    }
}

#[async_trait]
impl KeySource for KeyFile {
    fn name(&self) -> String {
        format!("the key file {}", self.path.display())
    }

    async fn load(&self) -> Result<Option<Keyring>, SecretsError> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || Self::read(&path))
            .await
            .map_err(|e| SecretsError::Unavailable(format!("key file task failed: {e}")))?
    }

    async fn save(&self, ring: &Keyring, replacing: Option<&Keyring>) -> Result<(), SecretsError> {
        if let Some(previous) = replacing {
            let now = Self::read(&self.path)?;
            let same = now.as_ref().is_some_and(|n| {
                n.id() == previous.id()
                    && n.current() == previous.current()
                    && n.versions().eq(previous.versions())
            });
            if !same {
                return Err(SecretsError::Conflict(self.name()));
            }
        }
        self.write(ring, replacing.is_none())
    }

    async fn new_key(&self) -> Result<DataKey, SecretsError> {
        DataKey::generate().map_err(SecretsError::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_first_ring_is_written_only_for_its_user_and_never_over_another() {
        let dir = tempfile::tempdir().unwrap();
        let file = KeyFile::beside(&dir.path().join("bt.db"));
        assert!(file.path().ends_with("bt.db.key"));
        assert!(file.load().await.unwrap().is_none());
        let ring = Keyring::new(DataKey::generate().unwrap()).unwrap();
        file.save(&ring, None).await.unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = Keyring::new(DataKey::generate().unwrap()).unwrap();
        assert!(matches!(
            file.save(&other, None).await,
            Err(SecretsError::Conflict(_))
        ));
        let loaded = file.load().await.unwrap().unwrap();
        assert_eq!(loaded.id(), ring.id());

        let rotated = loaded.rotated(DataKey::generate().unwrap());
        file.save(&rotated, Some(&loaded)).await.unwrap();
        assert!(matches!(
            file.save(&rotated.retired(), Some(&loaded)).await,
            Err(SecretsError::Conflict(_))
        ));
        assert_eq!(file.load().await.unwrap().unwrap().current(), 2);
    }
}
