//! Configurations the codec and the hasher refuse at start-up, and what they print.

use crate::support::*;
use infra_crypto::{
    CryptoConfigError, HashAlgorithm, Hasher, HasherConfig, JwtCodec, JwtConfig, KeyConfig, KeySpec, hs256_secret_is_strong,
};

fn error_of(config: JwtConfig) -> CryptoConfigError {
    JwtCodec::new(config).expect_err("configuration must be refused")
}

#[test]
fn the_current_key_must_be_able_to_sign() {
    let err = error_of(config(key(eddsa_public(&ed25519(1))), vec![]));
    assert!(matches!(err, CryptoConfigError::MissingPrivateKey { .. }), "{err:?}");
    let err = error_of(config(key(es256_public(&p256(1))), vec![]));
    assert!(matches!(err, CryptoConfigError::MissingPrivateKey { .. }), "{err:?}");
}

#[test]
fn a_private_key_must_match_its_public_key() {
    let (a, b) = (ed25519(1), ed25519(2));
    let spec = KeySpec::EdDsa { private_pem: Some(a.private_pem.clone()), public_pem: b.public_pem.clone() };
    assert!(matches!(error_of(config(key(spec), vec![])), CryptoConfigError::KeyMismatch { .. }));
    let (a, b) = (p256(1), p256(2));
    let spec = KeySpec::Es256 { private_pem: Some(a.private_pem.clone()), public_pem: b.public_pem.clone() };
    let err = error_of(config(key(eddsa(&ed25519(1))), vec![key(spec)]));
    assert!(matches!(&err, CryptoConfigError::KeyMismatch { key } if key == "previous key #1"), "{err:?}");
}

#[test]
fn a_key_of_another_algorithm_or_garbage_is_refused() {
    let (ed, ec) = (ed25519(1), p256(1));
    let ec_as_ed = KeySpec::EdDsa { private_pem: None, public_pem: ec.public_pem.clone() };
    let ed_as_ec = KeySpec::Es256 { private_pem: None, public_pem: ed.public_pem.clone() };
    let garbage = KeySpec::EdDsa { private_pem: None, public_pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into() };
    let empty = KeySpec::Es256 { private_pem: None, public_pem: String::new() };
    for spec in [ec_as_ed, ed_as_ec, garbage, empty] {
        let err = error_of(config(key(eddsa(&ed)), vec![key(spec)]));
        assert!(matches!(err, CryptoConfigError::InvalidPublicKey { .. }), "{err:?}");
    }
    // A public key where the private one belongs, and a private key of the other curve.
    for private in [ed.public_pem.clone(), ec.private_pem.clone()] {
        let spec = KeySpec::EdDsa { private_pem: Some(private), public_pem: ed.public_pem.clone() };
        let err = error_of(config(key(spec), vec![]));
        assert!(matches!(err, CryptoConfigError::InvalidPrivateKey { .. }), "{err:?}");
    }
}

#[test]
fn bad_kids_secrets_and_settings_are_refused() {
    for kid in ["", "has space", "tab\there", "ключ", &"k".repeat(129)] {
        let err = error_of(config(key_with_kid(kid, hs256(SECRET)), vec![]));
        assert!(matches!(err, CryptoConfigError::InvalidKid { .. }), "{kid:?}: {err:?}");
    }
    assert!(JwtCodec::new(config(key_with_kid(&"k".repeat(128), hs256(SECRET)), vec![])).is_ok());

    let err = error_of(config(key(hs256("")), vec![]));
    assert!(matches!(err, CryptoConfigError::EmptySecret { .. }), "{err:?}");

    let err = error_of(config(key_with_kid("same", hs256(SECRET)), vec![key_with_kid("same", eddsa_public(&ed25519(1)))]));
    assert!(matches!(&err, CryptoConfigError::DuplicateKid { kid } if kid == "same"), "{err:?}");
    // The same secret twice derives the same kid: also a duplicate.
    let err = error_of(config(key(hs256(SECRET)), vec![key(hs256(SECRET))]));
    assert!(matches!(err, CryptoConfigError::DuplicateKid { .. }), "{err:?}");

    let mut too_lenient = config(key(hs256(SECRET)), vec![]);
    too_lenient.clock_skew_secs = 301;
    assert!(matches!(error_of(too_lenient), CryptoConfigError::ClockSkew { secs: 301, .. }));
    let mut no_issuer = config(key(hs256(SECRET)), vec![]);
    no_issuer.issuer.clear();
    assert!(matches!(error_of(no_issuer), CryptoConfigError::EmptyClaim { claim: "issuer" }));
    let mut no_audience = config(key(hs256(SECRET)), vec![]);
    no_audience.audience.clear();
    assert!(matches!(error_of(no_audience), CryptoConfigError::EmptyClaim { claim: "audience" }));
}

#[test]
fn errors_and_debug_output_never_show_secrets_or_private_keys() {
    let ed = ed25519(1);
    let private_body = ed.private_pem.lines().nth(1).expect("PEM body line").to_owned();
    let mismatched = KeySpec::EdDsa { private_pem: Some(ed.private_pem.clone()), public_pem: ed25519(2).public_pem };
    let errors = [
        error_of(config(key(mismatched), vec![])),
        error_of(config(key(hs256("")), vec![])),
        error_of(config(key_with_kid("bad kid", hs256(SECRET)), vec![])),
    ];
    for err in &errors {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(&private_body) && !shown.contains(SECRET), "{shown}");
    }

    let full = config(KeyConfig { kid: None, spec: eddsa(&ed) }, vec![key(hs256(SECRET))]);
    let shown = format!("{full:?}");
    assert!(!shown.contains(&private_body) && !shown.contains(SECRET), "{shown}");
    let codec = JwtCodec::new(full).expect("codec");
    let shown = format!("{codec:?}");
    assert!(!shown.contains(&private_body) && !shown.contains(SECRET) && shown.contains(codec.current_kid()), "{shown}");
}

#[test]
fn the_secret_strength_check_wants_32_bytes() {
    assert!(!hs256_secret_is_strong(&"s".repeat(31)));
    assert!(hs256_secret_is_strong(&"s".repeat(32)));
    // Bytes, not characters: 16 two-byte characters are enough.
    assert!(hs256_secret_is_strong(&"é".repeat(16)));
}

#[test]
fn the_hasher_refuses_a_bcrypt_cost_outside_4_to_31() {
    for cost in [0, 3, 32] {
        let err = Hasher::new(HasherConfig { algorithm: HashAlgorithm::Argon2id, bcrypt_cost: cost }).expect_err("refused");
        assert_eq!(err, CryptoConfigError::BcryptCost { cost });
    }
    assert!(Hasher::new(HasherConfig { algorithm: HashAlgorithm::Bcrypt, bcrypt_cost: 4 }).is_ok());
    assert_eq!(HasherConfig::default(), HasherConfig { algorithm: HashAlgorithm::Bcrypt, bcrypt_cost: 12 });
}
