//! `Hasher`: limits without truncation, both formats, rehash detection, malformed hashes.

use domain::{CandidatePassword, Password, PasswordHash, PasswordHasher};
use infra_crypto::{ARGON2_MAX_PASSWORD_BYTES, HashAlgorithm, Hasher, HasherConfig};
use std::sync::OnceLock;

fn bcrypt(cost: u32) -> Hasher {
    Hasher::new(HasherConfig { algorithm: HashAlgorithm::Bcrypt, bcrypt_cost: cost }).expect("valid cost")
}

fn argon2id() -> Hasher {
    Hasher::new(HasherConfig { algorithm: HashAlgorithm::Argon2id, bcrypt_cost: 4 }).expect("valid config")
}

fn hash(hasher: &Hasher, raw: &str) -> PasswordHash {
    let password = Password::new(raw, hasher.max_password_bytes()).expect("meets the policy");
    hasher.hash(&password).expect("hashes")
}

fn verify(hasher: &Hasher, candidate: &str, hash: &PasswordHash) -> bool {
    hasher.verify(&CandidatePassword::new(candidate), hash).expect("well-formed hash")
}

/// One argon2id hash of "correct horse battery", shared: argon2id takes ~19 MiB per hash.
fn argon2_hash() -> &'static PasswordHash {
    static HASH: OnceLock<PasswordHash> = OnceLock::new();
    HASH.get_or_init(|| hash(&argon2id(), "correct horse battery"))
}

#[test]
fn bcrypt_hashes_verify_the_password_and_nothing_else() {
    let hasher = bcrypt(4);
    let stored = hash(&hasher, "correct horse battery");
    assert!(stored.as_str().starts_with("$2b$04$"), "bcrypt at the configured cost");
    assert!(verify(&hasher, "correct horse battery", &stored));
    for wrong in ["correct horse batter", "Correct horse battery", "correct horse battery ", ""] {
        assert!(!verify(&hasher, wrong, &stored), "{wrong:?}");
    }
}

#[test]
fn each_hash_gets_its_own_salt() {
    for hasher in [bcrypt(4), argon2id()] {
        assert_ne!(hash(&hasher, "same password"), hash(&hasher, "same password"));
    }
}

#[test]
fn bcrypt_takes_71_and_72_bytes_exactly_and_refuses_73() {
    let hasher = bcrypt(4);
    assert_eq!(hasher.max_password_bytes(), 72);
    for len in [71, 72] {
        let password = "p".repeat(len);
        let stored = hash(&hasher, &password);
        assert!(verify(&hasher, &password, &stored), "{len} bytes");
        assert!(!verify(&hasher, &"p".repeat(len - 1), &stored), "{len} bytes minus one");
    }
    // The policy refuses 73 bytes; a password built under a looser limit still never gets
    // truncated by the hasher.
    let long = Password::new(&"p".repeat(73), 100).expect("looser policy");
    assert!(hasher.hash(&long).is_err());
}

#[test]
fn a_candidate_over_72_bytes_fails_even_when_its_first_72_match() {
    let hasher = bcrypt(4);
    let password = "p".repeat(72);
    let stored = hash(&hasher, &password);
    assert!(!verify(&hasher, &format!("{password}x"), &stored), "73 bytes");
    assert!(!verify(&hasher, &format!("{password}{}", "x".repeat(1000)), &stored), "1072 bytes");
}

#[test]
fn multi_byte_passwords_count_bytes_not_characters() {
    let hasher = bcrypt(4);
    // 36 two-byte characters are 72 bytes: accepted, exactly.
    let password = "é".repeat(36);
    let stored = hash(&hasher, &password);
    assert!(verify(&hasher, &password, &stored));
    assert!(!verify(&hasher, &format!("{password}a"), &stored), "73 bytes whose first 72 match");
    assert!(!verify(&hasher, &"e\u{301}".repeat(24), &stored), "another normalisation is another password");
    // 18 four-byte characters are 72 bytes; one more character is 76.
    let emoji = "🔑".repeat(18);
    let stored = hash(&hasher, &emoji);
    assert!(verify(&hasher, &emoji, &stored));
    assert!(!verify(&hasher, &format!("{emoji}🔑"), &stored));
    assert!(Password::new(&format!("{emoji}🔑"), hasher.max_password_bytes()).is_err());
}

#[test]
fn argon2id_hashes_verify_and_take_long_passwords_up_to_its_limit() {
    let hasher = argon2id();
    assert_eq!(hasher.max_password_bytes(), ARGON2_MAX_PASSWORD_BYTES);
    let stored = argon2_hash();
    assert!(stored.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "OWASP parameters");
    assert!(verify(&hasher, "correct horse battery", stored));
    assert!(!verify(&hasher, "correct horse batter", stored));

    let long = "q".repeat(ARGON2_MAX_PASSWORD_BYTES);
    let stored = hash(&hasher, &long);
    assert!(verify(&hasher, &long, &stored));
    assert!(!verify(&hasher, &format!("{long}q"), &stored), "over the limit: false, not truncated");
}

#[test]
fn either_format_verifies_whatever_algorithm_is_configured() {
    let bcrypt_hasher = bcrypt(4);
    let bcrypt_hash = hash(&bcrypt_hasher, "correct horse battery");
    let argon2_hasher = argon2id();
    assert!(verify(&argon2_hasher, "correct horse battery", &bcrypt_hash), "argon2id hasher, bcrypt hash");
    assert!(!verify(&argon2_hasher, "wrong horse battery", &bcrypt_hash));
    assert!(verify(&bcrypt_hasher, "correct horse battery", argon2_hash()), "bcrypt hasher, argon2id hash");
    assert!(!verify(&bcrypt_hasher, "wrong horse battery", argon2_hash()));
    // Another cost verifies too: changing the cost locks nobody out.
    assert!(verify(&bcrypt(5), "correct horse battery", &bcrypt_hash));
}

#[test]
fn the_2a_and_2y_prefixes_verify_like_2b() {
    let hasher = bcrypt(4);
    let stored = hash(&hasher, "correct horse battery");
    for prefix in ["$2a$", "$2y$"] {
        let legacy = PasswordHash::new(stored.as_str().replacen("$2b$", prefix, 1));
        assert!(verify(&hasher, "correct horse battery", &legacy), "{prefix}");
        assert!(!hasher.needs_rehash(&legacy), "{prefix} at the configured cost");
    }
}

#[test]
fn a_rehash_is_needed_after_a_cost_or_algorithm_change_only() {
    let cost4 = hash(&bcrypt(4), "correct horse battery");
    assert!(!bcrypt(4).needs_rehash(&cost4));
    assert!(bcrypt(5).needs_rehash(&cost4), "higher cost configured");
    let cost5 = hash(&bcrypt(5), "correct horse battery");
    assert!(bcrypt(4).needs_rehash(&cost5), "another cost configured");

    assert!(argon2id().needs_rehash(&cost4), "bcrypt hash, argon2id configured");
    assert!(bcrypt(4).needs_rehash(argon2_hash()), "argon2id hash, bcrypt configured");
    assert!(!argon2id().needs_rehash(argon2_hash()));
}

#[test]
fn an_argon2id_hash_with_other_parameters_needs_a_rehash_but_verifies() {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let weaker =
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon2::Params::new(8192, 1, 1, None).expect("params"));
    let salt = SaltString::encode_b64(b"sixteen byte slt").expect("salt");
    let stored = PasswordHash::new(weaker.hash_password(b"correct horse battery", &salt).expect("hash").to_string());
    let hasher = argon2id();
    assert!(verify(&hasher, "correct horse battery", &stored));
    assert!(hasher.needs_rehash(&stored));
}

#[test]
fn a_malformed_stored_hash_is_an_error_not_a_panic() {
    let good = hash(&bcrypt(4), "correct horse battery");
    let body = &good.as_str()[7..];
    let malformed = [
        String::new(),
        "plain text password".into(),
        "$2b$".into(),
        "$2b$04$short".into(),
        format!("$2b$99${body}"),
        format!("$2b$xx${body}"),
        format!("$2x$04${body}"),
        format!("$2b$04${}", "é".repeat(26)),
        format!("$2b$04${}!", &body[..52]),
        format!("$2b$04${body}extra"),
        "$argon2id$".into(),
        "$argon2id$v=19$m=19456,t=2,p=1".into(),
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0".into(),
        "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".into(),
        "$argon2id$v=19$m=19456,t=4294967295,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".into(),
        "$argon2id$v=99$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".into(),
        "$argon2id$v=19$m=1,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".into(),
        "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".into(),
        "$argon2id$v=19$m=19456,t=2,p=1$!!!$???".into(),
        "fake$v1$0000000000000000".into(),
        "\0\0\0".into(),
    ];
    for hasher in [bcrypt(4), argon2id()] {
        for stored in &malformed {
            let stored = PasswordHash::new(stored.clone());
            for candidate in ["correct horse battery", &"x".repeat(2000)] {
                assert!(hasher.verify(&CandidatePassword::new(candidate), &stored).is_err(), "{:?}", stored.as_str());
            }
            assert!(hasher.needs_rehash(&stored), "{:?}", stored.as_str());
        }
    }
}

#[test]
fn an_error_names_no_hash_and_debug_shows_no_secret() {
    let hasher = bcrypt(4);
    let stored = PasswordHash::new("$2b$04$thisisnotavalidbcrypthashatallnopeXX".into());
    let err = hasher.verify(&CandidatePassword::new("hunter2hunter2"), &stored).expect_err("malformed");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("thisisnot") && !shown.contains("hunter2"), "{shown}");
    assert_eq!(format!("{hasher:?}"), "Hasher { algorithm: Bcrypt, bcrypt_cost: 4 }");
}
