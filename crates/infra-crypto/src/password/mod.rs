//! The password hasher: bcrypt or argon2id for new hashes, both formats for verification.

mod argon2id;
mod bcrypt_hash;

pub use argon2id::ARGON2_MAX_PASSWORD_BYTES;
pub use bcrypt_hash::BCRYPT_MAX_PASSWORD_BYTES;

use crate::error::CryptoConfigError;
use argon2::{Argon2, Params};
use domain::{CandidatePassword, InfraError, Password, PasswordHash, PasswordHasher};
use std::fmt;

/// The algorithm new hashes are made with (`auth.password_hash`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashAlgorithm {
    /// bcrypt with the configured cost; passwords of at most 72 bytes.
    #[default]
    Bcrypt,
    /// argon2id with OWASP's parameters (19 MiB, t=2, p=1); passwords of at most
    /// [`ARGON2_MAX_PASSWORD_BYTES`] bytes.
    Argon2id,
}

/// How the [`Hasher`] makes new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HasherConfig {
    /// The algorithm of new hashes.
    pub algorithm: HashAlgorithm,
    /// The bcrypt cost (4 to 31); used when `algorithm` is bcrypt.
    pub bcrypt_cost: u32,
}

impl Default for HasherConfig {
    /// bcrypt at cost 12.
    fn default() -> Self {
        Self { algorithm: HashAlgorithm::Bcrypt, bcrypt_cost: bcrypt::DEFAULT_COST }
    }
}

/// The production [`PasswordHasher`].
///
/// It hashes with the configured algorithm and verifies bcrypt (`$2a$`, `$2b$`, `$2y$`) and
/// argon2id PHC hashes whatever is configured, so switching algorithm or cost locks nobody
/// out; [`needs_rehash`](PasswordHasher::needs_rehash) tells login to upgrade an old hash.
/// Passwords are never truncated, and a malformed stored hash is an error, never a panic.
pub struct Hasher {
    config: HasherConfig,
    argon2_params: Params,
    argon2: Argon2<'static>,
}

impl Hasher {
    /// A hasher with the given configuration.
    ///
    /// # Errors
    /// [`CryptoConfigError::BcryptCost`] for a bcrypt cost outside 4..=31 (checked whatever
    /// the algorithm, so a later switch to bcrypt cannot fail at run time).
    pub fn new(config: HasherConfig) -> Result<Self, CryptoConfigError> {
        if !bcrypt_hash::COSTS.contains(&config.bcrypt_cost) {
            return Err(CryptoConfigError::BcryptCost { cost: config.bcrypt_cost });
        }
        let argon2_params = argon2id::params();
        Ok(Self { config, argon2: argon2id::context(argon2_params.clone()), argon2_params })
    }

    /// The configuration this hasher was built with.
    pub fn config(&self) -> HasherConfig {
        self.config
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher").field("algorithm", &self.config.algorithm).field("bcrypt_cost", &self.config.bcrypt_cost).finish()
    }
}

impl PasswordHasher for Hasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, InfraError> {
        let bytes = password.expose().as_bytes();
        let encoded = match self.config.algorithm {
            HashAlgorithm::Bcrypt => bcrypt_hash::hash(bytes, self.config.bcrypt_cost)?,
            HashAlgorithm::Argon2id => argon2id::hash(&self.argon2, bytes)?,
        };
        Ok(PasswordHash::new(encoded))
    }

    fn verify(&self, candidate: &CandidatePassword, hash: &PasswordHash) -> Result<bool, InfraError> {
        let bytes = candidate.expose().as_bytes();
        let encoded = hash.as_str();
        if bcrypt_hash::is_bcrypt(encoded) {
            bcrypt_hash::verify(bytes, encoded)
        } else if argon2id::is_argon2id(encoded) {
            argon2id::verify(&self.argon2, bytes, encoded)
        } else {
            Err(InfraError::internal("unsupported password hash format"))
        }
    }

    fn max_password_bytes(&self) -> usize {
        match self.config.algorithm {
            HashAlgorithm::Bcrypt => BCRYPT_MAX_PASSWORD_BYTES,
            HashAlgorithm::Argon2id => ARGON2_MAX_PASSWORD_BYTES,
        }
    }

    fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        let encoded = hash.as_str();
        let current = match self.config.algorithm {
            HashAlgorithm::Bcrypt => {
                bcrypt_hash::is_bcrypt(encoded) && bcrypt_hash::cost_of(encoded).is_ok_and(|c| c == self.config.bcrypt_cost)
            }
            HashAlgorithm::Argon2id => {
                argon2id::is_argon2id(encoded)
                    && argon2id::parse(encoded).is_ok_and(|phc| argon2id::matches_params(&phc, &self.argon2_params))
            }
        };
        !current
    }
}
