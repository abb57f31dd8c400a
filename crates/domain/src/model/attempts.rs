//! Keys and policy of the attempt counters behind the per-account lockout and the per-client
//! rate limit.

use crate::model::{Email, Timestamp};
use chrono::Duration;
use std::net::IpAddr;

/// What an attempt counter counts: an account's password checks, or one client's requests.
/// Bounded by construction (a parsed email is at most 254 characters, an address at most 39),
/// so hostile input cannot make keys large.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CounterKey(String);

impl CounterKey {
    /// The longest key, in bytes: a prefix and a 254-character email of up to 4 bytes each.
    pub const MAX_BYTES: usize = 8 + 254 * 4;

    /// The password checks of the account with this (normalised) email.
    pub fn account(email: &Email) -> Self {
        Self(format!("account:{}", email.as_str()))
    }

    /// The messages of one `kind` (`reset`, `verify`, `taken`) sent to this (normalised) email.
    pub fn mail(kind: &str, email: &Email) -> Self {
        Self(format!("mail:{kind}:{}", email.as_str()))
    }

    /// The requests of one client: its IPv4 address, or its IPv6 /64 (one subscriber's
    /// network, whose addresses are the subscriber's to choose).
    pub fn client(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(format!("ip:{v4}")),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(format!("ip:{v4}")),
                None => {
                    let s = v6.segments();
                    Self(format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
                }
            },
        }
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fixed window of attempts: at most `limit` per `window`; a `limit` of 0 turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptPolicy {
    /// Attempts per window.
    pub limit: u32,
    /// The window, from its first attempt.
    pub window: Duration,
}

impl AttemptPolicy {
    /// The contract's lockout: 10 password checks per account per 15 minutes.
    pub const LOCKOUT: Self = Self { limit: 10, window: Duration::seconds(900) };

    /// Whether it limits anything.
    pub fn is_on(&self) -> bool {
        self.limit > 0
    }
}

/// The answer of a counter to an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Counted; the attempt may go ahead.
    Granted,
    /// The window is full; nothing was counted. Try again in this many seconds (at least 1).
    Refused {
        /// Seconds until the window ends.
        retry_after_secs: u64,
    },
}

impl Reservation {
    /// The refusal for a window that ends at `ends_at`: at least one second, rounded up.
    pub fn refused_until(ends_at: Timestamp, now: Timestamp) -> Self {
        let millis = (ends_at - now).num_milliseconds().max(0);
        let secs = u64::try_from(millis).unwrap_or(0).div_ceil(1000).max(1);
        Self::Refused { retry_after_secs: secs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_a_key_per_64_and_ipv4_per_address() {
        let a = CounterKey::client("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = CounterKey::client("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap());
        let other = CounterKey::client("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert_eq!(a.as_str(), "ip:2001:db8:1:2::/64");
        assert_eq!(CounterKey::client("::ffff:192.0.2.7".parse().unwrap()), CounterKey::client("192.0.2.7".parse().unwrap()));
        assert_ne!(CounterKey::client("192.0.2.7".parse().unwrap()), CounterKey::client("192.0.2.8".parse().unwrap()));
    }

    #[test]
    fn account_keys_are_the_normalised_email_and_bounded() {
        let key = CounterKey::account(&Email::parse("Ada@Example.COM").unwrap());
        assert_eq!(key.as_str(), "account:ada@example.com");
        assert!(key.as_str().len() <= CounterKey::MAX_BYTES);
    }
}
