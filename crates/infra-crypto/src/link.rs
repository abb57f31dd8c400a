//! The tokens of emailed links: a prefix of their own and 256 bits from the OS random source,
//! stored only as SHA-256, like refresh tokens but never mistaken for one.

use crate::refresh::{is_random_part, random_part, sha256_hex};
use domain::{LinkDigest, LinkToken, LinkTokenIssuer};

/// What every link token starts with: a refresh token presented as a link's (or the other way
/// round) is refused by its shape, and secret scanners can find a leaked one.
pub const LINK_TOKEN_PREFIX: &str = "gatehouse_lt_";

/// The production [`LinkTokenIssuer`]: [`LINK_TOKEN_PREFIX`] and 32 random bytes as URL-safe
/// base64 (safe in a query string as is); the stored digest is the hex SHA-256 of the text.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomLinkTokens;

impl LinkTokenIssuer for RandomLinkTokens {
    /// # Panics
    /// Only if the operating system's random source fails.
    fn generate(&self) -> LinkToken {
        LinkToken::new(format!("{LINK_TOKEN_PREFIX}{}", random_part()))
    }

    fn recognises(&self, token: &str) -> bool {
        token.strip_prefix(LINK_TOKEN_PREFIX).is_some_and(is_random_part)
    }

    fn digest(&self, token: &str) -> LinkDigest {
        LinkDigest::new(sha256_hex(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RandomRefreshTokens;
    use domain::RefreshTokenIssuer;

    #[test]
    fn link_tokens_are_unique_recognised_and_never_taken_for_refresh_tokens() {
        let a = RandomLinkTokens.generate();
        let b = RandomLinkTokens.generate();
        assert_ne!(a.expose(), b.expose());
        assert!(RandomLinkTokens.recognises(a.expose()));
        assert_eq!(RandomLinkTokens.digest(a.expose()), RandomLinkTokens.digest(a.expose()));
        assert_ne!(RandomLinkTokens.digest(a.expose()).as_str(), a.expose());
        let refresh = RandomRefreshTokens.generate();
        assert!(!RandomLinkTokens.recognises(refresh.expose()));
        assert!(!RandomRefreshTokens.recognises(a.expose()));
        assert!(!RandomLinkTokens.recognises(&a.expose()[..a.expose().len() - 1]));
    }
}
