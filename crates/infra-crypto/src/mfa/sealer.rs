//! Secrets the server must read back (TOTP keys), sealed with XChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`): a random 192-bit nonce per seal, so nonces never repeat in practice, and
//! the account's id as associated data, so a sealed secret copied into another account's row
//! does not open. The stored text is base64url(nonce ‖ ciphertext ‖ tag) beside the key's id.

use crate::mfa::keys::EncryptionKeys;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use domain::{InfraError, Sealed, SecretSealer};
use rand::TryRngCore;
use rand::rngs::OsRng;

/// Nonce bytes of XChaCha20-Poly1305.
const NONCE_BYTES: usize = 24;

/// The production [`SecretSealer`].
#[derive(Debug, Clone)]
pub struct SealedSecrets {
    keys: EncryptionKeys,
}

impl SealedSecrets {
    /// Seals with `keys`' current key, opens with any of them.
    pub fn new(keys: EncryptionKeys) -> Self {
        Self { keys }
    }
}

impl SecretSealer for SealedSecrets {
    fn seal(&self, secret: &[u8], context: &[u8]) -> Result<Sealed, InfraError> {
        let key = self.keys.current();
        let cipher =
            XChaCha20Poly1305::new_from_slice(key.expose()).map_err(|_| InfraError::internal("the encryption key has the wrong length"))?;
        let mut nonce = [0_u8; NONCE_BYTES];
        OsRng.try_fill_bytes(&mut nonce).map_err(|e| InfraError::internal(format!("the random source failed: {e}")))?;
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: secret, aad: context })
            .map_err(|_| InfraError::internal("sealing a secret failed"))?;
        Ok(Sealed { key_id: key.id.clone(), ciphertext: URL_SAFE_NO_PAD.encode([&nonce[..], &sealed].concat()) })
    }

    fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Vec<u8>, InfraError> {
        let key = self
            .keys
            .by_id(&sealed.key_id)
            .ok_or_else(|| InfraError::internal(format!("a secret is sealed with key {}, which is not configured", sealed.key_id)))?;
        let bytes = URL_SAFE_NO_PAD.decode(&sealed.ciphertext).map_err(|_| InfraError::internal("a sealed secret is not base64url"))?;
        if bytes.len() < NONCE_BYTES {
            return Err(InfraError::internal("a sealed secret is too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| InfraError::internal("a sealed secret is too short"))?;
        let cipher =
            XChaCha20Poly1305::new_from_slice(key.expose()).map_err(|_| InfraError::internal("the encryption key has the wrong length"))?;
        cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: context })
            .map_err(|_| InfraError::internal("a sealed secret does not open: tampered, or sealed for another account"))
    }
}
