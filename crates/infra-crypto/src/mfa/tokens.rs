//! `mfa_token`s: a prefix of their own and 256 bits from the OS random source, stored only as
//! SHA-256, like link and refresh tokens but never mistaken for one.

use crate::refresh::{is_random_part, random_part, sha256_hex};
use domain::{MfaToken, MfaTokenDigest, MfaTokenIssuer};

/// What every `mfa_token` starts with.
pub const MFA_TOKEN_PREFIX: &str = "gatehouse_mt_";

/// The production [`MfaTokenIssuer`].
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomMfaTokens;

impl MfaTokenIssuer for RandomMfaTokens {
    /// # Panics
    /// Only if the operating system's random source fails.
    fn generate(&self) -> MfaToken {
        MfaToken::new(format!("{MFA_TOKEN_PREFIX}{}", random_part()))
    }

    fn recognises(&self, token: &str) -> bool {
        token.strip_prefix(MFA_TOKEN_PREFIX).is_some_and(is_random_part)
    }

    fn digest(&self, token: &str) -> MfaTokenDigest {
        MfaTokenDigest::new(sha256_hex(token))
    }
}
