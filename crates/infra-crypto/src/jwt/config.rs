//! What the token codec is configured with. The `Debug` impls here never show a secret or a
//! private key, so a whole configuration can be logged.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// The shortest HS256 secret accepted in production, in bytes (RFC 7518 §3.2: a key at least
/// as long as the hash output).
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// Whether an HS256 secret is long enough for production: at least
/// [`MIN_HS256_SECRET_BYTES`] bytes.
pub fn hs256_secret_is_strong(secret: &str) -> bool {
    secret.len() >= MIN_HS256_SECRET_BYTES
}

/// One configured key. Each key fixes its own algorithm: a token naming the key (by `kid`) is
/// verified with this algorithm only, whatever its header says.
#[derive(Clone)]
pub enum KeySpec {
    /// HMAC-SHA256 keyed with the secret's bytes as given (not base64-decoded), so another
    /// service holding the same `SECRET_KEY` can verify tokens.
    Hs256 {
        /// The shared secret.
        secret: SecretString,
    },
    /// Ed25519 signatures (`alg: EdDSA`).
    EdDsa {
        /// The private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`); required for the
        /// current key, optional (and then checked against the public key) for previous ones.
        private_pem: Option<String>,
        /// The public key in SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
        public_pem: String,
    },
    /// ECDSA on P-256 with SHA-256 (`alg: ES256`).
    Es256 {
        /// The private key in PKCS#8 PEM; required for the current key.
        private_pem: Option<String>,
        /// The public key in SPKI PEM, with an uncompressed point.
        public_pem: String,
    },
}

impl KeySpec {
    /// The JOSE name of the key's algorithm.
    pub fn algorithm_name(&self) -> &'static str {
        match self {
            Self::Hs256 { .. } => "HS256",
            Self::EdDsa { .. } => "EdDSA",
            Self::Es256 { .. } => "ES256",
        }
    }
}

impl fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hs256 { secret } => {
                f.debug_struct("Hs256").field("secret", &format_args!("[REDACTED {} bytes]", secret.expose_secret().len())).finish()
            }
            Self::EdDsa { private_pem, public_pem } | Self::Es256 { private_pem, public_pem } => f
                .debug_struct(if matches!(self, Self::EdDsa { .. }) { "EdDsa" } else { "Es256" })
                .field("private_pem", &private_pem.as_ref().map(|_| format_args!("[REDACTED]")))
                .field("public_pem", &format_args!("<{} bytes>", public_pem.len()))
                .finish(),
        }
    }
}

/// A key and the `kid` tokens signed with it carry.
#[derive(Debug, Clone)]
pub struct KeyConfig {
    /// The key id; `None` derives one from the key: the RFC 7638 JWK thumbprint (SHA-256,
    /// base64url) for EdDSA and ES256, the base64url of the first 12 bytes of SHA-256 of the
    /// secret for HS256.
    pub kid: Option<String>,
    /// The key itself.
    pub spec: KeySpec,
}

/// Everything the [`JwtCodec`](crate::JwtCodec) needs.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// `iss` of new tokens, and the only issuer accepted.
    pub issuer: String,
    /// `aud` of new tokens, and the audience required.
    pub audience: String,
    /// The key that signs new tokens (it verifies too).
    pub current: KeyConfig,
    /// Retired keys that still verify tokens during a rotation.
    pub previous: Vec<KeyConfig>,
    /// Clock-skew allowance for `nbf` and `iat` (a token from an instance whose clock runs
    /// ahead), in seconds, at most [`MAX_CLOCK_SKEW_SECS`](crate::MAX_CLOCK_SKEW_SECS). Expiry
    /// has none: the use cases judge it at the exact instant.
    pub clock_skew_secs: u64,
}
