//! The JWT payload as written and as read back.

use chrono::DateTime;
use domain::{AccessClaims, Amr, AuthMethod, SessionId, TokenRejected, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The payload of a new access token (RFC 9068 claim names plus `sid` and `role`).
#[derive(Serialize)]
pub(crate) struct Outgoing<'a> {
    pub(crate) iss: &'a str,
    pub(crate) sub: String,
    pub(crate) aud: &'a str,
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    pub(crate) jti: String,
    pub(crate) sid: String,
    pub(crate) role: &'static str,
    /// RFC 8176 methods, as an array (RFC 9068 §2.2.3.1).
    pub(crate) amr: Vec<&'static str>,
}

impl<'a> Outgoing<'a> {
    /// Seconds resolution: a fractional `exp` is rounded down, so a token never outlives the
    /// expiry the domain asked for.
    pub(crate) fn new(claims: &AccessClaims, issuer: &'a str, audience: &'a str) -> Self {
        Self {
            iss: issuer,
            sub: claims.user_id.to_string(),
            aud: audience,
            exp: claims.expires_at.timestamp(),
            iat: claims.issued_at.timestamp(),
            jti: claims.token_id.hyphenated().to_string(),
            sid: claims.session_id.to_string(),
            role: claims.role.as_str(),
            amr: claims.amr.methods().map(AuthMethod::as_str).collect(),
        }
    }
}

/// The claims read back from a verified token. `iss`, `aud`, `exp` and `nbf` are checked by
/// `jsonwebtoken` itself; every field here is required, so a token missing one is refused.
#[derive(Deserialize)]
pub(crate) struct Incoming {
    sub: String,
    sid: String,
    role: String,
    iat: i64,
    exp: i64,
    jti: String,
    /// Absent in tokens issued before sessions recorded it (they signed in by password); they
    /// expire within `auth.access_ttl_secs` of the upgrade.
    #[serde(default)]
    amr: Option<Vec<String>>,
}

impl Incoming {
    /// Parses the fields into domain types; `now` and `clock_skew` (seconds) refuse a token
    /// issued in the future.
    pub(crate) fn into_access_claims(self, now: i64, clock_skew: i64) -> Result<AccessClaims, TokenRejected> {
        if self.iat > now.saturating_add(clock_skew) {
            return Err(TokenRejected::Invalid);
        }
        // Ours always expire after they are issued; anything else is not a token of ours
        // (expiry itself is the use cases' to judge).
        if self.exp <= self.iat {
            return Err(TokenRejected::Invalid);
        }
        let time = |secs: i64| DateTime::from_timestamp(secs, 0).ok_or(TokenRejected::Invalid);
        Ok(AccessClaims {
            user_id: self.sub.parse::<UserId>().map_err(|_| TokenRejected::Invalid)?,
            session_id: self.sid.parse::<SessionId>().map_err(|_| TokenRejected::Invalid)?,
            role: self.role.parse().map_err(|_| TokenRejected::Invalid)?,
            issued_at: time(self.iat)?,
            expires_at: time(self.exp)?,
            token_id: Uuid::try_parse(&self.jti).map_err(|_| TokenRejected::Invalid)?,
            amr: match self.amr {
                None => Amr::PASSWORD,
                Some(methods) => Amr::from_stored(&methods.join(" ")).map_err(|_| TokenRejected::Invalid)?,
            },
        })
    }
}
