//! Turning a [`KeyConfig`] into checked key material: the key is parsed, its algorithm and
//! curve confirmed, a private key proven to match its public key by signing a probe, and the
//! `kid` validated or derived. Nothing here is ever chosen from a token.

use super::config::{KeyConfig, KeySpec};
use crate::error::CryptoConfigError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, crypto};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The longest configured `kid` accepted.
pub const MAX_KID_LEN: usize = 128;

const PROBE: &[u8] = b"gatehouse key self-test";

/// A configured key, ready to sign (when it has a private part) and verify.
pub(crate) struct LoadedKey {
    pub(crate) kid: String,
    pub(crate) algorithm: Algorithm,
    pub(crate) encoding: Option<EncodingKey>,
    pub(crate) decoding: DecodingKey,
    /// The public JWK (with `kid`, `alg`, `use`), for asymmetric keys only.
    pub(crate) jwk: Option<Value>,
}

/// Loads and checks one key; `label` names it in errors ("current key", "previous key #2").
pub(crate) fn load(config: &KeyConfig, label: &str) -> Result<LoadedKey, CryptoConfigError> {
    let mut key = match &config.spec {
        KeySpec::Hs256 { secret } => hs256(secret.expose_secret().as_bytes(), label)?,
        KeySpec::EdDsa { private_pem, public_pem } => asymmetric(Algorithm::EdDSA, private_pem.as_deref(), public_pem, label)?,
        KeySpec::Es256 { private_pem, public_pem } => asymmetric(Algorithm::ES256, private_pem.as_deref(), public_pem, label)?,
    };
    if let Some(kid) = &config.kid {
        if !kid_is_valid(kid) {
            return Err(CryptoConfigError::InvalidKid { key: label.to_owned(), max: MAX_KID_LEN });
        }
        key.kid.clone_from(kid);
    }
    if let Some(Value::Object(jwk)) = &mut key.jwk {
        jwk.insert("kid".into(), Value::String(key.kid.clone()));
    }
    Ok(key)
}

fn kid_is_valid(kid: &str) -> bool {
    (1..=MAX_KID_LEN).contains(&kid.len()) && kid.bytes().all(|b| b.is_ascii_graphic())
}

fn hs256(secret: &[u8], label: &str) -> Result<LoadedKey, CryptoConfigError> {
    if secret.is_empty() {
        return Err(CryptoConfigError::EmptySecret { key: label.to_owned() });
    }
    // A truncated digest names the key without giving a verifier anything the token's own
    // MAC does not already give.
    let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(secret)[..12]);
    Ok(LoadedKey {
        kid,
        algorithm: Algorithm::HS256,
        encoding: Some(EncodingKey::from_secret(secret)),
        decoding: DecodingKey::from_secret(secret),
        jwk: None,
    })
}

fn asymmetric(algorithm: Algorithm, private_pem: Option<&str>, public_pem: &str, label: &str) -> Result<LoadedKey, CryptoConfigError> {
    let name = if algorithm == Algorithm::EdDSA { "EdDSA" } else { "ES256" };
    let bad_public = || CryptoConfigError::InvalidPublicKey { key: label.to_owned(), algorithm: name };
    let bad_private = || CryptoConfigError::InvalidPrivateKey { key: label.to_owned(), algorithm: name };

    let decoding = match algorithm {
        Algorithm::EdDSA => DecodingKey::from_ed_pem(public_pem.as_bytes()),
        _ => DecodingKey::from_ec_pem(public_pem.as_bytes()),
    }
    .map_err(|_| bad_public())?;
    let raw = decoding.try_get_as_bytes().map_err(|_| bad_public())?;
    // The sizes pin the curve: 32 bytes is Ed25519, 65 bytes starting 0x04 is an uncompressed
    // P-256 point (a P-384 key is 97 bytes). Checking first also keeps the verifier, which
    // slices 32 bytes, from ever seeing a short key.
    let (jwk, thumbprint_input) = match algorithm {
        Algorithm::EdDSA if raw.len() == 32 => {
            let x = URL_SAFE_NO_PAD.encode(raw);
            (
                json!({"kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA", "use": "sig"}),
                format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#),
            )
        }
        Algorithm::ES256 if raw.len() == 65 && raw[0] == 0x04 => {
            let (x, y) = (URL_SAFE_NO_PAD.encode(&raw[1..33]), URL_SAFE_NO_PAD.encode(&raw[33..]));
            (
                json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "alg": "ES256", "use": "sig"}),
                format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#),
            )
        }
        _ => return Err(bad_public()),
    };
    // Building a verifier parses the point: an invalid one fails here, not on the first token.
    crypto::verify("AA", PROBE, &decoding, algorithm).map_err(|_| bad_public())?;

    let encoding = match private_pem {
        None => None,
        Some(pem) => {
            let encoding = match algorithm {
                Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
                _ => EncodingKey::from_ec_pem(pem.as_bytes()),
            }
            .map_err(|_| bad_private())?;
            let signature = crypto::sign(PROBE, &encoding, algorithm).map_err(|_| bad_private())?;
            if !crypto::verify(&signature, PROBE, &decoding, algorithm).unwrap_or(false) {
                return Err(CryptoConfigError::KeyMismatch { key: label.to_owned() });
            }
            Some(encoding)
        }
    };

    // RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input.as_bytes()));
    Ok(LoadedKey { kid, algorithm, encoding, decoding, jwk: Some(jwk) })
}
