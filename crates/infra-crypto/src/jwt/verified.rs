//! Access tokens this codec has already verified, by their exact text.
//!
//! A client sends the same access token with every request for its whole life (minutes), and
//! verifying it again each time (two base64 and JSON passes over the header, two over the
//! claims, the signature) was the largest piece of `GET /users/me` that the server itself
//! controls: about a third of its user-space instructions (callgrind). Whether a token verifies
//! depends only on its text and the configured keys, which never change while the codec lives,
//! so the outcome can be remembered. Expiry is not the codec's to judge (the use cases judge it
//! by their clock on every request); a token past it leaves the map, since it is good no more.
//!
//! This is not a session cache: revocation (logout, password change, deactivation) is checked
//! against storage on every request by the domain, as before. Only tokens that verified enter;
//! a token differing in any byte is a miss and is verified in full. The map is bounded, so a
//! client cycling through many genuine tokens costs memory up to the bound, then a clear.
//!
//! The map is keyed by a hash of the token's last bytes (its signature's) and holds the whole
//! text beside the claims, compared in full on a hit: hashing all of a token's several hundred
//! bytes with SipHash was 1.5 % of `GET /users/me`. Only tokens that verified get in, so nobody
//! can choose keys to make the map slow, and two tokens on one key just take turns.

use domain::AccessClaims;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;

/// Most tokens remembered at once (each ~0.5 KB with its claims).
pub(crate) const CAPACITY: usize = 1024;

/// How many of a token's last bytes its key hashes: its signature's, which no two tokens share.
const KEYED_BYTES: usize = 32;

#[derive(Default)]
pub(crate) struct VerifiedTokens {
    tokens: Mutex<HashMap<u64, (Box<str>, AccessClaims)>>,
    keys: std::collections::hash_map::RandomState,
}

impl VerifiedTokens {
    /// The claims of `token` if it verified before. One past its expiry at `now` (seconds) is
    /// answered and forgotten: the use cases refuse it, and it will not be good again.
    pub(crate) fn get(&self, token: &str, now: i64) -> Option<AccessClaims> {
        let key = self.key(token);
        let mut tokens = self.lock();
        let claims = tokens.get(&key).filter(|(text, _)| **text == *token)?.1.clone();
        if claims.expires_at.timestamp() <= now {
            tokens.remove(&key);
        }
        Some(claims)
    }

    /// Remembers a token that has just verified in full.
    pub(crate) fn insert(&self, token: &str, claims: &AccessClaims) {
        let mut tokens = self.lock();
        // Clearing everything keeps the bound without bookkeeping; the tokens in use come
        // back at the cost of one full verification each.
        if tokens.len() >= CAPACITY {
            tokens.clear();
        }
        tokens.insert(self.key(token), (token.into(), claims.clone()));
    }

    fn key(&self, token: &str) -> u64 {
        let bytes = token.as_bytes();
        self.keys.hash_one(&bytes[bytes.len().saturating_sub(KEYED_BYTES)..])
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (Box<str>, AccessClaims)>> {
        // No code runs under the lock that could leave the map half-changed.
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use domain::{Role, SessionId, UserId};

    fn claims(n: u128) -> AccessClaims {
        let at = Utc.timestamp_opt(1_000, 0).unwrap();
        AccessClaims {
            user_id: UserId::from_uuid(uuid::Uuid::from_u128(n)),
            session_id: SessionId::from_uuid(uuid::Uuid::from_u128(n)),
            role: Role::User,
            issued_at: at,
            expires_at: at + chrono::Duration::hours(1),
            token_id: uuid::Uuid::from_u128(n),
            amr: domain::Amr::PASSWORD,
        }
    }

    #[test]
    fn a_token_sharing_another_ones_signature_bytes_is_a_miss_never_its_claims() {
        let cache = VerifiedTokens::default();
        let tail = "s".repeat(KEYED_BYTES);
        let (first, second) = (format!("header.first.{tail}"), format!("header.second.{tail}"));
        cache.insert(&first, &claims(1));
        assert_eq!(cache.get(&first, 0), Some(claims(1)));
        assert_eq!(cache.get(&second, 0), None, "same key, other text: a miss");
        cache.insert(&second, &claims(2));
        assert_eq!((cache.get(&second, 0), cache.get(&first, 0)), (Some(claims(2)), None), "they take turns");
    }
}
