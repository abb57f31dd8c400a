//! The rules every new password meets, beyond its length: not one of the most common passwords,
//! not the account's email or its local part, and (when configured) a zxcvbn score. Applied to
//! every new password (registration, change, reset, an invite's first one, the command line's);
//! never at login, where a password the account could not have fails like any other.

use crate::model::{Email, MIN_PASSWORD_CHARS, Password, PasswordError};
use crate::services::Ports;

/// What clients can show of the rules (`GET /auth/password-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordRules {
    /// Characters at least.
    pub min_length: usize,
    /// Bytes at most (the hasher's limit).
    pub max_bytes: usize,
    /// The zxcvbn score needed (0: none).
    pub min_score: u8,
    /// Whether common passwords are refused (always).
    pub refuses_common: bool,
}

/// The policy of `auth.password_min_score`.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    ports: Ports,
    min_score: u8,
}

/// Local parts shorter than this are too common inside words to refuse ("ann", "bo").
const MIN_LOCAL_PART_CHARS: usize = 4;

impl PasswordPolicy {
    /// The policy; `min_score` 0 asks for no score.
    pub fn new(ports: Ports, min_score: u8) -> Self {
        Self { ports, min_score }
    }

    /// The rules, for clients.
    pub fn rules(&self) -> PasswordRules {
        PasswordRules {
            min_length: MIN_PASSWORD_CHARS,
            max_bytes: self.ports.hasher.max_password_bytes(),
            min_score: self.min_score,
            refuses_common: true,
        }
    }

    /// Whether `password` may become the password of the account with `email`.
    ///
    /// # Errors
    /// The [`PasswordError`] that says why not.
    pub fn check(&self, password: &Password, email: &Email) -> Result<(), PasswordError> {
        let text = password.expose();
        if self.ports.passwords.is_common(text) {
            return Err(PasswordError::Common);
        }
        let lower = text.to_lowercase();
        let address = email.as_str();
        let local = address.split('@').next().unwrap_or_default();
        if lower.contains(address) || (local.chars().count() >= MIN_LOCAL_PART_CHARS && lower.contains(local)) {
            return Err(PasswordError::ContainsEmail);
        }
        if self.min_score > 0 {
            let score = self.ports.passwords.score(text, &[address, local]);
            if score < self.min_score {
                return Err(PasswordError::TooWeak { score, min_score: self.min_score });
            }
        }
        Ok(())
    }
}
