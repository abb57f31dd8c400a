//! Personal access tokens: 32 base62 characters drawn uniformly from the OS random source
//! (about 190 bits), the domain's prefix and checksum around them, stored only as SHA-256.

use crate::refresh::sha256_hex;
use domain::{PatDigest, PatIssuer, PatText};
use rand::TryRngCore;
use rand::rngs::OsRng;

/// The production [`PatIssuer`]. The digest is a plain SHA-256: the token's randomness makes a
/// slow or keyed hash needless, and a plain one keeps the look-up on every request cheap.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomPats;

impl PatIssuer for RandomPats {
    /// # Panics
    /// Only if the operating system's random source fails, when no safe token can be made at
    /// all (the port has no error to report it with).
    fn generate(&self) -> PatText {
        let random = random_base62(PatText::RANDOM_CHARS);
        PatText::from_random(&random).expect("32 base62 characters make a token")
    }

    fn digest(&self, token: &PatText) -> PatDigest {
        PatDigest::new(sha256_hex(token.expose()))
    }
}

/// `len` characters of base62, each uniform: random bytes of 248 or more (4 × 62) are drawn
/// again rather than folded, which would favour the first eight digits.
fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut bytes = [0u8; 64];
    while out.len() < len {
        OsRng.try_fill_bytes(&mut bytes).expect("the OS random source failed");
        for byte in bytes.iter().filter(|b| **b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(PatText::BASE62[usize::from(*byte % 62)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_are_distinct_and_digest_to_their_sha256() {
        let a = RandomPats.generate();
        let b = RandomPats.generate();
        assert_ne!(a.expose(), b.expose());
        assert!(PatText::parse(a.expose()).is_ok());
        // SHA-256 of "abc", FIPS 180-2's example.
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(RandomPats.digest(&a).as_str(), sha256_hex(a.expose()));
    }

    #[test]
    fn every_base62_digit_turns_up() {
        let drawn = random_base62(4_000);
        assert!(PatText::BASE62.iter().all(|digit| drawn.as_bytes().contains(digit)));
    }
}
