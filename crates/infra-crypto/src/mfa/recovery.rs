//! Recovery codes: 50 random bits as ten Crockford base32 characters, stored as
//! HMAC-SHA256(key, account id ‖ code) under a key derived from `auth.encryption_key`. A code
//! has too few bits for a bare hash to resist a guesser holding the database; keyed, the
//! database alone gives nothing to guess against. The key's id prefixes the digest, so codes
//! made under a previous key are still found.

use crate::mfa::keys::{EncryptionKeys, Key};
use domain::{RecoveryCode, RecoveryCodeDigest, RecoveryCodeIssuer, UserId};
use hmac::{Hmac, Mac};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// The production [`RecoveryCodeIssuer`].
#[derive(Debug, Clone)]
pub struct KeyedRecoveryCodes {
    keys: EncryptionKeys,
}

impl KeyedRecoveryCodes {
    /// Digests under `keys`' current key, finds codes under any of them.
    pub fn new(keys: EncryptionKeys) -> Self {
        Self { keys }
    }
}

/// `code`'s digest for `user` under `key`: `{key id}:{hex HMAC}`; the HMAC key is derived from
/// the encryption key under a label of its own, so it never is the key that seals.
fn digest_with(key: &Key, user: UserId, code: &RecoveryCode) -> RecoveryCodeDigest {
    let derived = Sha256::new().chain_update(b"gatehouse recovery codes\0").chain_update(key.expose()).finalize();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derived).unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(user.as_uuid().as_bytes());
    mac.update(code.expose().as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    RecoveryCodeDigest::new(format!("{}:{hex}", key.id))
}

impl RecoveryCodeIssuer for KeyedRecoveryCodes {
    /// # Panics
    /// Only if the operating system's random source fails.
    fn generate(&self) -> RecoveryCode {
        let mut bytes = [0_u8; 8];
        if let Err(e) = OsRng.try_fill_bytes(&mut bytes) {
            panic!("the operating system's random source failed: {e}");
        }
        RecoveryCode::from_bits(u64::from_le_bytes(bytes) & ((1 << 50) - 1))
    }

    fn digest(&self, user: UserId, code: &RecoveryCode) -> RecoveryCodeDigest {
        digest_with(self.keys.current(), user, code)
    }

    fn candidates(&self, user: UserId, code: &RecoveryCode) -> Vec<RecoveryCodeDigest> {
        self.keys.all().map(|key| digest_with(key, user, code)).collect()
    }
}
