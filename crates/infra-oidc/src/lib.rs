//! Gatehouse's OpenID Connect relying party, an outbound adapter behind the domain's
//! [`IdentityProviders`](domain::IdentityProviders) port. The `openidconnect` crate does the
//! protocol: discovery, the authorization URL with `state`, `nonce` and PKCE (S256), the code
//! exchange, and the ID token's checks (signature against the provider's JWKS, `iss`, `aud`,
//! `azp` beside several audiences, `exp`, `nonce`); this crate adds what it leaves to the caller:
//! caching the discovery document and keys (refreshed after [`OidcSettings::cache_ttl`], and at
//! once when an ID token names a key the cache lacks), an `azp` always our client id, `iat` not
//! in the future, RFC 9207's `iss` parameter, and no redirects followed.
//!
//! Every call blocks (reqwest's blocking client, its own runtime on its own thread): the use
//! cases run on the blocking pool, never on an async worker.

mod provider;

pub use provider::{OidcProviders, OidcSettings, ProviderSettings, SettingsError};
