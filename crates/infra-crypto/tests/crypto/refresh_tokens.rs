//! `RandomRefreshTokens`: size, alphabet, uniqueness and a stable SHA-256 digest.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{RefreshTokenDigest, RefreshTokenIssuer};
use infra_crypto::{REFRESH_TOKEN_BYTES, REFRESH_TOKEN_CHARS, REFRESH_TOKEN_PREFIX, RandomRefreshTokens};
use std::collections::HashSet;

#[test]
fn a_token_is_256_bits_of_url_safe_base64_without_padding() {
    for _ in 0..100 {
        let token = RandomRefreshTokens.generate();
        let text = token.expose().strip_prefix(REFRESH_TOKEN_PREFIX).expect("every token says what it is");
        assert_eq!(text.len(), REFRESH_TOKEN_CHARS);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{text}");
        // 32 bytes is the 256 bits the contract asks for, whatever the constant says.
        assert_eq!(URL_SAFE_NO_PAD.decode(text).expect("base64url").len(), 32);
    }
    assert_eq!(REFRESH_TOKEN_BYTES, 32);
}

#[test]
fn tokens_do_not_repeat() {
    let tokens: HashSet<String> = (0..10_000).map(|_| RandomRefreshTokens.generate().expose().to_owned()).collect();
    assert_eq!(tokens.len(), 10_000);
}

#[test]
fn tokens_use_the_whole_alphabet() {
    // 10,000 tokens draw 430,000 characters: a generator stuck on part of the alphabet shows.
    let seen: HashSet<u8> = (0..10_000)
        .flat_map(|_| RandomRefreshTokens.generate().expose()[REFRESH_TOKEN_PREFIX.len()..].bytes().collect::<Vec<_>>())
        .collect();
    assert_eq!(seen.len(), 64);
}

#[test]
fn the_digest_is_the_sha256_hex_of_the_token_and_stable() {
    let issuer = RandomRefreshTokens;
    assert_eq!(issuer.digest("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let token = issuer.generate();
    let digest = issuer.digest(token.expose());
    assert_eq!(digest, issuer.digest(token.expose()));
    assert_eq!(digest.as_str().len(), 64);
    assert!(digest.as_str().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert!(!digest.as_str().contains(token.expose()));
    assert_ne!(digest, issuer.digest(issuer.generate().expose()));
}

#[test]
fn digests_compare_by_value() {
    let issuer = RandomRefreshTokens;
    let a = issuer.digest("token-a");
    assert!(RandomRefreshTokens::digests_match(&a, &issuer.digest("token-a")));
    assert!(!RandomRefreshTokens::digests_match(&a, &issuer.digest("token-b")));
    assert!(!RandomRefreshTokens::digests_match(&a, &RefreshTokenDigest::new(String::new())));
}

#[test]
fn only_tokens_of_its_own_shape_are_recognised() {
    let issuer = RandomRefreshTokens;
    let token = issuer.generate();
    assert!(issuer.recognises(token.expose()));
    let legacy = &token.expose()[REFRESH_TOKEN_PREFIX.len()..];
    assert!(issuer.recognises(legacy), "a token issued before the prefix still rotates");
    for other in [
        "",
        "abc",
        REFRESH_TOKEN_PREFIX,
        &format!("{REFRESH_TOKEN_PREFIX}{legacy}x"),
        &format!("{REFRESH_TOKEN_PREFIX}{}", &legacy[1..]),
        &format!("{REFRESH_TOKEN_PREFIX}{}+", &legacy[1..]),
        &format!("other_rt_{legacy}"),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
    ] {
        assert!(!issuer.recognises(other), "{other:?}");
    }
}

#[test]
fn a_successor_mask_opens_only_with_the_token_it_replaced() {
    let issuer = RandomRefreshTokens;
    let (presented, successor, other) = (issuer.generate(), issuer.generate(), issuer.generate());
    let mask = issuer.mask_successor(presented.expose(), &successor);
    assert_eq!(issuer.unmask_successor(presented.expose(), &mask).unwrap().expose(), successor.expose());
    let wrong = issuer.unmask_successor(other.expose(), &mask).unwrap();
    assert_ne!(wrong.expose(), successor.expose(), "another token reads something else out of it");
    // What is stored says nothing of the successor: not its text, not its random part.
    let random = successor.expose().strip_prefix(REFRESH_TOKEN_PREFIX).unwrap();
    assert!(!mask.as_str().contains(random) && mask.as_str() != issuer.digest(successor.expose()).as_str());
    assert_ne!(issuer.mask_successor(other.expose(), &successor), mask, "the key depends on the replaced token");
    assert!(issuer.unmask_successor(presented.expose(), &domain::SuccessorMask::new("not base64!".into())).is_none());
    assert!(issuer.unmask_successor(presented.expose(), &domain::SuccessorMask::new(URL_SAFE_NO_PAD.encode([1u8; 16]))).is_none());
}
