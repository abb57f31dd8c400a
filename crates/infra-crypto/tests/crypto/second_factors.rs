//! The second-factor adapters: TOTP codes checked against RFC 6238's own test vectors, sealing
//! that only opens for its account and key, keyed recovery-code digests that survive a key
//! rotation, `mfa_token`s, and zxcvbn's verdicts.

use domain::{
    MfaTokenIssuer, OtpGenerator, PasswordStrength, RecoveryCode, RecoveryCodeIssuer, SecretSealer, TotpRules, TotpSecret, UserId,
};
use infra_crypto::{EncryptionKeys, KeyedRecoveryCodes, MFA_TOKEN_PREFIX, RandomMfaTokens, SealedSecrets, Totp, Zxcvbn};
use uuid::Uuid;

fn keys(current: u8, previous: &[u8]) -> EncryptionKeys {
    let previous: Vec<Vec<u8>> = previous.iter().map(|b| vec![*b; 32]).collect();
    EncryptionKeys::new(&[current; 32], &previous).expect("32-byte keys")
}

fn user(n: u128) -> UserId {
    UserId::from_uuid(Uuid::from_u128(n))
}

/// RFC 6238 appendix B: the SHA-1 seed, times and 8-digit codes; a 6-digit code is the last six
/// digits (the truncation is modulo 10^digits).
#[test]
fn totp_codes_are_rfc_6238s_test_vectors() {
    let seed = TotpSecret::new(b"12345678901234567890".to_vec());
    let totp = Totp::new("Gatehouse");
    for (time, eight_digits) in [
        (59_i64, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(totp.code(&seed, time / TotpRules::PERIOD_SECS), eight_digits[2..], "T = {time}");
    }
}

#[test]
fn a_new_secret_is_160_random_bits_and_the_uri_carries_it_in_base32() {
    let totp = Totp::new("Gate house & Co");
    let (one, two) = (totp.new_secret(), totp.new_secret());
    assert_eq!(one.expose().len(), 20);
    assert_ne!(one.expose(), two.expose());

    // RFC 4648's base32 of the RFC 6238 seed, computed independently of our code.
    let seed = TotpSecret::new(b"12345678901234567890".to_vec());
    let (base32, uri, svg) = totp.enrolment(&seed, "ada+1@example.com");
    assert_eq!(base32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_eq!(
        uri,
        "otpauth://totp/Gate%20house%20%26%20Co:ada%2B1%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
         &issuer=Gate%20house%20%26%20Co&algorithm=SHA1&digits=6&period=30"
    );
    assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("</svg>"), "an SVG image");
}

#[test]
fn a_sealed_secret_opens_only_for_its_account_and_never_shows_in_the_clear() {
    let sealer = SealedSecrets::new(keys(1, &[]));
    let secret = b"12345678901234567890";
    let sealed = sealer.seal(secret, user(1).as_uuid().as_bytes()).unwrap();
    assert!(!sealed.ciphertext.contains("MTIzNDU2Nzg5MDEyMzQ1Njc4OTA") && !sealed.ciphertext.contains("12345678901234567890"));
    assert_eq!(sealer.open(&sealed, user(1).as_uuid().as_bytes()).unwrap(), secret);
    assert!(sealer.open(&sealed, user(2).as_uuid().as_bytes()).is_err(), "copied to another account's row it does not open");
    let again = sealer.seal(secret, user(1).as_uuid().as_bytes()).unwrap();
    assert_ne!(again.ciphertext, sealed.ciphertext, "a fresh nonce each time");

    let mut tampered = sealed.clone();
    let mut bytes: Vec<char> = tampered.ciphertext.chars().collect();
    let last = bytes.len() - 5;
    bytes[last] = if bytes[last] == 'A' { 'B' } else { 'A' };
    tampered.ciphertext = bytes.into_iter().collect();
    assert!(sealer.open(&tampered, user(1).as_uuid().as_bytes()).is_err(), "a changed byte fails the tag");
    let mut short = sealed.clone();
    short.ciphertext.truncate(8);
    assert!(sealer.open(&short, user(1).as_uuid().as_bytes()).is_err());
}

#[test]
fn after_a_key_rotation_old_secrets_open_and_new_ones_use_the_new_key() {
    let context = user(7).as_uuid().as_bytes().to_vec();
    let before = SealedSecrets::new(keys(1, &[])).seal(b"secret", &context).unwrap();
    let rotated = SealedSecrets::new(keys(2, &[1]));
    assert_eq!(rotated.open(&before, &context).unwrap(), b"secret");
    let after = rotated.seal(b"secret", &context).unwrap();
    assert_ne!(after.key_id, before.key_id);
    assert!(SealedSecrets::new(keys(1, &[])).open(&after, &context).is_err(), "the retired key cannot open the new one");
    assert!(SealedSecrets::new(keys(3, &[])).open(&before, &context).is_err(), "a key dropped from the list opens nothing");
}

#[test]
fn keys_must_be_32_bytes_and_their_ids_say_nothing_of_them() {
    assert!(EncryptionKeys::new(&[0; 16], &[]).is_err());
    assert!(EncryptionKeys::new(&[0; 32], &[vec![0; 31]]).is_err());
    let keys = keys(9, &[]);
    assert_eq!(keys.current_id().len(), 16);
    assert!(!format!("{keys:?}").contains("9, 9"), "Debug shows ids only");
}

#[test]
fn recovery_codes_are_50_bits_of_crockford_base32_stored_keyed_per_account() {
    let issuer = KeyedRecoveryCodes::new(keys(1, &[]));
    let codes: Vec<RecoveryCode> = (0..50).map(|_| issuer.generate()).collect();
    for code in &codes {
        assert_eq!(code.expose().len(), 10);
        assert!(code.expose().bytes().all(|b| RecoveryCode::ALPHABET.contains(&b)));
        assert_eq!(RecoveryCode::parse(&code.display()).unwrap(), *code, "the shown form reads back");
    }
    assert_eq!(codes.iter().map(RecoveryCode::expose).collect::<std::collections::HashSet<_>>().len(), 50, "no repeats");

    let code = &codes[0];
    let digest = issuer.digest(user(1), code);
    assert!(!digest.as_str().to_ascii_uppercase().contains(code.expose()));
    assert_ne!(digest, issuer.digest(user(2), code), "another account's digest differs");
    assert_ne!(digest, KeyedRecoveryCodes::new(keys(2, &[])).digest(user(1), code), "another key's differs");
    assert!(KeyedRecoveryCodes::new(keys(2, &[1])).candidates(user(1), code).contains(&digest), "found after a rotation");
}

#[test]
fn mfa_tokens_are_recognised_by_their_prefix_and_stored_as_sha256() {
    use sha2::{Digest, Sha256};
    let tokens = RandomMfaTokens;
    let token = tokens.generate();
    assert!(token.expose().starts_with(MFA_TOKEN_PREFIX));
    assert!(tokens.recognises(token.expose()));
    assert!(!tokens.recognises("gatehouse_rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert!(!tokens.recognises(&format!("{MFA_TOKEN_PREFIX}short")));
    let hex: String = Sha256::digest(token.expose().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert!(tokens.digest(token.expose()).as_str().contains(&hex));
}

#[test]
fn zxcvbn_knows_common_passwords_and_weighs_the_rest() {
    let strength = Zxcvbn;
    // Every word of zxcvbn's own `passwords` dictionary that it ranks among its first 30,000 is
    // common to us too: its matcher, not our list, finds these.
    for word in ["dragon", "trustno1", "sunshine", "letmein", "monkey"] {
        let ranked = zxcvbn::zxcvbn(word, &[]).sequence().iter().any(|m| {
            matches!(&m.pattern, zxcvbn::matching::patterns::MatchPattern::Dictionary(d)
                if format!("{:?}", d.dictionary_name) == "Passwords" && d.rank <= 30_000 && m.i == 0 && m.j + 1 == word.len())
        });
        assert!(ranked && strength.is_common(word), "{word}");
    }
    for common in ["password", "123456", "qwerty", "iloveyou", "Password"] {
        assert!(strength.is_common(common), "{common}");
    }
    for not_common in ["correct horse battery staple", "p4ssw0rd!x", "vN3-kqT8-zzW1", "123456 ", " password"] {
        assert!(!strength.is_common(not_common), "{not_common}");
    }
    assert!(strength.score("correct horse battery staple", &[]) >= 3);
    assert!(strength.score("aaaaaaaaaa", &[]) <= 1);
    assert!(
        strength.score("adalovelace1815", &["ada", "lovelace", "ada.lovelace@example.com"]) < strength.score("adalovelace1815", &[]),
        "the account's own words count for little"
    );
}
