//! Start-up configuration errors. Each message names the setting at fault and never repeats
//! a secret, a key or a hash, so it can be printed as it is when the server refuses to start.

/// A hasher or token-codec configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoConfigError {
    /// bcrypt only takes costs 4 to 31.
    #[error("bcrypt cost {cost} is outside the supported range 4..=31")]
    BcryptCost {
        /// The configured cost.
        cost: u32,
    },
    /// The issuer or the audience is empty.
    #[error("the JWT {claim} must not be empty")]
    EmptyClaim {
        /// `"issuer"` or `"audience"`.
        claim: &'static str,
    },
    /// A clock-skew allowance large enough to accept tokens issued well in the future.
    #[error("the JWT clock skew of {secs} s is over the maximum of {max} s")]
    ClockSkew {
        /// The configured allowance.
        secs: u64,
        /// The largest allowance accepted.
        max: u64,
    },
    /// An encryption key (`auth.encryption_key` or a previous one) that is not 32 bytes.
    #[error("{key} must be 32 bytes (base64-encoded), not {len}")]
    EncryptionKey {
        /// Which key.
        key: String,
        /// Its length in bytes.
        len: usize,
    },
    /// An HS256 key with an empty secret.
    #[error("{key}: the HS256 secret is empty")]
    EmptySecret {
        /// Which key: `current key` or `previous key #n`.
        key: String,
    },
    /// The key that signs new tokens has no private part.
    #[error("{key}: a private key is required to sign tokens")]
    MissingPrivateKey {
        /// Which key.
        key: String,
    },
    /// A public key PEM that is not of the key's algorithm or cannot be read.
    #[error("{key}: the public key is not a valid {algorithm} public key in PEM (SPKI) form")]
    InvalidPublicKey {
        /// Which key.
        key: String,
        /// `EdDSA` or `ES256`.
        algorithm: &'static str,
    },
    /// A private key PEM that is not of the key's algorithm or cannot be read.
    #[error("{key}: the private key is not a valid {algorithm} private key in PEM (PKCS#8) form")]
    InvalidPrivateKey {
        /// Which key.
        key: String,
        /// `EdDSA` or `ES256`.
        algorithm: &'static str,
    },
    /// The private key does not belong to the public key configured with it.
    #[error("{key}: the private key does not match the public key")]
    KeyMismatch {
        /// Which key.
        key: String,
    },
    /// A configured `kid` that is empty, too long or not printable ASCII.
    #[error("{key}: kid must be 1 to {max} printable ASCII characters")]
    InvalidKid {
        /// Which key.
        key: String,
        /// The longest `kid` accepted.
        max: usize,
    },
    /// Two configured keys share one `kid`, so a token could not name its key.
    #[error("kid {kid:?} is used by more than one configured key")]
    DuplicateKid {
        /// The `kid` (public: it is in every token's header).
        kid: String,
    },
}
