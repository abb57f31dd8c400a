//! Two-step sign-in: the TOTP secret and its codes, recovery codes, the sealed form secrets take
//! at rest, and the challenge a first step leaves for the second.

use crate::model::{Amr, Timestamp, UserId};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// A second factor an account may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecondFactor {
    /// A code of an authenticator app (RFC 6238).
    Totp,
    /// One of the account's single-use recovery codes.
    RecoveryCode,
    /// A passkey.
    Passkey,
}

impl SecondFactor {
    /// The wire spelling (`methods` of the `mfa-required` answer).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
            Self::Passkey => "passkey",
        }
    }
}

/// TOTP's parameters (RFC 6238): SHA-1, 6 digits, 30-second steps, and a code of the step
/// before or after the current one accepted for clocks that drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpRules;

impl TotpRules {
    /// Seconds per step.
    pub const PERIOD_SECS: i64 = 30;
    /// Digits per code.
    pub const DIGITS: usize = 6;
    /// Steps accepted on either side of the current one.
    pub const SKEW_STEPS: i64 = 1;
    /// The secret's length in bytes (160 bits, RFC 4226's recommendation).
    pub const SECRET_BYTES: usize = 20;

    /// The step `at` falls in.
    pub fn step_at(at: Timestamp) -> i64 {
        at.timestamp().div_euclid(Self::PERIOD_SECS)
    }

    /// The steps whose codes are accepted at `at`, oldest first.
    pub fn accepted_steps(at: Timestamp) -> impl Iterator<Item = i64> {
        let now = Self::step_at(at);
        (now - Self::SKEW_STEPS)..=(now + Self::SKEW_STEPS)
    }
}

/// A TOTP secret (the raw key). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// Wraps the raw key.
    pub fn new(key: Vec<u8>) -> Self {
        Self(key)
    }

    /// The raw key, for the code generator and the sealer only.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([REDACTED])")
    }
}

/// Why a typed code was refused before it was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Neither six digits nor a recovery code's ten characters.
    #[error("must be a 6-digit code from the authenticator app or a recovery code (xxxxx-xxxxx)")]
    Malformed,
}

/// A code as typed for a second step: an authenticator's six digits, or a recovery code.
#[derive(Clone, PartialEq, Eq)]
pub enum SecondStepCode {
    /// Six digits.
    Totp(OtpCode),
    /// A recovery code, normalised.
    Recovery(RecoveryCode),
}

impl SecondStepCode {
    /// Reads what a person typed: spaces ignored, six digits are a TOTP code, ten Crockford
    /// base32 characters (a dash and case ignored) a recovery code.
    ///
    /// # Errors
    /// [`CodeError::Malformed`] for anything else.
    pub fn parse(typed: &str) -> Result<Self, CodeError> {
        if let Ok(code) = OtpCode::parse(typed) {
            return Ok(Self::Totp(code));
        }
        RecoveryCode::parse(typed).map(Self::Recovery)
    }
}

impl fmt::Debug for SecondStepCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "SecondStepCode::Totp(..)",
            Self::Recovery(_) => "SecondStepCode::Recovery(..)",
        })
    }
}

/// Six digits from an authenticator app.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl OtpCode {
    /// Six digits, spaces ignored (apps show `123 456`).
    ///
    /// # Errors
    /// [`CodeError::Malformed`] for anything else.
    pub fn parse(typed: &str) -> Result<Self, CodeError> {
        let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == TotpRules::DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(CodeError::Malformed)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `expected` is this code, compared without an early exit.
    pub fn matches(&self, expected: &str) -> bool {
        self.0.len() == expected.len() && self.0.bytes().zip(expected.bytes()).fold(0, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(..)")
    }
}

/// A recovery code: ten characters of Crockford base32 (50 bits), shown as `xxxxx-xxxxx`,
/// read back with case and the dash ignored (and Crockford's look-alikes: `I` and `L` are `1`,
/// `O` is `0`). Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    /// Characters in a code.
    pub const CHARS: usize = 10;
    /// Codes an account gets at a time.
    pub const PER_ACCOUNT: usize = 10;
    /// Crockford's base32 alphabet.
    pub const ALPHABET: &'static [u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// A code from 50 random bits (the low 50 of `bits`).
    pub fn from_bits(bits: u64) -> Self {
        let text = (0..Self::CHARS).rev().map(|i| char::from(Self::ALPHABET[((bits >> (5 * i)) & 31) as usize])).collect();
        Self(text)
    }

    /// Reads a typed code.
    ///
    /// # Errors
    /// [`CodeError::Malformed`] unless ten base32 characters remain.
    pub fn parse(typed: &str) -> Result<Self, CodeError> {
        let mut text = String::with_capacity(Self::CHARS);
        for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let c = match c.to_ascii_uppercase() {
                'I' | 'L' => '1',
                'O' => '0',
                c if c.is_ascii() && Self::ALPHABET.contains(&(c as u8)) => c,
                _ => return Err(CodeError::Malformed),
            };
            text.push(c);
        }
        if text.len() == Self::CHARS { Ok(Self(text)) } else { Err(CodeError::Malformed) }
    }

    /// The normalised characters (what is hashed).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// As shown to the person, once: `xxxxx-xxxxx`, lower case.
    pub fn display(&self) -> String {
        let lower = self.0.to_ascii_lowercase();
        format!("{}-{}", &lower[..5], &lower[5..])
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

/// How a recovery code is stored: a keyed hash (never the code).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecoveryCodeDigest(String);

impl RecoveryCodeDigest {
    /// Wraps a stored digest.
    pub fn new(digest: String) -> Self {
        Self(digest)
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A secret sealed for storage by an AEAD: the id of the key that sealed it, and the nonce and
/// ciphertext (with its tag), encoded. Opening it needs that key and the same associated data.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Which key sealed it (`auth.encryption_key`'s id, or one of the previous keys').
    pub key_id: String,
    /// Nonce, ciphertext and tag, encoded for a text column.
    pub ciphertext: String,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// An account's TOTP factor as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    /// Whose.
    pub user_id: UserId,
    /// The secret, sealed.
    pub secret: Sealed,
    /// When a code confirmed it; `None` while the enrolment waits.
    pub confirmed_at: Option<Timestamp>,
    /// When a waiting enrolment stops accepting its confirmation.
    pub enrolment_expires_at: Timestamp,
    /// The last time step whose code was accepted: no code of it or an earlier step is again.
    pub last_step: i64,
}

impl TotpFactor {
    /// Whether it is on (confirmed).
    pub fn is_on(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// What the owner sees of an account's second factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MfaStatus {
    /// Whether two-step sign-in by TOTP is on.
    pub totp: bool,
    /// Since when.
    pub totp_enabled_at: Option<Timestamp>,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// Registered passkeys.
    pub passkeys: u32,
}

impl MfaStatus {
    /// Whether a sign-in needs a second step: TOTP is on.
    pub fn requires_second_step(&self) -> bool {
        self.totp
    }

    /// The second steps this account can take, in the `methods` order of the contract.
    pub fn methods(&self) -> Vec<SecondFactor> {
        let mut methods = Vec::new();
        if self.totp {
            methods.push(SecondFactor::Totp);
        }
        if self.recovery_codes_left > 0 {
            methods.push(SecondFactor::RecoveryCode);
        }
        if self.passkeys > 0 {
            methods.push(SecondFactor::Passkey);
        }
        methods
    }
}

/// A new TOTP enrolment, shown to its owner once: the secret as base32, the `otpauth://` URI
/// an authenticator app reads, and that URI as an SVG QR code.
pub struct TotpEnrolment {
    /// The secret, base32 without padding.
    pub secret: SecretString,
    /// `otpauth://totp/{issuer}:{email}?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    pub otpauth_uri: SecretString,
    /// The URI as an SVG image.
    pub qr_svg: String,
    /// When the enrolment stops accepting its confirmation.
    pub expires_at: Timestamp,
}

impl fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpEnrolment").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

impl TotpEnrolment {
    /// The secret.
    pub fn secret(&self) -> &str {
        self.secret.expose_secret()
    }
}

/// The stored form of an `mfa_token` (a hash, never the token).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MfaTokenDigest(String);

impl MfaTokenDigest {
    /// Wraps a digest.
    pub fn new(digest: String) -> Self {
        Self(digest)
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a first step that proved one factor leaves for the second: whose account, how the first
/// step signed in, and until when, and how many wrong codes it has taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaChallenge {
    /// The `mfa_token`'s digest.
    pub digest: MfaTokenDigest,
    /// Whose sign-in it is.
    pub user_id: UserId,
    /// The first step's methods (`pwd`, `hwk`, `fed`).
    pub first: Amr,
    /// When the first step succeeded.
    pub created_at: Timestamp,
    /// When the `mfa_token` dies unused.
    pub expires_at: Timestamp,
    /// Wrong codes so far.
    pub failures: u32,
}

impl MfaChallenge {
    /// Seconds an `mfa_token` lives.
    pub const LIFETIME_SECS: i64 = 300;
    /// Wrong codes an `mfa_token` takes before it dies.
    pub const MAX_FAILURES: u32 = 5;

    /// Whether it may still be answered at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at && self.failures < Self::MAX_FAILURES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_read_back_whatever_the_case_dash_and_look_alikes() {
        let code = RecoveryCode::from_bits(0x3_FFFF_FFFF_FFFF);
        assert_eq!(code.display(), "zzzzz-zzzzz");
        let shown = RecoveryCode::from_bits(0x0123_4567_89AB).display();
        assert_eq!(RecoveryCode::parse(&shown).unwrap(), RecoveryCode::from_bits(0x0123_4567_89AB));
        assert_eq!(RecoveryCode::parse(&shown.to_uppercase().replace('-', " ")).unwrap(), RecoveryCode::from_bits(0x0123_4567_89AB));
        assert_eq!(RecoveryCode::parse("oooo0-IiLl1").unwrap().expose(), "0000011111");
        for bad in ["", "abcde-fghj", "abcde-fghjkm", "uuuuu-uuuuu", "ä1234-56789"] {
            assert_eq!(RecoveryCode::parse(bad), Err(CodeError::Malformed), "{bad}");
        }
    }

    #[test]
    fn a_typed_code_is_six_digits_or_a_recovery_code() {
        assert!(matches!(SecondStepCode::parse("123 456"), Ok(SecondStepCode::Totp(c)) if c.as_str() == "123456"));
        assert!(matches!(SecondStepCode::parse("12345-67890"), Ok(SecondStepCode::Recovery(_))));
        assert!(SecondStepCode::parse("12345").is_err());
        assert!(SecondStepCode::parse("1234567").is_err());
        assert!(OtpCode::parse("123456").unwrap().matches("123456"));
        assert!(!OtpCode::parse("123456").unwrap().matches("123457"));
    }

    #[test]
    fn the_accepted_steps_are_the_one_before_the_current_and_the_one_after() {
        use chrono::TimeZone;
        let at = chrono::Utc.timestamp_opt(59, 0).unwrap();
        assert_eq!(TotpRules::accepted_steps(at).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(TotpRules::step_at(chrono::Utc.timestamp_opt(60, 0).unwrap()), 2);
    }

    #[test]
    fn an_account_offers_the_second_steps_it_has() {
        let status = MfaStatus { totp: true, totp_enabled_at: None, recovery_codes_left: 0, passkeys: 1 };
        assert_eq!(status.methods(), [SecondFactor::Totp, SecondFactor::Passkey]);
        assert!(status.requires_second_step());
        assert!(!MfaStatus::default().requires_second_step());
    }
}
