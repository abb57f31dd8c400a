//! The per-client limit of the settings, and who a request comes from: `X-Forwarded-For` is
//! believed only from configured proxies.

use domain::AttemptPolicy;
use std::net::IpAddr;
use std::sync::Arc;

/// Keys requests by the client's IP address.
#[derive(Debug, Clone)]
pub struct ClientIp {
    trusted_proxies: Arc<[IpAddr]>,
}

impl ClientIp {
    /// Believes `X-Forwarded-For` only when the peer is one of `trusted_proxies`.
    pub fn new(trusted_proxies: &[IpAddr]) -> Self {
        Self { trusted_proxies: trusted_proxies.into() }
    }

    /// The client: the peer, or, behind trusted proxies, the right-most address in
    /// `X-Forwarded-For` that is not itself a trusted proxy (left-most entries are whatever the
    /// client chose to send and are never believed).
    pub fn client_of(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let chain: Vec<IpAddr> = forwarded_for.into_iter().flat_map(|v| v.split(',')).filter_map(|s| s.trim().parse().ok()).collect();
        Some(chain.into_iter().rev().find(|ip| !self.trusted_proxies.contains(ip)).unwrap_or(peer))
    }
    /// The client of `req`: its peer, or behind trusted proxies what they forwarded.
    pub fn of(&self, req: &actix_web::HttpRequest) -> Option<IpAddr> {
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        self.client_of(req.peer_addr().map(|a| a.ip()), forwarded)
    }
}

/// The per-client limit of the settings.
#[derive(Debug, Clone)]
pub struct ClientLimit {
    policy: AttemptPolicy,
}

impl ClientLimit {
    /// The limit of `rate_limit.per_minute` and `rate_limit.burst`. The sustained rate and the
    /// burst become one fixed window: `burst` requests per the time `per_minute` takes to
    /// refill them (5 per 30 s for the default 10 per minute with a burst of 5).
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let burst = burst.max(1);
        let window_ms = 60_000 * i64::from(burst) / i64::from(per_minute.max(1));
        Self { policy: AttemptPolicy { limit: burst, window: chrono::Duration::milliseconds(window_ms.max(1_000)) } }
    }

    /// The window every client gets.
    pub(crate) fn policy(&self) -> AttemptPolicy {
        self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let keys = ClientIp::new(&[ip("10.0.0.1")]);
        assert_eq!(keys.client_of(Some(ip("203.0.113.9")), Some("198.51.100.1")), Some(ip("203.0.113.9")));
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client() {
        let keys = ClientIp::new(&[ip("10.0.0.1"), ip("10.0.0.2")]);
        let chain = "1.2.3.4, 198.51.100.7, 10.0.0.2";
        assert_eq!(keys.client_of(Some(ip("10.0.0.1")), Some(chain)), Some(ip("198.51.100.7")));
        assert_eq!(keys.client_of(Some(ip("10.0.0.1")), None), Some(ip("10.0.0.1")));
        assert_eq!(keys.client_of(Some(ip("10.0.0.1")), Some("garbage")), Some(ip("10.0.0.1")));
    }
}
