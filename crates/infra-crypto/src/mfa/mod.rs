//! The cryptography of two-step sign-in: the keys secrets are sealed and recovery codes keyed
//! with, the AEAD, TOTP, recovery codes, `mfa_token`s, and the password strength estimate.

mod keys;
mod recovery;
mod sealer;
mod strength;
mod tokens;
mod totp;

pub use keys::{ENCRYPTION_KEY_BYTES, EncryptionKeys};
pub use recovery::KeyedRecoveryCodes;
pub use sealer::SealedSecrets;
pub use strength::Zxcvbn;
pub use tokens::{MFA_TOKEN_PREFIX, RandomMfaTokens};
pub use totp::Totp;
