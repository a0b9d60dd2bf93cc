//! Secrets at rest: endpoint signing secrets and API keys are sealed with AES-256-GCM under one
//! data key. The data key lives in the OS keyring; where no keyring service answers (headless
//! Linux, CI), it lives in a key file readable only by its owner, and callers can say so.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use ts_rs::TS;

/// Name of the key file used when no keyring is available.
pub const KEY_FILE: &str = "secret.key";
/// Set to any non-empty value to skip the OS keyring and use the key file (tests, servers).
pub const NO_KEYRING_ENV: &str = "HOOKSCOPE_NO_KEYRING";
const KEYRING_SERVICE: &str = "dev.hookscope.app";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read or write the key file {path}: {source}")]
    KeyFile { path: PathBuf, source: std::io::Error },
    #[error("the key file {0} is damaged (expected 32 bytes, base64)")]
    BadKeyFile(PathBuf),
    #[error("the keyring holds a damaged Hookscope key")]
    BadKeyringKey,
    #[error("a stored secret cannot be decrypted: it was sealed with another key or is damaged")]
    Unseal,
}

/// Where the data key is kept; shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum KeySource {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// A key file with owner-only permissions, because no keyring service was available.
    KeyFile { path: String },
}

/// Seals and opens secrets. Never prints what it holds.
pub struct SecretBox {
    cipher: Aes256Gcm,
    source: KeySource,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBox").field("source", &self.source).finish_non_exhaustive()
    }
}

impl SecretBox {
    /// Finds or creates the data key for `data_dir`: an existing key file wins (it is what
    /// sealed the secrets there), then the keyring, then a new key file.
    ///
    /// Two processes opening a new data dir at once (the app and a CLI command on first run)
    /// take turns under the data dir's lock, so both end up with the same key.
    pub fn open(data_dir: &Path) -> Result<Self, SecretsError> {
        let file = data_dir.join(KEY_FILE);
        let _setup = crate::paths::lock_data_dir(data_dir).map_err(|source| {
            SecretsError::KeyFile { path: data_dir.join(crate::paths::LOCK_FILE), source }
        })?;
        if file.exists() {
            // Written owner-only; one made readable by others since is tightened again.
            crate::paths::restrict(&file, 0o600)
                .map_err(|source| SecretsError::KeyFile { path: file.clone(), source })?;
            return Ok(Self::new(read_key_file(&file)?, key_file_source(&file)));
        }
        if std::env::var_os(NO_KEYRING_ENV).is_none_or(|v| v.is_empty()) {
            match keyring_key(data_dir) {
                Ok(key) => return Ok(Self::new(key, KeySource::Keyring)),
                Err(KeyringOutcome::Damaged) => return Err(SecretsError::BadKeyringKey),
                Err(KeyringOutcome::Unavailable(why)) => {
                    tracing::info!("no OS keyring ({why}); keeping the data key in {KEY_FILE}");
                }
            }
        }
        let key = Aes256Gcm::generate_key(OsRng);
        write_key_file(&file, key.as_slice())?;
        Ok(Self::new(key.into(), key_file_source(&file)))
    }

    fn new(key: [u8; 32], source: KeySource) -> Self {
        Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)), source }
    }

    pub fn source(&self) -> &KeySource {
        &self.source
    }

    /// `nonce || ciphertext+tag`; a fresh random nonce every time.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        // Encryption with a valid key and a 12-byte nonce cannot fail for in-memory buffers.
        let ciphertext = self.cipher.encrypt(&nonce, plaintext).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    pub fn unseal(&self, sealed: &[u8]) -> Result<Vec<u8>, SecretsError> {
        if sealed.len() < NONCE_LEN {
            return Err(SecretsError::Unseal);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher.decrypt(Nonce::from_slice(nonce), ciphertext).map_err(|_| SecretsError::Unseal)
    }
}

fn key_file_source(path: &Path) -> KeySource {
    KeySource::KeyFile { path: path.display().to_string() }
}

enum KeyringOutcome {
    Unavailable(String),
    Damaged,
}

/// The data key for this data dir from the OS keyring, created there on first use.
fn keyring_key(data_dir: &Path) -> Result<[u8; 32], KeyringOutcome> {
    let user = format!("data-key:{}", data_dir.canonicalize().unwrap_or(data_dir.into()).display());
    let entry = keyring::Entry::new(KEYRING_SERVICE, &user)
        .map_err(|e| KeyringOutcome::Unavailable(e.to_string()))?;
    match entry.get_password() {
        Ok(encoded) => decode_key(&encoded).ok_or(KeyringOutcome::Damaged),
        Err(keyring::Error::NoEntry) => {
            let key: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
            entry
                .set_password(&BASE64.encode(key))
                .map_err(|e| KeyringOutcome::Unavailable(e.to_string()))?;
            // Some stores accept a write and forget it; only trust a key that reads back.
            match entry.get_password().ok().and_then(|e| decode_key(&e)) {
                Some(read) if read == key => Ok(key),
                _ => Err(KeyringOutcome::Unavailable("the key did not read back".into())),
            }
        }
        Err(e) => Err(KeyringOutcome::Unavailable(e.to_string())),
    }
}

fn decode_key(encoded: &str) -> Option<[u8; 32]> {
    BASE64.decode(encoded.trim()).ok()?.try_into().ok()
}

fn read_key_file(path: &Path) -> Result<[u8; 32], SecretsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| SecretsError::KeyFile { path: path.into(), source })?;
    decode_key(&text).ok_or_else(|| SecretsError::BadKeyFile(path.into()))
}

fn write_key_file(path: &Path, key: &[u8]) -> Result<(), SecretsError> {
    let err = |source| SecretsError::KeyFile { path: path.into(), source };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(err)?;
    file.write_all(BASE64.encode(key).as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_file_box(dir: &Path) -> SecretBox {
        // Tests never touch the developer's real keyring.
        let file = dir.join(KEY_FILE);
        if !file.exists() {
            write_key_file(&file, Aes256Gcm::generate_key(OsRng).as_slice()).unwrap();
        }
        SecretBox::open(dir).unwrap()
    }

    #[test]
    fn seals_and_opens_with_a_fresh_nonce_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = key_file_box(dir.path());
        let a = secrets.seal(b"whsec_123");
        let b = secrets.seal(b"whsec_123");
        assert_ne!(a, b);
        assert!(!a.windows(9).any(|w| w == b"whsec_123"));
        assert_eq!(secrets.unseal(&a).unwrap(), b"whsec_123");
        assert_eq!(secrets.unseal(&b).unwrap(), b"whsec_123");
    }

    #[test]
    fn tampering_or_another_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = key_file_box(dir.path());
        let mut sealed = secrets.seal(b"secret");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(secrets.unseal(&sealed), Err(SecretsError::Unseal)));
        assert!(secrets.unseal(b"short").is_err());
        let other = tempfile::tempdir().unwrap();
        let sealed = secrets.seal(b"secret");
        assert!(key_file_box(other.path()).unseal(&sealed).is_err());
    }

    #[test]
    fn key_file_is_owner_only_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = key_file_box(dir.path());
        let sealed = first.seal(b"kept");
        let again = SecretBox::open(dir.path()).unwrap();
        assert_eq!(again.unseal(&sealed).unwrap(), b"kept");
        assert!(matches!(again.source(), KeySource::KeyFile { .. }));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{again:?}").contains("key:"));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_readable_by_others_is_tightened_on_open() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sealed = key_file_box(dir.path()).seal(b"kept");
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let again = SecretBox::open(dir.path()).unwrap();
        assert_eq!(again.unseal(&sealed).unwrap(), b"kept");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn damaged_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        let err = SecretBox::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("damaged"), "{err}");
    }
}
