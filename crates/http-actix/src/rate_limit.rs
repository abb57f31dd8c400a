//! Per-client-IP rate limiting (actix-governor) for `/auth/*` and the password-checking
//! endpoints, with `X-Forwarded-For` believed only from configured proxies.

use crate::config::RateLimitSettings;
use crate::error::ApiError;
use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
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
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, ApiError> {
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        self.client_of(req.peer_addr().map(|a| a.ip()), forwarded).ok_or_else(|| ApiError::bad_request("the client address is unknown"))
    }

    fn exceed_rate_limit_response(&self, negative: &NotUntil<QuantaInstant>, _: HttpResponseBuilder) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        ApiError::too_many_requests(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).error_response()
    }
}

/// A limiter configuration; `methods: None` limits every method.
pub type Limiter = GovernorConfig<ClientIp, NoOpMiddleware<QuantaInstant>>;

/// The limiter of the settings (built even when limits are off, so the middleware type is the
/// same; `Condition` then skips it).
pub fn limiter(settings: &RateLimitSettings, trusted_proxies: &[IpAddr], methods: Option<Vec<Method>>) -> Option<Limiter> {
    let mut builder = GovernorConfigBuilder::default();
    builder.requests_per_minute(u64::from(settings.per_minute.max(1))).burst_size(settings.burst.max(1));
    if let Some(methods) = methods {
        builder.methods(methods);
    }
    builder.key_extractor(ClientIp::new(trusted_proxies)).finish()
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
