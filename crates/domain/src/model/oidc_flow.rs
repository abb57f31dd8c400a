//! What a sign-in through a provider keeps between its steps: the flow a `state` names (10
//! minutes, server-side, single use) and the one-time `code` the app redeems (60 s, single use),
//! each stored only under the digest of its secret. Nothing the provider gave is kept.

use crate::model::{Email, IdentityId, ProviderId, Timestamp, UserId};
use std::fmt;

/// Why a PKCE value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// `code_challenge` is not an S256 challenge.
    #[error("must be the base64url SHA-256 of a code_verifier (43 characters)")]
    Challenge,
    /// `code_verifier` breaks RFC 7636 §4.1.
    #[error("must be 43 to 128 characters of A-Z, a-z, 0-9 and -._~")]
    Verifier,
}

/// The app's `code_challenge` (RFC 7636, S256 only): 43 characters of unpadded base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceChallenge(String);

impl PkceChallenge {
    /// Checks a challenge.
    ///
    /// # Errors
    /// [`PkceError::Challenge`] for anything but 43 base64url characters.
    pub fn parse(raw: &str) -> Result<Self, PkceError> {
        let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if raw.len() == 43 && raw.bytes().all(base64url) { Ok(Self(raw.to_owned())) } else { Err(PkceError::Challenge) }
    }

    /// The challenge.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The app's `code_verifier`, presented when it redeems its code.
#[derive(Clone, PartialEq, Eq)]
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// Checks a verifier (RFC 7636 §4.1).
    ///
    /// # Errors
    /// [`PkceError::Verifier`].
    pub fn parse(raw: &str) -> Result<Self, PkceError> {
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if (43..=128).contains(&raw.len()) && raw.bytes().all(unreserved) { Ok(Self(raw.to_owned())) } else { Err(PkceError::Verifier) }
    }

    /// The verifier, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([REDACTED])")
    }
}

/// The stored form of a flow's `state` or an app's `code` (SHA-256 in production).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowDigest(String);

impl FlowDigest {
    /// Wraps an encoded digest.
    pub fn new(encoded: String) -> Self {
        Self(encoded)
    }

    /// The encoded digest, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a flow ends in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowPurpose {
    /// A sign-in: the app redeems the code with the verifier of this challenge.
    SignIn {
        /// The app's PKCE challenge.
        app_challenge: PkceChallenge,
    },
    /// Linking an identity to this signed-in account.
    Link {
        /// The account.
        user_id: UserId,
    },
}

/// A flow waiting for the provider's answer, named by its `state`.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcFlow {
    /// The digest of its `state`.
    pub digest: FlowDigest,
    /// The provider it went to.
    pub provider: ProviderId,
    /// What it ends in.
    pub purpose: FlowPurpose,
    /// Where the browser returns, checked against the allowed list when the flow started.
    pub redirect_uri: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// Gatehouse's own PKCE verifier towards the provider.
    pub pkce_verifier: String,
    /// Ten minutes after it started.
    pub expires_at: Timestamp,
}

impl OidcFlow {
    /// Seconds a flow waits for the provider.
    pub const LIFETIME_SECS: i64 = 600;
}

impl fmt::Debug for OidcFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcFlow").field("provider", &self.provider).field("purpose", &self.purpose).finish_non_exhaustive()
    }
}

/// The app's one-time code: a provider's sign-in of `user_id` waiting to be redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInCode {
    /// The digest of the code.
    pub digest: FlowDigest,
    /// The account that signed in.
    pub user_id: UserId,
    /// The provider it signed in with.
    pub provider: ProviderId,
    /// The `redirect_uri` the redemption must repeat.
    pub redirect_uri: String,
    /// The challenge the redemption's `code_verifier` must answer.
    pub app_challenge: PkceChallenge,
    /// 60 seconds after the callback.
    pub expires_at: Timestamp,
}

impl SignInCode {
    /// Seconds an app has to redeem its code.
    pub const LIFETIME_SECS: i64 = 60;
}

/// A provider identity linked to an account: the pair (issuer, `sub`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Its id.
    pub id: IdentityId,
    /// The account.
    pub user_id: UserId,
    /// The configured provider it came through.
    pub provider: ProviderId,
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// The email the provider reported when it was linked (shown, never followed).
    pub email: Option<Email>,
    /// When it was linked.
    pub linked_at: Timestamp,
    /// Its last sign-in.
    pub last_sign_in_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_s256_only_and_verifiers_follow_rfc_7636() {
        // RFC 7636 appendix B's pair.
        assert!(PkceChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").is_ok());
        assert!(PkceVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").is_ok());
        for bad in ["", "plain", &"a".repeat(42), &"a".repeat(44), &format!("{}=", "a".repeat(42))] {
            assert_eq!(PkceChallenge::parse(bad), Err(PkceError::Challenge), "{bad:?}");
        }
        for bad in ["short", &"a".repeat(129), &format!("{} ", "a".repeat(43)), &"é".repeat(30)] {
            assert!(PkceVerifier::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PkceVerifier::parse(&"a~.-_".repeat(25)).is_ok());
    }
}
