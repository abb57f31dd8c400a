//! JWT access tokens: signing with the current key, verification with any configured key
//! selected by `kid`, and the JWKS document of the public keys.

mod claims;
mod config;
mod keys;
mod verified;

pub use config::{JwtConfig, KeyConfig, KeySpec, MIN_HS256_SECRET_BYTES, hs256_secret_is_strong};
pub use keys::MAX_KID_LEN;

use crate::error::CryptoConfigError;
use claims::{Incoming, Outgoing};
use domain::{AccessClaims, AccessToken, AccessTokenCodec, InfraError, TokenRejected};
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation, decode, decode_header, encode, get_current_timestamp};
use keys::LoadedKey;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use verified::VerifiedTokens;

/// The `typ` header of an access token (RFC 9068 §2.1). A JWT without it, such as an ID
/// token or any other kind, is never accepted as an access token.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The largest clock-skew allowance accepted, in seconds.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Tokens longer than this are refused before any parsing (ours are well under 1 KiB).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The production [`AccessTokenCodec`]: signed JWTs with HS256, EdDSA or ES256.
///
/// Cheap to clone (the keys are shared). Verification accepts only the algorithm of the key
/// the token's `kid` names among the configured keys (the current key when there is no
/// `kid`); requires `typ: at+jwt`, `exp`, `iat`, `sub`, `iss`, `aud`, `sid` and `jti`; and
/// checks `nbf` when present. Anything wrong is [`TokenRejected::Invalid`]. Expiry is not
/// judged here (the use cases judge it, by their clock, at the exact instant): a genuine token
/// past its `exp` verifies.
#[derive(Clone)]
pub struct JwtCodec {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    clock_skew: u64,
    signing_kid: String,
    signing_algorithm: Algorithm,
    signing_key: EncodingKey,
    /// The current key first, then the previous ones in configured order.
    keys: Vec<VerifyingKey>,
    jwks: Value,
    /// Tokens that verified, so the next request with the same token skips the work.
    verified: VerifiedTokens,
}

struct VerifyingKey {
    kid: String,
    algorithm: Algorithm,
    key: jsonwebtoken::DecodingKey,
    validation: Validation,
}

impl JwtCodec {
    /// Loads and checks every configured key.
    ///
    /// # Errors
    /// A [`CryptoConfigError`] when the issuer or audience is empty, the clock skew is over
    /// [`MAX_CLOCK_SKEW_SECS`], a key cannot be read or is not of its algorithm, a private key does
    /// not match its public key, the current key has no private part, a `kid` is invalid, or
    /// two keys share a `kid`.
    pub fn new(config: JwtConfig) -> Result<Self, CryptoConfigError> {
        if config.issuer.is_empty() {
            return Err(CryptoConfigError::EmptyClaim { claim: "issuer" });
        }
        if config.audience.is_empty() {
            return Err(CryptoConfigError::EmptyClaim { claim: "audience" });
        }
        if config.clock_skew_secs > MAX_CLOCK_SKEW_SECS {
            return Err(CryptoConfigError::ClockSkew { secs: config.clock_skew_secs, max: MAX_CLOCK_SKEW_SECS });
        }

        let current = keys::load(&config.current, "current key")?;
        let signing_key = current.encoding.clone().ok_or_else(|| CryptoConfigError::MissingPrivateKey { key: "current key".to_owned() })?;
        let mut loaded = vec![current];
        for (i, key) in config.previous.iter().enumerate() {
            loaded.push(keys::load(key, &format!("previous key #{}", i + 1))?);
        }

        let mut seen = HashSet::new();
        if let Some(dup) = loaded.iter().find(|k| !seen.insert(k.kid.as_str())) {
            return Err(CryptoConfigError::DuplicateKid { kid: dup.kid.clone() });
        }

        let jwks = json!({ "keys": loaded.iter().filter_map(|k| k.jwk.clone()).collect::<Vec<_>>() });
        let keys = loaded.into_iter().map(|k| verifying_key(k, &config)).collect::<Vec<_>>();
        Ok(Self {
            inner: Arc::new(Inner {
                signing_kid: keys[0].kid.clone(),
                signing_algorithm: keys[0].algorithm,
                signing_key,
                keys,
                jwks,
                verified: VerifiedTokens::default(),
                clock_skew: config.clock_skew_secs,
                issuer: config.issuer,
                audience: config.audience,
            }),
        })
    }

    /// The JWKS document (`{"keys": [...]}`) of the public keys of the current and previous
    /// EdDSA and ES256 keys, each with `kid`, `alg` and `use: "sig"`. HS256 secrets are never
    /// published, so under HS256 alone it is `{"keys": []}`.
    pub fn jwks(&self) -> Value {
        self.inner.jwks.clone()
    }

    /// The `kid` new tokens carry.
    pub fn current_kid(&self) -> &str {
        &self.inner.signing_kid
    }

    /// The JOSE name of the algorithm new tokens are signed with.
    pub fn current_algorithm(&self) -> &'static str {
        algorithm_name(self.inner.signing_algorithm)
    }
}

fn verifying_key(key: LoadedKey, config: &JwtConfig) -> VerifyingKey {
    // One algorithm per key: the header's `alg` must equal it, so neither `none` nor an HMAC
    // keyed with a public key can ever pass.
    let mut validation = Validation::new(key.algorithm);
    // `exp` must be there but is judged by the use cases; the allowance is for `nbf`.
    validation.leeway = config.clock_skew_secs;
    validation.validate_exp = false;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_issuer(&[&config.issuer]);
    validation.set_audience(&[&config.audience]);
    validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    VerifyingKey { kid: key.kid, algorithm: key.algorithm, key: key.decoding, validation }
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::EdDSA => "EdDSA",
        Algorithm::ES256 => "ES256",
        _ => "HS256",
    }
}

/// RFC 9068 allows the media type in full too; media types compare case-insensitively.
fn is_access_token_type(typ: Option<&str>) -> bool {
    typ.is_some_and(|t| {
        let t = t.strip_prefix("application/").unwrap_or(t);
        t.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE)
    })
}

impl Inner {
    fn key_for(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        match kid {
            None => self.keys.first(),
            Some(kid) => self.keys.iter().find(|k| k.kid == kid),
        }
    }
}

impl AccessTokenCodec for JwtCodec {
    fn issue(&self, claims: &AccessClaims) -> Result<AccessToken, InfraError> {
        let inner = &*self.inner;
        let mut header = Header::new(inner.signing_algorithm);
        header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
        header.kid = Some(inner.signing_kid.clone());
        let payload = Outgoing::new(claims, &inner.issuer, &inner.audience);
        encode(&header, &payload, &inner.signing_key)
            .map(AccessToken::new)
            .map_err(|e| InfraError::internal(format!("signing the access token failed: {e}")))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenRejected> {
        let now = i64::try_from(get_current_timestamp()).map_err(|_| TokenRejected::Invalid)?;
        self.verify_at(token, now)
    }
}

impl JwtCodec {
    /// [`AccessTokenCodec::verify`] at `now` (Unix seconds) for the remembered tokens; a token
    /// verified in full is checked by `jsonwebtoken` against the system clock.
    fn verify_at(&self, token: &str, now: i64) -> Result<AccessClaims, TokenRejected> {
        let inner = &*self.inner;
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenRejected::Invalid);
        }
        if let Some(remembered) = inner.verified.get(token, now) {
            return Ok(remembered);
        }
        let clock_skew = i64::try_from(inner.clock_skew).map_err(|_| TokenRejected::Invalid)?;
        let claims = self.verify_in_full(token, now, clock_skew)?;
        inner.verified.insert(token, &claims);
        Ok(claims)
    }

    fn verify_in_full(&self, token: &str, now: i64, clock_skew: i64) -> Result<AccessClaims, TokenRejected> {
        let inner = &*self.inner;
        // The header only selects among configured keys; `alg: none` does not even parse.
        let header = decode_header(token).map_err(|_| TokenRejected::Invalid)?;
        // `crit` names extensions that must be understood (RFC 7515 §4.1.11); we know none.
        if !is_access_token_type(header.typ.as_deref()) || header.crit.is_some() {
            return Err(TokenRejected::Invalid);
        }
        let key = inner.key_for(header.kid.as_deref()).ok_or(TokenRejected::Invalid)?;
        if header.alg != key.algorithm {
            return Err(TokenRejected::Invalid);
        }
        let data = decode::<Incoming>(token, &key.key, &key.validation).map_err(|_| TokenRejected::Invalid)?;
        data.claims.into_access_claims(now, clock_skew)
    }
}

impl fmt::Debug for JwtCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let kids: Vec<(&str, &str)> = inner.keys.iter().map(|k| (k.kid.as_str(), algorithm_name(k.algorithm))).collect();
        f.debug_struct("JwtCodec")
            .field("issuer", &inner.issuer)
            .field("audience", &inner.audience)
            .field("clock_skew_secs", &inner.clock_skew)
            .field("current_kid", &inner.signing_kid)
            .field("keys", &kids)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use domain::{Role, SessionId, UserId};
    use secrecy::SecretString;
    use uuid::Uuid;

    const CLOCK_SKEW: u64 = 30;

    fn codec() -> JwtCodec {
        JwtCodec::new(JwtConfig {
            issuer: "gatehouse-test".into(),
            audience: "gatehouse-test-api".into(),
            current: KeyConfig {
                kid: None,
                spec: KeySpec::Hs256 { secret: SecretString::from("a-test-secret-of-at-least-32-bytes!!".to_owned()) },
            },
            previous: vec![],
            clock_skew_secs: CLOCK_SKEW,
        })
        .unwrap()
    }

    fn claims(expires_at: DateTime<Utc>) -> AccessClaims {
        AccessClaims {
            user_id: UserId::from_uuid(Uuid::now_v7()),
            session_id: SessionId::from_uuid(Uuid::now_v7()),
            role: Role::User,
            // Tokens carry whole seconds.
            issued_at: DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap(),
            expires_at,
            token_id: Uuid::new_v4(),
            amr: domain::Amr::PASSWORD,
        }
    }

    fn secs(t: DateTime<Utc>) -> i64 {
        t.timestamp()
    }

    #[test]
    fn a_remembered_token_past_its_expiry_is_forgotten_and_left_to_the_use_cases() {
        let codec = codec();
        let expires_at = DateTime::from_timestamp(Utc::now().timestamp() + 60, 0).unwrap();
        let claims = claims(expires_at);
        let token = codec.issue(&claims).unwrap();
        let now = secs(Utc::now());
        assert_eq!(codec.verify_at(token.expose(), now), Ok(claims.clone()));
        assert_eq!(codec.inner.verified.len(), 1, "a verified token is remembered");
        assert_eq!(codec.verify_at(token.expose(), secs(expires_at) - 1), Ok(claims.clone()), "remembered");
        assert_eq!(codec.inner.verified.len(), 1);
        // Past `exp` the claims come back (the use cases refuse them, by their clock) and the
        // token leaves the map.
        assert_eq!(codec.verify_at(token.expose(), secs(expires_at)), Ok(claims));
        assert_eq!(codec.inner.verified.len(), 0, "an expired token is forgotten");
    }

    #[test]
    fn only_the_exact_text_of_a_verified_token_is_remembered() {
        let codec = codec();
        let token = codec.issue(&claims(Utc::now() + chrono::Duration::minutes(15))).unwrap();
        let now = secs(Utc::now());
        assert!(codec.verify_at(token.expose(), now).is_ok());
        let text = token.expose();
        let mut tampered = text[..text.len() - 2].to_owned();
        tampered.push_str(if text.ends_with("AA") { "AB" } else { "AA" });
        assert_eq!(codec.verify_at(&tampered, now), Err(TokenRejected::Invalid));
        assert_eq!(codec.verify_at(&format!("{text} "), now), Err(TokenRejected::Invalid));
        assert_eq!(codec.inner.verified.len(), 1, "refused tokens are never remembered");
    }

    #[test]
    fn the_memory_of_verified_tokens_is_bounded() {
        let codec = codec();
        let now = secs(Utc::now());
        for _ in 0..verified::CAPACITY + 10 {
            let token = codec.issue(&claims(Utc::now() + chrono::Duration::minutes(15))).unwrap();
            assert!(codec.verify_at(token.expose(), now).is_ok());
            assert!(codec.inner.verified.len() <= verified::CAPACITY);
        }
    }
}
