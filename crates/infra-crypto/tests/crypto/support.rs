//! Shared helpers: codecs with test keys, claims, and raw token surgery for forgeries.

#[path = "../support/keys.rs"]
mod keys;

pub use keys::{TestKeyPair, ed25519, p256};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::{AccessClaims, Role, SessionId, UserId};
use infra_crypto::{JwtCodec, JwtConfig, KeyConfig, KeySpec};
use serde_json::Value;
use uuid::Uuid;

pub const ISSUER: &str = "gatehouse";
pub const AUDIENCE: &str = "gatehouse";
pub const CLOCK_SKEW: u64 = 30;
pub const SECRET: &str = "0123456789abcdef0123456789abcdef-test-only";

pub fn hs256(secret: &str) -> KeySpec {
    KeySpec::Hs256 { secret: secret.to_owned().into() }
}

pub fn eddsa(pair: &TestKeyPair) -> KeySpec {
    KeySpec::EdDsa { private_pem: Some(pair.private_pem.clone()), public_pem: pair.public_pem.clone() }
}

pub fn eddsa_public(pair: &TestKeyPair) -> KeySpec {
    KeySpec::EdDsa { private_pem: None, public_pem: pair.public_pem.clone() }
}

pub fn es256(pair: &TestKeyPair) -> KeySpec {
    KeySpec::Es256 { private_pem: Some(pair.private_pem.clone()), public_pem: pair.public_pem.clone() }
}

pub fn es256_public(pair: &TestKeyPair) -> KeySpec {
    KeySpec::Es256 { private_pem: None, public_pem: pair.public_pem.clone() }
}

pub fn key(spec: KeySpec) -> KeyConfig {
    KeyConfig { kid: None, spec }
}

pub fn key_with_kid(kid: &str, spec: KeySpec) -> KeyConfig {
    KeyConfig { kid: Some(kid.to_owned()), spec }
}

pub fn config(current: KeyConfig, previous: Vec<KeyConfig>) -> JwtConfig {
    JwtConfig { issuer: ISSUER.into(), audience: AUDIENCE.into(), current, previous, clock_skew_secs: CLOCK_SKEW }
}

pub fn codec(current: KeySpec) -> JwtCodec {
    JwtCodec::new(config(key(current), vec![])).expect("valid test configuration")
}

/// One codec per supported algorithm, with its name.
pub fn every_algorithm() -> Vec<(&'static str, JwtCodec)> {
    vec![("HS256", codec(hs256(SECRET))), ("EdDSA", codec(eddsa(&ed25519(1)))), ("ES256", codec(es256(&p256(1))))]
}

pub fn now() -> DateTime<Utc> {
    // Whole seconds, as a JWT carries them, so a round trip compares equal.
    DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("now is representable")
}

pub fn claims() -> AccessClaims {
    let now = now();
    AccessClaims {
        user_id: UserId::from_uuid(Uuid::new_v4()),
        session_id: SessionId::from_uuid(Uuid::new_v4()),
        role: Role::User,
        issued_at: now,
        expires_at: now + chrono::Duration::seconds(900),
        token_id: Uuid::new_v4(),
        amr: domain::Amr::PASSWORD,
    }
}

/// A complete, valid payload as our codec would write it, for tests that then change it.
pub fn payload() -> Value {
    let now = now().timestamp();
    serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE,
        "sub": Uuid::new_v4().to_string(), "sid": Uuid::new_v4().to_string(), "jti": Uuid::new_v4().to_string(),
        "role": "user", "iat": now, "exp": now + 900,
    })
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Splits a token into its decoded header and payload and its raw signature part.
pub fn split(token: &str) -> (Value, Value, String) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS compact token has three parts");
    let json = |p: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).expect("base64url")).expect("JSON");
    (json(parts[0]), json(parts[1]), parts[2].to_owned())
}

/// Joins a header and payload with any signature part, without signing.
pub fn assemble(header: &Value, payload: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()))
}

/// Signs an arbitrary header and payload with HMAC-SHA256 under `secret`, as an attacker or a
/// misbehaving issuer could.
pub fn sign_hs256(header: &Value, payload: &Value, secret: &[u8]) -> String {
    let message = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()));
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::HS256).expect("HMAC signs");
    format!("{message}.{signature}")
}

/// Signs an arbitrary header and payload with a genuine key of ours, so only the content is
/// under test.
pub fn sign_with(spec_alg: jsonwebtoken::Algorithm, key: &jsonwebtoken::EncodingKey, header: &Value, payload: &Value) -> String {
    let message = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, spec_alg).expect("signs");
    format!("{message}.{signature}")
}

/// The header our codec writes for `codec`'s current key.
pub fn header_of(codec: &JwtCodec) -> Value {
    serde_json::json!({"alg": codec.current_algorithm(), "typ": "at+jwt", "kid": codec.current_kid()})
}
