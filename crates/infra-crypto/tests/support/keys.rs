//! Throw-away key pairs generated in code from fixed seeds, for tests and benchmarks only.
//! No private key file is ever written or committed.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};

/// A key pair as the PEM strings a configuration would hold.
pub struct TestKeyPair {
    pub private_pem: String,
    pub public_pem: String,
}

/// An Ed25519 key pair derived from `seed` (different seeds, different keys).
pub fn ed25519(seed: u8) -> TestKeyPair {
    let signing = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    TestKeyPair {
        private_pem: signing.to_pkcs8_pem(LineEnding::LF).expect("encode Ed25519 private key").to_string(),
        public_pem: signing.verifying_key().to_public_key_pem(LineEnding::LF).expect("encode Ed25519 public key"),
    }
}

/// A P-256 key pair derived from `seed` (any seed from 1 to 255 is a valid scalar).
pub fn p256(seed: u8) -> TestKeyPair {
    let secret = p256::SecretKey::from_slice(&[seed; 32]).expect("valid P-256 scalar");
    TestKeyPair {
        private_pem: secret.to_pkcs8_pem(LineEnding::LF).expect("encode P-256 private key").to_string(),
        public_pem: secret.public_key().to_public_key_pem(LineEnding::LF).expect("encode P-256 public key"),
    }
}
