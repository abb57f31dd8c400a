use crate::model::{Amr, Role, SessionId, Timestamp, UserId};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use uuid::Uuid;

/// What an access token asserts. The codec adds issuer, audience and the token-type marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// `sub`.
    pub user_id: UserId,
    /// `sid`.
    pub session_id: SessionId,
    /// `role` at issue time; informative only, authorization reads the stored role.
    pub role: Role,
    /// `iat`.
    pub issued_at: Timestamp,
    /// `exp`.
    pub expires_at: Timestamp,
    /// `jti`.
    pub token_id: Uuid,
    /// `amr`: how the session signed in (RFC 8176).
    pub amr: Amr,
}

macro_rules! secret_token {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(SecretString);

        impl $name {
            /// Wraps the encoded token.
            pub fn new(token: String) -> Self {
                Self(SecretString::from(token))
            }

            /// The token, to hand to the client once.
            pub fn expose(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}([REDACTED])", stringify!($name))
            }
        }
    };
}

secret_token!(
    /// A signed access token (a JWT in production).
    AccessToken
);
secret_token!(
    /// An opaque refresh token in plain text: given to the client once, stored only as a digest.
    RefreshToken
);
secret_token!(
    /// A secret of a provider's sign-in that Gatehouse mints: the `state` it sends the provider
    /// (`gatehouse_os_…`) or the one-time `code` it hands the app (`gatehouse_oc_…`); stored only
    /// as a digest.
    FlowSecret
);
secret_token!(
    /// The opaque token a first sign-in step hands out for the second (`gatehouse_mt_…`): given
    /// to the client once, stored only as a digest.
    MfaToken
);

/// The stored form of a refresh token (SHA-256 in production): finding a session by it
/// reveals nothing a database reader could replay.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RefreshTokenDigest(String);

impl RefreshTokenDigest {
    /// Wraps an encoded digest.
    pub fn new(encoded: String) -> Self {
        Self(encoded)
    }

    /// The encoded digest, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RefreshTokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshTokenDigest([REDACTED])")
    }
}

/// What login and refresh return.
#[derive(Debug)]
pub struct TokenPair {
    /// The new access token.
    pub access_token: AccessToken,
    /// The new refresh token; the one presented (if any) is retired.
    pub refresh_token: RefreshToken,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Seconds until the session (and so the refresh token) expires.
    pub refresh_expires_in: i64,
}
