//! `auth.encryption_key` and `auth.previous_encryption_keys`: 32-byte keys, each with an id (the
//! first 8 bytes of its SHA-256, hex) stored beside what it sealed, so a sealed secret names the
//! key that opens it and keys can rotate.

use crate::CryptoConfigError;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::{Digest, Sha256};

/// The length of an encryption key, in bytes (256 bits).
pub const ENCRYPTION_KEY_BYTES: usize = 32;

/// One key and its id.
#[derive(Clone)]
pub(crate) struct Key {
    pub(crate) id: String,
    pub(crate) bytes: SecretSlice<u8>,
}

/// The current key, which seals, and the previous ones, which still open.
#[derive(Clone)]
pub struct EncryptionKeys {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for EncryptionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("EncryptionKeys").field("current", &self.current.id).field("previous", &previous).finish()
    }
}

impl EncryptionKeys {
    /// The keys, each exactly [`ENCRYPTION_KEY_BYTES`] long.
    ///
    /// # Errors
    /// [`CryptoConfigError::EncryptionKey`] naming the key that is not 32 bytes (never its bytes).
    pub fn new(current: &[u8], previous: &[Vec<u8>]) -> Result<Self, CryptoConfigError> {
        let key = |bytes: &[u8], name: String| {
            if bytes.len() != ENCRYPTION_KEY_BYTES {
                return Err(CryptoConfigError::EncryptionKey { key: name, len: bytes.len() });
            }
            let id = Sha256::digest(bytes)[..8].iter().map(|b| format!("{b:02x}")).collect();
            Ok(Key { id, bytes: SecretSlice::from(bytes.to_vec()) })
        };
        Ok(Self {
            current: key(current, "auth.encryption_key".to_owned())?,
            previous: previous
                .iter()
                .enumerate()
                .map(|(i, bytes)| key(bytes, format!("auth.previous_encryption_keys[{i}]")))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The key that seals.
    pub(crate) fn current(&self) -> &Key {
        &self.current
    }

    /// The key whose id is `id`, current or previous.
    pub(crate) fn by_id(&self, id: &str) -> Option<&Key> {
        std::iter::once(&self.current).chain(&self.previous).find(|k| k.id == id)
    }

    /// Every key, the current first.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.current).chain(&self.previous)
    }

    /// The current key's id.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }
}

impl Key {
    /// The raw key.
    pub(crate) fn expose(&self) -> &[u8] {
        self.bytes.expose_secret()
    }
}
