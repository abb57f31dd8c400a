use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// The shortest password the policy accepts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// More bytes than the configured hasher takes without truncating.
    #[error("must be at most {max_bytes} bytes (UTF-8)")]
    TooLong {
        /// The hasher's limit.
        max_bytes: usize,
    },
    /// Holds a control character (NUL, escape, ...).
    #[error("must not contain control characters")]
    ControlCharacter,
    /// One of the most common passwords: among the first an attacker tries.
    #[error("is one of the most common passwords; choose one that is not")]
    Common,
    /// Holds the account's email address or the part before the `@`.
    #[error("must not contain your email address or its part before the @")]
    ContainsEmail,
    /// Below the configured strength (zxcvbn's score, 0 to 4).
    #[error("is too easy to guess (strength {score} of 4, at least {min_score} needed); a longer phrase of unrelated words is stronger")]
    TooWeak {
        /// Its score.
        score: u8,
        /// `auth.password_min_score`.
        min_score: u8,
    },
}

/// A new password that meets the policy. Never trimmed, truncated or case-folded; its `Debug`
/// output is redacted.
pub struct Password(SecretString);

impl Password {
    /// Applies the policy: at least 8 characters, at most `max_bytes` bytes (the hasher's limit,
    /// so a password is never silently truncated), no control characters.
    ///
    /// # Errors
    /// The [`PasswordError`] that names the broken rule.
    pub fn new(raw: &str, max_bytes: usize) -> Result<Self, PasswordError> {
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        if raw.len() > max_bytes {
            return Err(PasswordError::TooLong { max_bytes });
        }
        if raw.chars().any(char::is_control) {
            return Err(PasswordError::ControlCharacter);
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// The password itself, for the hasher only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// A password as typed at login or as a confirmation: no policy applies, because a password
/// the account could not have must fail like any other wrong password.
pub struct CandidatePassword(SecretString);

impl CandidatePassword {
    /// Wraps whatever the client sent.
    pub fn new(raw: &str) -> Self {
        Self(SecretString::from(raw))
    }

    /// The candidate itself, for the hasher only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for CandidatePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CandidatePassword([REDACTED])")
    }
}

impl From<&Password> for CandidatePassword {
    fn from(p: &Password) -> Self {
        Self::new(p.expose())
    }
}

/// A stored password hash in the hasher's own format (PHC string or `$2b$`), or the mark of
/// an account that has no password ([`PasswordHash::none`]).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// What an account without a password stores: no hasher writes it and no password matches
    /// it (as `!` in `/etc/shadow`).
    const NONE: &'static str = "!";

    /// Wraps a hash produced by a hasher or read from storage.
    pub fn new(encoded: String) -> Self {
        Self(encoded)
    }

    /// The hash of an account that has no password (an invite not yet taken up).
    pub fn none() -> Self {
        Self(Self::NONE.to_owned())
    }

    /// Whether this is a password's hash, not the mark of an account without one.
    pub fn is_set(&self) -> bool {
        self.0 != Self::NONE
    }

    /// The encoded hash, for the hasher and the store only.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_for_the_minimum_and_bytes_for_the_maximum() {
        assert_eq!(Password::new("1234567", 72).unwrap_err(), PasswordError::TooShort);
        assert!(Password::new("12345678", 72).is_ok());
        // Eight two-byte characters: long enough, 16 bytes.
        assert!(Password::new("éééééééé", 72).is_ok());
        assert!(Password::new(&"a".repeat(72), 72).is_ok());
        assert_eq!(Password::new(&"a".repeat(73), 72).unwrap_err(), PasswordError::TooLong { max_bytes: 72 });
        // 36 two-byte characters are 72 bytes; one more is over.
        assert!(Password::new(&"é".repeat(36), 72).is_ok());
        assert!(Password::new(&format!("{}a", "é".repeat(36)), 72).is_err());
    }

    #[test]
    fn keeps_the_password_exactly_as_given() {
        let p = Password::new("  Secret Pass  ", 72).unwrap();
        assert_eq!(p.expose(), "  Secret Pass  ");
    }

    #[test]
    fn refuses_control_characters() {
        assert_eq!(Password::new("abcd\0efgh", 72).unwrap_err(), PasswordError::ControlCharacter);
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let p = Password::new("hunter2hunter2", 72).unwrap();
        let c = CandidatePassword::new("hunter2hunter2");
        let h = PasswordHash::new("$2b$04$abcdefghijklmnopqrstuu".into());
        let shown = format!("{p:?} {c:?} {h:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("$2b$"), "{shown}");
    }
}
