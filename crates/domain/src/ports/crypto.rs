use crate::error::InfraError;
use crate::model::{AccessClaims, AccessToken, CandidatePassword, Password, PasswordHash, RefreshToken, RefreshTokenDigest, SuccessorMask};

/// Hashes and verifies passwords (bcrypt or argon2id in production).
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password that met the policy.
    ///
    /// # Errors
    /// An [`InfraError`] when the hasher fails.
    fn hash(&self, password: &Password) -> Result<PasswordHash, InfraError>;

    /// Checks a candidate against a stored hash of any format the adapter knows. A candidate
    /// longer than [`max_password_bytes`](Self::max_password_bytes) is `false` (after the same
    /// work), never truncated to match.
    ///
    /// # Errors
    /// An [`InfraError`] for a malformed stored hash.
    fn verify(&self, candidate: &CandidatePassword, hash: &PasswordHash) -> Result<bool, InfraError>;

    /// The longest password, in bytes, the current algorithm takes without truncating.
    fn max_password_bytes(&self) -> usize;

    /// Whether a stored hash uses another algorithm or weaker parameters than configured, so a
    /// successful login should store a fresh hash.
    fn needs_rehash(&self, hash: &PasswordHash) -> bool;
}

/// Why an access token was refused. Every variant means 401; the distinction is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejected {
    /// Not a token of ours at all: bad encoding, signature, algorithm, type, issuer or audience.
    #[error("invalid token")]
    Invalid,
    /// A genuine token past its expiry.
    #[error("expired token")]
    Expired,
    /// A genuine token whose user or session no longer allows access.
    #[error("revoked token")]
    Revoked,
}

/// Signs and verifies access tokens.
pub trait AccessTokenCodec: Send + Sync {
    /// Encodes and signs the claims.
    ///
    /// # Errors
    /// An [`InfraError`] when signing fails.
    fn issue(&self, claims: &AccessClaims) -> Result<AccessToken, InfraError>;

    /// Verifies signature, algorithm, type, issuer, audience, `nbf` and `iat`. Not expiry:
    /// whether a genuine token is still valid is the use cases' to judge, at the exact instant
    /// `exp` names, by their [`Clock`](crate::Clock), so one place owns it.
    ///
    /// # Errors
    /// [`TokenRejected::Invalid`].
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenRejected>;
}

/// Mints opaque refresh tokens and digests them for storage.
pub trait RefreshTokenIssuer: Send + Sync {
    /// A new unguessable token.
    fn generate(&self) -> RefreshToken;

    /// Whether `token` has the shape of a token this issuer makes (its prefix, length and
    /// alphabet): anything else is refused before it is hashed or looked up.
    fn recognises(&self, token: &str) -> bool;

    /// The stored form of a token; equal tokens give equal digests.
    fn digest(&self, token: &str) -> RefreshTokenDigest;

    /// `successor` masked with a key derived from `presented`, the token it replaces.
    fn mask_successor(&self, presented: &str, successor: &RefreshToken) -> SuccessorMask;

    /// The successor `mask` hides, read with the key `presented` yields; `None` when the mask
    /// does not have the shape this issuer makes. A wrong `presented` yields a wrong token, which
    /// no session has.
    fn unmask_successor(&self, presented: &str, mask: &SuccessorMask) -> Option<RefreshToken>;
}
