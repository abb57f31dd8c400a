//! Stand-ins for the cryptography of two-step sign-in: deterministic and readable, so use cases
//! can be tested without the real ciphers, and never storing a secret in plain text.

use super::fnv1a;
use crate::error::InfraError;
use crate::model::{MfaToken, MfaTokenDigest, RecoveryCode, RecoveryCodeDigest, Sealed, TotpSecret, UserId};
use crate::ports::{MfaTokenIssuer, OtpGenerator, PasswordStrength, RecoveryCodeIssuer, SecretSealer};
use std::sync::atomic::{AtomicU64, Ordering};

/// Seals by XOR with a stream from the context and a checksum of the plain text: tampering or
/// another context is detected, as with an AEAD, but nothing is secret.
#[derive(Debug, Default, Clone, Copy)]
pub struct FakeSealer;

fn stream(context: &[u8], len: usize) -> Vec<u8> {
    (0..len).map(|i| fnv1a(&[context, &i.to_le_bytes()].concat()).to_le_bytes()[0]).collect()
}

impl SecretSealer for FakeSealer {
    fn seal(&self, secret: &[u8], context: &[u8]) -> Result<Sealed, InfraError> {
        let masked: String = secret.iter().zip(stream(context, secret.len())).map(|(a, b)| format!("{:02x}", a ^ b)).collect();
        let check = fnv1a(&[secret, context].concat());
        Ok(Sealed { key_id: "fake".to_owned(), ciphertext: format!("{check:016x}{masked}") })
    }

    fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Vec<u8>, InfraError> {
        let bad = || InfraError::internal("a sealed secret does not open");
        if sealed.key_id != "fake" || sealed.ciphertext.len() < 16 {
            return Err(bad());
        }
        let (check, masked) = sealed.ciphertext.split_at(16);
        let bytes: Vec<u8> = (0..masked.len() / 2)
            .map(|i| u8::from_str_radix(&masked[2 * i..2 * i + 2], 16))
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        let plain: Vec<u8> = bytes.iter().zip(stream(context, bytes.len())).map(|(a, b)| a ^ b).collect();
        if format!("{:016x}", fnv1a(&[&plain[..], context].concat())) != check {
            return Err(bad());
        }
        Ok(plain)
    }
}

/// Numbered secrets and codes from a checksum of secret and step: the same secret and step
/// always give the same six digits, which is all the use cases rely on.
#[derive(Debug, Default)]
pub struct FakeOtp(AtomicU64);

impl FakeOtp {
    /// The code of `step` for `secret` (what an authenticator app would show), for tests.
    pub fn code_of(secret: &TotpSecret, step: i64) -> String {
        format!("{:06}", fnv1a(&[secret.expose(), &step.to_be_bytes()].concat()) % 1_000_000)
    }
}

impl OtpGenerator for FakeOtp {
    fn new_secret(&self) -> TotpSecret {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        TotpSecret::new((0..20).map(|i| (n.wrapping_mul(31).wrapping_add(i)) as u8).collect())
    }

    fn code(&self, secret: &TotpSecret, step: i64) -> String {
        Self::code_of(secret, step)
    }

    fn enrolment(&self, secret: &TotpSecret, account: &str) -> (String, String, String) {
        let encoded: String = secret.expose().iter().map(|b| format!("{b:02X}")).collect();
        let uri = format!("otpauth://totp/Gatehouse:{account}?secret={encoded}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30");
        (encoded, uri, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_owned())
    }
}

/// Recovery codes from a counter; digests are checksums with the account, never the code.
#[derive(Debug, Default)]
pub struct FakeRecoveryCodes(AtomicU64);

impl RecoveryCodeIssuer for FakeRecoveryCodes {
    fn generate(&self) -> RecoveryCode {
        RecoveryCode::from_bits(fnv1a(&(self.0.fetch_add(1, Ordering::Relaxed) + 1).to_le_bytes()))
    }

    fn digest(&self, user: UserId, code: &RecoveryCode) -> RecoveryCodeDigest {
        RecoveryCodeDigest::new(format!("fake:{:016x}", fnv1a(format!("{user}:{}", code.expose()).as_bytes())))
    }

    fn candidates(&self, user: UserId, code: &RecoveryCode) -> Vec<RecoveryCodeDigest> {
        vec![self.digest(user, code)]
    }
}

/// Numbered `mfa_token`s, `fake-mt-<n>`.
#[derive(Debug, Default)]
pub struct FakeMfaTokens(AtomicU64);

impl MfaTokenIssuer for FakeMfaTokens {
    fn generate(&self) -> MfaToken {
        MfaToken::new(format!("fake-mt-{}", self.0.fetch_add(1, Ordering::Relaxed) + 1))
    }

    fn recognises(&self, token: &str) -> bool {
        token.strip_prefix("fake-mt-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    fn digest(&self, token: &str) -> MfaTokenDigest {
        MfaTokenDigest::new(format!("{:016x}", fnv1a(token.as_bytes())))
    }
}

/// A handful of common passwords, and a score of one point per four characters.
#[derive(Debug, Default, Clone, Copy)]
pub struct FakePasswordStrength;

impl FakePasswordStrength {
    /// What it takes for common.
    pub const COMMON: [&'static str; 4] = ["password", "password1", "12345678", "qwertyuiop"];
}

impl PasswordStrength for FakePasswordStrength {
    fn is_common(&self, password: &str) -> bool {
        Self::COMMON.contains(&password.to_lowercase().as_str())
    }

    fn score(&self, password: &str, _context: &[&str]) -> u8 {
        u8::try_from((password.chars().count() / 4).min(4)).unwrap_or(4)
    }
}
