//! The JWT attack catalogue against `JwtCodec`, plus the happy paths it must keep working.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{AccessTokenCodec, RefreshTokenIssuer, Role, TokenRejected};
use infra_crypto::{JwtCodec, RandomRefreshTokens};
use serde_json::{Value, json};

/// A token our HS256 test codec would accept, with the payload changed by `edit`.
fn hs256_token_with(edit: impl FnOnce(&mut Value)) -> (JwtCodec, String) {
    let codec = codec(hs256(SECRET));
    let mut body = payload();
    edit(&mut body);
    let token = sign_hs256(&header_of(&codec), &body, SECRET.as_bytes());
    (codec, token)
}

fn remove(claim: &'static str) -> impl FnOnce(&mut Value) {
    move |p| {
        p.as_object_mut().expect("object").remove(claim);
    }
}

// --- happy paths ------------------------------------------------------------------------

#[test]
fn every_algorithm_round_trips_the_claims() {
    for (alg, codec) in every_algorithm() {
        let claims = claims();
        let token = codec.issue(&claims).expect("issue");
        assert_eq!(codec.verify(token.expose()), Ok(claims), "{alg}");
    }
}

#[test]
fn a_token_carries_its_type_kid_algorithm_issuer_and_audience() {
    for (alg, codec) in every_algorithm() {
        let token = codec.issue(&claims()).expect("issue");
        let (header, payload, _) = split(token.expose());
        assert_eq!(header["typ"], "at+jwt", "{alg}");
        assert_eq!(header["alg"], alg);
        assert_eq!(header["kid"], codec.current_kid(), "{alg}");
        assert_eq!(payload["iss"], ISSUER);
        assert_eq!(payload["aud"], AUDIENCE);
        for claim in ["sub", "sid", "role", "iat", "exp", "jti"] {
            assert!(payload.get(claim).is_some(), "{alg}: {claim} missing");
        }
    }
}

#[test]
fn a_forged_role_claim_is_not_accepted_but_a_genuine_admin_one_is() {
    let codec = codec(hs256(SECRET));
    let mut claims = claims();
    claims.role = Role::Admin;
    let token = codec.issue(&claims).expect("issue");
    assert_eq!(codec.verify(token.expose()).map(|c| c.role), Ok(Role::Admin));
}

#[test]
fn a_clone_verifies_what_the_original_issued() {
    let codec = codec(eddsa(&ed25519(1)));
    let token = codec.issue(&claims()).expect("issue");
    assert!(codec.clone().verify(token.expose()).is_ok());
}

#[test]
fn a_genuine_token_past_its_expiry_verifies_for_the_use_cases_to_refuse() {
    // Expiry is judged once, by the use cases at the exact instant (domain tests), not here.
    let (codec, token) = hs256_token_with(|p| {
        p["exp"] = json!(now().timestamp() - 5);
        p["iat"] = json!(now().timestamp() - 905);
    });
    let claims = codec.verify(&token).expect("genuine");
    assert!(claims.expires_at < now());
}

#[test]
fn the_full_media_type_is_accepted_as_access_token_type() {
    let codec = codec(hs256(SECRET));
    let mut header = header_of(&codec);
    header["typ"] = json!("application/AT+JWT");
    assert!(codec.verify(&sign_hs256(&header, &payload(), SECRET.as_bytes())).is_ok());
}

// --- algorithm confusion ------------------------------------------------------------------

#[test]
fn alg_none_is_refused_in_any_spelling() {
    for (alg, codec) in every_algorithm() {
        let genuine = codec.issue(&claims()).expect("issue");
        let (_, body, signature) = split(genuine.expose());
        for none in ["none", "nOnE", "NONE", "None"] {
            for kid in [None, Some(codec.current_kid())] {
                let mut header = json!({"alg": none, "typ": "at+jwt"});
                if let Some(kid) = kid {
                    header["kid"] = json!(kid);
                }
                for sig in ["", signature.as_str()] {
                    let forged = assemble(&header, &body, sig);
                    assert_eq!(codec.verify(&forged), Err(TokenRejected::Invalid), "{alg} with alg {none}, kid {kid:?}");
                }
            }
        }
    }
}

#[test]
fn hs256_keyed_with_the_public_key_is_refused() {
    let ed = ed25519(1);
    let ec = p256(1);
    for (codec, pair) in [(codec(eddsa(&ed)), &ed), (codec(es256(&ec)), &ec)] {
        // The PEM text, its DER body and the raw key bytes are the usual HMAC-key guesses.
        let der = pem_body(&pair.public_pem);
        let raw = raw_public_key(&codec);
        for secret in [pair.public_pem.as_bytes().to_vec(), der, raw] {
            for kid in [None, Some(codec.current_kid())] {
                let mut header = json!({"alg": "HS256", "typ": "at+jwt"});
                if let Some(kid) = kid {
                    header["kid"] = json!(kid);
                }
                let forged = sign_hs256(&header, &payload(), &secret);
                assert_eq!(codec.verify(&forged), Err(TokenRejected::Invalid), "{} kid {kid:?}", codec.current_algorithm());
            }
        }
    }
}

/// The raw public key as published: Ed25519's 32 bytes, or P-256's uncompressed point.
fn raw_public_key(codec: &JwtCodec) -> Vec<u8> {
    let jwk = &codec.jwks()["keys"][0];
    let decode = |member: &str| URL_SAFE_NO_PAD.decode(jwk[member].as_str().expect("coordinate")).expect("base64url");
    match jwk["kty"].as_str() {
        Some("EC") => [vec![0x04], decode("x"), decode("y")].concat(),
        _ => decode("x"),
    }
}

fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).expect("PEM body is base64")
}

#[test]
fn a_token_signed_with_another_algorithm_than_its_keys_is_refused() {
    // An EdDSA codec that also keeps an ES256 key: a token naming the ES256 key must be ES256.
    let ed = ed25519(1);
    let ec = p256(2);
    let codec = JwtCodec::new(config(key(eddsa(&ed)), vec![key_with_kid("old-ec", es256_public(&ec))])).expect("codec");
    let ed_signer = jsonwebtoken::EncodingKey::from_ed_pem(ed.private_pem.as_bytes()).expect("key");
    let header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "old-ec"});
    let forged = sign_with(jsonwebtoken::Algorithm::EdDSA, &ed_signer, &header, &payload());
    assert_eq!(codec.verify(&forged), Err(TokenRejected::Invalid));
}

#[test]
fn other_hmac_variants_are_refused_under_hs256() {
    let codec = codec(hs256(SECRET));
    for alg in ["HS384", "HS512", "RS256", "PS256", "ES384"] {
        let header = json!({"alg": alg, "typ": "at+jwt", "kid": codec.current_kid()});
        let forged = sign_hs256(&header, &payload(), SECRET.as_bytes());
        assert_eq!(codec.verify(&forged), Err(TokenRejected::Invalid), "{alg}");
    }
}

// --- integrity and keys -------------------------------------------------------------------

#[test]
fn a_tampered_payload_is_refused() {
    for (alg, codec) in every_algorithm() {
        let token = codec.issue(&claims()).expect("issue");
        let (header, mut body, signature) = split(token.expose());
        body["role"] = json!("admin");
        assert_eq!(codec.verify(&assemble(&header, &body, &signature)), Err(TokenRejected::Invalid), "{alg}");
    }
}

#[test]
fn a_tampered_header_or_signature_is_refused() {
    for (alg, codec) in every_algorithm() {
        let token = codec.issue(&claims()).expect("issue");
        let (mut header, body, signature) = split(token.expose());
        // Flip a character in the middle of the signature (the last one may only carry padding bits).
        let mut sig: Vec<char> = signature.chars().collect();
        let mid = sig.len() / 2;
        sig[mid] = if sig[mid] == 'A' { 'B' } else { 'A' };
        let sig: String = sig.into_iter().collect();
        assert_eq!(codec.verify(&assemble(&header, &body, &sig)), Err(TokenRejected::Invalid), "{alg} signature");
        header["x-extra"] = json!(1);
        assert_eq!(codec.verify(&assemble(&header, &body, &signature)), Err(TokenRejected::Invalid), "{alg} header");
        assert_eq!(codec.verify(&format!("{}x", token.expose())), Err(TokenRejected::Invalid), "{alg} trailing");
    }
}

#[test]
fn a_token_signed_with_another_key_of_the_same_kid_is_refused() {
    let pairs = [
        (hs256(SECRET), hs256("another-secret-that-is-long-enough-000")),
        (eddsa(&ed25519(1)), eddsa(&ed25519(2))),
        (es256(&p256(1)), es256(&p256(2))),
    ];
    for (ours, theirs) in pairs {
        let verifier = JwtCodec::new(config(key_with_kid("k1", ours), vec![])).expect("codec");
        let forger = JwtCodec::new(config(key_with_kid("k1", theirs), vec![])).expect("codec");
        let token = forger.issue(&claims()).expect("issue");
        assert_eq!(verifier.verify(token.expose()), Err(TokenRejected::Invalid), "{}", verifier.current_algorithm());
    }
}

#[test]
fn a_retired_key_still_verifies_and_an_unknown_kid_is_refused() {
    let old = ed25519(1);
    let before = codec(eddsa(&old));
    let old_token = before.issue(&claims()).expect("issue");
    let old_hs = codec(hs256(SECRET));
    let old_hs_token = old_hs.issue(&claims()).expect("issue");

    // Rotated to ES256; the old Ed25519 key (public half only) and the old secret stay.
    let after = JwtCodec::new(config(key(es256(&p256(1))), vec![key(eddsa_public(&old)), key(hs256(SECRET))])).expect("codec");
    assert!(after.verify(old_token.expose()).is_ok(), "retired EdDSA key");
    assert!(after.verify(old_hs_token.expose()).is_ok(), "retired HS256 key");
    let new_token = after.issue(&claims()).expect("issue");
    assert_eq!(split(new_token.expose()).0["kid"], after.current_kid());
    assert_ne!(after.current_kid(), before.current_kid());

    // Once the old keys are dropped, their kids are unknown.
    let later = codec(es256(&p256(1)));
    assert_eq!(later.verify(old_token.expose()), Err(TokenRejected::Invalid));
    assert_eq!(later.verify(old_hs_token.expose()), Err(TokenRejected::Invalid));
    assert!(later.verify(new_token.expose()).is_ok());
}

#[test]
fn a_token_without_kid_is_checked_against_the_current_key_only() {
    let codec = JwtCodec::new(config(key(hs256(SECRET)), vec![key(hs256("retired-secret-retired-secret-0000"))])).expect("codec");
    let mut header = header_of(&codec);
    header.as_object_mut().expect("object").remove("kid");
    assert!(codec.verify(&sign_hs256(&header, &payload(), SECRET.as_bytes())).is_ok());
    let with_retired = sign_hs256(&header, &payload(), b"retired-secret-retired-secret-0000");
    assert_eq!(codec.verify(&with_retired), Err(TokenRejected::Invalid));
}

#[test]
fn a_hostile_kid_is_refused_without_panicking() {
    let codec = codec(hs256(SECRET));
    let huge = "A".repeat(4000);
    let kids = [
        json!("../../../../etc/passwd"),
        json!("/dev/zero"),
        json!("file:///etc/shadow"),
        json!("http://169.254.169.254/latest/meta-data"),
        json!("' OR '1'='1"),
        json!(huge),
        json!("ключ🔑"),
        json!("k\u{0}id"),
        json!(""),
        json!(12),
        json!(null),
        json!(["a"]),
        json!({"kid": "x"}),
    ];
    for kid in kids {
        let mut header = header_of(&codec);
        header["kid"] = kid.clone();
        let forged = sign_hs256(&header, &payload(), SECRET.as_bytes());
        // A null kid is "no kid", which selects the current key: genuine, so accepted.
        let expected = if kid.is_null() { Ok(()) } else { Err(TokenRejected::Invalid) };
        assert_eq!(codec.verify(&forged).map(|_| ()), expected, "kid {kid}");
    }
    // Far beyond the size limit: refused before any parsing.
    let mut header = header_of(&codec);
    header["kid"] = json!("B".repeat(1 << 20));
    assert_eq!(codec.verify(&sign_hs256(&header, &payload(), SECRET.as_bytes())), Err(TokenRejected::Invalid));
}

#[test]
fn a_critical_header_extension_is_refused() {
    let codec = codec(hs256(SECRET));
    let mut header = header_of(&codec);
    header["crit"] = json!(["exp"]);
    assert_eq!(codec.verify(&sign_hs256(&header, &payload(), SECRET.as_bytes())), Err(TokenRejected::Invalid));
}

#[test]
fn garbage_is_refused_without_panicking() {
    let codec = codec(eddsa(&ed25519(1)));
    let long = "a.".repeat(10_000);
    for garbage in ["", ".", "..", "...", "a.b.c", "a.b", "Bearer x", "é.é.é", "eyJ.eyJ.eyJ", "=.=.=", long.as_str()] {
        assert_eq!(codec.verify(garbage), Err(TokenRejected::Invalid), "{garbage:.20}");
    }
}

// --- token type -----------------------------------------------------------------------------

#[test]
fn a_refresh_token_is_not_an_access_token() {
    let refresh = RandomRefreshTokens.generate();
    for (alg, codec) in every_algorithm() {
        assert_eq!(codec.verify(refresh.expose()), Err(TokenRejected::Invalid), "{alg}");
    }
}

#[test]
fn a_jwt_of_another_type_is_not_an_access_token() {
    let codec = codec(hs256(SECRET));
    for typ in [json!("JWT"), json!("rt+jwt"), json!("id_token"), json!("at+jwt2"), json!(null), json!(1)] {
        let mut header = header_of(&codec);
        header["typ"] = typ.clone();
        assert_eq!(codec.verify(&sign_hs256(&header, &payload(), SECRET.as_bytes())), Err(TokenRejected::Invalid), "typ {typ}");
    }
    let mut header = header_of(&codec);
    header.as_object_mut().expect("object").remove("typ");
    assert_eq!(codec.verify(&sign_hs256(&header, &payload(), SECRET.as_bytes())), Err(TokenRejected::Invalid), "no typ");
}

// --- time claims ----------------------------------------------------------------------------

#[test]
fn a_token_long_expired_still_verifies_as_genuine_and_is_never_expired_here() {
    let past = now().timestamp() - i64::try_from(CLOCK_SKEW).expect("small") - 10;
    let (codec, token) = hs256_token_with(|p| {
        p["exp"] = json!(past);
        p["iat"] = json!(past - 900);
    });
    assert_ne!(codec.verify(&token), Err(TokenRejected::Expired));
    assert_eq!(codec.verify(&token).map(|c| c.expires_at.timestamp()), Ok(past));
}

#[test]
fn an_expired_token_with_a_bad_signature_is_invalid_not_expired() {
    let codec = codec(hs256(SECRET));
    let mut body = payload();
    body["exp"] = json!(1_000_000);
    let forged = sign_hs256(&header_of(&codec), &body, b"not-our-secret");
    assert_eq!(codec.verify(&forged), Err(TokenRejected::Invalid));
}

#[test]
fn time_claims_of_the_wrong_type_are_refused() {
    let soon = now().timestamp() + 900;
    let cases: Vec<(&str, Value)> = vec![
        ("exp", json!(soon.to_string())),
        ("exp", json!(null)),
        ("exp", json!(-5)),
        ("exp", json!(1e300)),
        ("exp", json!(u64::MAX)),
        ("iat", json!("0")),
        ("nbf", json!("0")),
    ];
    for (claim, value) in cases {
        let (codec, token) = hs256_token_with(|p| p[claim] = value.clone());
        assert_eq!(codec.verify(&token), Err(TokenRejected::Invalid), "{claim} = {value}");
    }
}

#[test]
fn a_token_not_yet_valid_is_refused() {
    let (codec, token) = hs256_token_with(|p| p["nbf"] = json!(now().timestamp() + 3600));
    assert_eq!(codec.verify(&token), Err(TokenRejected::Invalid));
    let (codec, token) = hs256_token_with(|p| p["nbf"] = json!(now().timestamp() - 10));
    assert!(codec.verify(&token).is_ok(), "nbf in the past");
}

#[test]
fn a_token_issued_in_the_future_is_refused() {
    let (codec, token) = hs256_token_with(|p| p["iat"] = json!(now().timestamp() + 3600));
    assert_eq!(codec.verify(&token), Err(TokenRejected::Invalid));
}

// --- required and checked claims --------------------------------------------------------------

#[test]
fn every_required_claim_must_be_present() {
    for claim in ["exp", "iat", "sub", "iss", "aud", "sid", "jti", "role"] {
        let (codec, token) = hs256_token_with(remove(claim));
        assert_eq!(codec.verify(&token), Err(TokenRejected::Invalid), "without {claim}");
    }
}

#[test]
fn a_wrong_issuer_or_audience_is_refused() {
    let cases: Vec<(&str, Value)> = vec![
        ("iss", json!("evil")),
        ("iss", json!("Gatehouse")),
        ("iss", json!(["evil"])),
        ("aud", json!("other-service")),
        ("aud", json!(["other-service"])),
        ("aud", json!([])),
        ("aud", json!(null)),
    ];
    for (claim, value) in cases {
        let (codec, token) = hs256_token_with(|p| p[claim] = value.clone());
        assert_eq!(codec.verify(&token), Err(TokenRejected::Invalid), "{claim} = {value}");
    }
}

#[test]
fn malformed_subject_session_role_or_token_id_are_refused() {
    let cases: Vec<(&str, Value)> =
        vec![("sub", json!("not-a-uuid")), ("sub", json!(42)), ("sid", json!("")), ("role", json!("root")), ("jti", json!("x"))];
    for (claim, value) in cases {
        let (codec, token) = hs256_token_with(|p| p[claim] = value.clone());
        assert_eq!(codec.verify(&token), Err(TokenRejected::Invalid), "{claim} = {value}");
    }
}

// --- JWKS -----------------------------------------------------------------------------------------

#[test]
fn the_jwks_is_empty_under_hs256() {
    assert_eq!(codec(hs256(SECRET)).jwks(), json!({"keys": []}));
}

#[test]
fn the_jwks_publishes_an_ed25519_key_as_okp() {
    let codec = codec(eddsa(&ed25519(1)));
    let jwks = codec.jwks();
    let keys = jwks["keys"].as_array().expect("keys array");
    assert_eq!(keys.len(), 1);
    let jwk = &keys[0];
    assert_eq!((&jwk["kty"], &jwk["crv"], &jwk["alg"], &jwk["use"]), (&json!("OKP"), &json!("Ed25519"), &json!("EdDSA"), &json!("sig")));
    assert_eq!(jwk["kid"], codec.current_kid());
    assert_eq!(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().expect("x")).expect("base64url").len(), 32);
    assert!(jwk.get("d").is_none() && jwk.get("y").is_none(), "public members only: {jwk}");
}

#[test]
fn the_jwks_publishes_a_p256_key_as_ec() {
    let codec = codec(es256(&p256(1)));
    let jwk = &codec.jwks()["keys"][0];
    assert_eq!((&jwk["kty"], &jwk["crv"], &jwk["alg"], &jwk["use"]), (&json!("EC"), &json!("P-256"), &json!("ES256"), &json!("sig")));
    assert_eq!(jwk["kid"], codec.current_kid());
    for coordinate in ["x", "y"] {
        assert_eq!(URL_SAFE_NO_PAD.decode(jwk[coordinate].as_str().expect("coordinate")).expect("base64url").len(), 32);
    }
    assert!(jwk.get("d").is_none(), "public members only: {jwk}");
}

#[test]
fn the_jwks_lists_current_and_previous_public_keys_but_never_a_secret() {
    let codec = JwtCodec::new(config(
        key_with_kid("new", eddsa(&ed25519(1))),
        vec![key_with_kid("old-ec", es256_public(&p256(1))), key_with_kid("old-hs", hs256(SECRET))],
    ))
    .expect("codec");
    let jwks = codec.jwks();
    let kids: Vec<&str> = jwks["keys"].as_array().expect("keys").iter().map(|k| k["kid"].as_str().expect("kid")).collect();
    assert_eq!(kids, ["new", "old-ec"]);
    assert!(!jwks.to_string().contains(SECRET));
}

#[test]
fn another_service_can_verify_our_tokens_with_the_jwks_alone() {
    for spec in [eddsa(&ed25519(3)), es256(&p256(3))] {
        let codec = codec(spec);
        let token = codec.issue(&claims()).expect("issue");
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(codec.jwks()).expect("a JWK set");
        let jwk = set.find(codec.current_kid()).expect("our kid is published");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("usable JWK");
        let alg: jsonwebtoken::Algorithm = codec.current_algorithm().parse().expect("algorithm");
        let mut validation = jsonwebtoken::Validation::new(alg);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        assert!(jsonwebtoken::decode::<Value>(token.expose(), &key, &validation).is_ok(), "{alg:?}");
    }
}

#[test]
fn a_derived_kid_is_the_rfc7638_thumbprint_of_the_public_key() {
    for spec in [eddsa(&ed25519(4)), es256(&p256(4))] {
        let codec = codec(spec);
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(codec.jwks()).expect("a JWK set");
        let thumbprint = set.keys[0].thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256).expect("thumbprint");
        assert_eq!(codec.current_kid(), thumbprint);
    }
}

#[test]
fn a_derived_hs256_kid_is_stable_and_differs_per_secret() {
    let a = codec(hs256(SECRET));
    let b = codec(hs256(SECRET));
    let c = codec(hs256("a-different-secret-that-is-long-enough"));
    assert_eq!(a.current_kid(), b.current_kid());
    assert_ne!(a.current_kid(), c.current_kid());
    assert!(!SECRET.contains(a.current_kid()));
    let explicit = JwtCodec::new(config(key_with_kid("2026-01", hs256(SECRET)), vec![])).expect("codec");
    assert_eq!(explicit.current_kid(), "2026-01");
}
