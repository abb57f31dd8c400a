//! Opaque refresh tokens: a fixed prefix and 256 bits from the OS random source, stored only
//! as SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{RefreshToken, RefreshTokenDigest, RefreshTokenIssuer, SuccessorMask};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes in a refresh token (256 bits).
pub const REFRESH_TOKEN_BYTES: usize = 32;

/// Characters of a refresh token's random part: base64url of [`REFRESH_TOKEN_BYTES`], no
/// padding.
pub const REFRESH_TOKEN_CHARS: usize = 43;

/// What every refresh token starts with: it says what the token is, so anything else is refused
/// before a hash or a lookup, and a leaked token is findable by secret scanners (as crates.io's
/// `cio` tokens are).
pub const REFRESH_TOKEN_PREFIX: &str = "gatehouse_rt_";

/// The production [`RefreshTokenIssuer`]: tokens are [`REFRESH_TOKEN_PREFIX`] and
/// [`REFRESH_TOKEN_BYTES`] bytes read straight from the operating system's CSPRNG, encoded as
/// URL-safe base64 without padding; the stored digest is the lowercase hex SHA-256 of the
/// token's text. Tokens issued before the prefix (the bare 43 characters) are still recognised,
/// so sessions opened before an upgrade keep working until they rotate.
///
/// The token is not a JWT, so it can never pass as an access token, and a database reader
/// holding only digests cannot replay one.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomRefreshTokens;

impl RandomRefreshTokens {
    /// Compares two digests in constant time, for any caller that holds one from elsewhere.
    pub fn digests_match(a: &RefreshTokenDigest, b: &RefreshTokenDigest) -> bool {
        a.as_str().as_bytes().ct_eq(b.as_str().as_bytes()).into()
    }
}

impl RefreshTokenIssuer for RandomRefreshTokens {
    /// # Panics
    /// Only if the operating system's random source fails, when no safe token can be made
    /// at all (the port has no error to report it with).
    fn generate(&self) -> RefreshToken {
        RefreshToken::new(format!("{REFRESH_TOKEN_PREFIX}{}", random_part()))
    }

    fn recognises(&self, token: &str) -> bool {
        is_random_part(token.strip_prefix(REFRESH_TOKEN_PREFIX).unwrap_or(token))
    }

    fn digest(&self, token: &str) -> RefreshTokenDigest {
        RefreshTokenDigest::new(sha256_hex(token))
    }

    /// The successor's 32 random bytes XOR a key of 32 bytes derived from the presented token
    /// (SHA-256 under a label of its own, so it is never the stored digest): a one-time pad,
    /// since every token masks exactly one successor. Storage, holding only digests and masks,
    /// cannot open it; the presented token, which is never stored, can.
    fn mask_successor(&self, presented: &str, successor: &RefreshToken) -> SuccessorMask {
        let random = successor.expose().strip_prefix(REFRESH_TOKEN_PREFIX).unwrap_or(successor.expose());
        let mut bytes = URL_SAFE_NO_PAD.decode(random).unwrap_or_default();
        xor_with_key(&mut bytes, presented);
        SuccessorMask::new(URL_SAFE_NO_PAD.encode(bytes))
    }

    fn unmask_successor(&self, presented: &str, mask: &SuccessorMask) -> Option<RefreshToken> {
        let mut bytes = URL_SAFE_NO_PAD.decode(mask.as_str()).ok().filter(|b| b.len() == REFRESH_TOKEN_BYTES)?;
        xor_with_key(&mut bytes, presented);
        Some(RefreshToken::new(format!("{REFRESH_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }
}

/// [`REFRESH_TOKEN_BYTES`] bytes from the OS random source, base64url without padding: the
/// random part of every opaque token.
///
/// # Panics
/// Only if the operating system's random source fails.
pub(crate) fn random_part() -> String {
    let mut bytes = [0u8; REFRESH_TOKEN_BYTES];
    OsRng.try_fill_bytes(&mut bytes).expect("the OS random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `random` has the length and alphabet [`random_part`] gives.
pub(crate) fn is_random_part(random: &str) -> bool {
    random.len() == REFRESH_TOKEN_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The lowercase hex SHA-256 of `token`'s text: how opaque tokens are stored.
pub(crate) fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// XORs `bytes` with the mask key `presented` yields.
fn xor_with_key(bytes: &mut [u8], presented: &str) {
    let key = Sha256::new().chain_update(b"gatehouse refresh successor mask v1\0").chain_update(presented.as_bytes()).finalize();
    for (byte, k) in bytes.iter_mut().zip(key.iter()) {
        *byte ^= k;
    }
}
