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

use domain::AccessClaims;
use std::collections::HashMap;
use std::sync::Mutex;

/// Most tokens remembered at once (each ~0.5 KB with its claims).
pub(crate) const CAPACITY: usize = 1024;

#[derive(Default)]
pub(crate) struct VerifiedTokens {
    tokens: Mutex<HashMap<Box<str>, AccessClaims>>,
}

impl VerifiedTokens {
    /// The claims of `token` if it verified before. One past its expiry at `now` (seconds) is
    /// answered and forgotten: the use cases refuse it, and it will not be good again.
    pub(crate) fn get(&self, token: &str, now: i64) -> Option<AccessClaims> {
        let mut tokens = self.lock();
        let claims = tokens.get(token)?.clone();
        if claims.expires_at.timestamp() <= now {
            tokens.remove(token);
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
        tokens.insert(token.into(), claims.clone());
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, AccessClaims>> {
        // No code runs under the lock that could leave the map half-changed.
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
