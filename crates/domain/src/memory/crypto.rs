use super::fnv1a;
use crate::error::InfraError;
use crate::model::{
    AccessClaims, AccessToken, CandidatePassword, LinkDigest, LinkToken, Password, PasswordHash, RefreshToken, RefreshTokenDigest,
    SessionId, SuccessorMask, Timestamp, UserId,
};
use crate::ports::{AccessTokenCodec, LinkTokenIssuer, PasswordHasher, RefreshTokenIssuer, TokenRejected};
use chrono::DateTime;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use uuid::Uuid;

/// A fast stand-in for bcrypt: `fake$v<version>$<fnv>`. It counts its calls, refuses
/// candidates over its byte limit like the real one, and can change version so tests can see
/// a login upgrade an old hash.
#[derive(Debug)]
pub struct FakeHasher {
    max_bytes: usize,
    version: AtomicU32,
    hashes: AtomicUsize,
    verifications: AtomicUsize,
}

impl FakeHasher {
    /// A hasher with bcrypt's 72-byte limit.
    pub fn new() -> Self {
        Self::with_max_bytes(72)
    }

    /// A hasher with another byte limit.
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        Self { max_bytes, version: AtomicU32::new(1), hashes: AtomicUsize::new(0), verifications: AtomicUsize::new(0) }
    }

    /// From now on, hashes of older versions need a rehash.
    pub fn upgrade(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
    }

    /// How many hashes were computed.
    pub fn hash_count(&self) -> usize {
        self.hashes.load(Ordering::SeqCst)
    }

    /// How many verifications ran.
    pub fn verify_count(&self) -> usize {
        self.verifications.load(Ordering::SeqCst)
    }

    fn encode(version: u32, password: &str) -> String {
        format!("fake$v{version}${:016x}", fnv1a(password.as_bytes()))
    }
}

impl Default for FakeHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher for FakeHasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, InfraError> {
        self.hashes.fetch_add(1, Ordering::SeqCst);
        Ok(PasswordHash::new(Self::encode(self.version.load(Ordering::SeqCst), password.expose())))
    }

    fn verify(&self, candidate: &CandidatePassword, hash: &PasswordHash) -> Result<bool, InfraError> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let version = hash
            .as_str()
            .strip_prefix("fake$v")
            .and_then(|rest| rest.split_once('$'))
            .and_then(|(v, _)| v.parse::<u32>().ok())
            .ok_or_else(|| InfraError::internal("malformed password hash"))?;
        let fits = candidate.expose().len() <= self.max_bytes;
        Ok(fits && Self::encode(version, candidate.expose()) == hash.as_str())
    }

    fn max_password_bytes(&self) -> usize {
        self.max_bytes
    }

    fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        !hash.as_str().starts_with(&format!("fake$v{}$", self.version.load(Ordering::SeqCst)))
    }
}

/// A readable, checksummed stand-in for JWTs: `fake-at.<fields>.<checksum>`. It detects
/// tampering but offers no security; time checks are left to the service.
#[derive(Debug, Default, Clone, Copy)]
pub struct FakeAccessTokens;

const ACCESS_PREFIX: &str = "fake-at";

impl AccessTokenCodec for FakeAccessTokens {
    fn issue(&self, c: &AccessClaims) -> Result<AccessToken, InfraError> {
        let body = format!(
            "{ACCESS_PREFIX}.{}.{}.{}.{}.{}.{}.{}",
            c.user_id,
            c.session_id,
            c.role,
            c.issued_at.timestamp_micros(),
            c.expires_at.timestamp_micros(),
            c.token_id,
            c.amr.to_stored().replace(' ', "+")
        );
        let checksum = fnv1a(body.as_bytes());
        Ok(AccessToken::new(format!("{body}.{checksum:016x}")))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenRejected> {
        let (body, checksum) = token.rsplit_once('.').ok_or(TokenRejected::Invalid)?;
        if format!("{:016x}", fnv1a(body.as_bytes())) != checksum {
            return Err(TokenRejected::Invalid);
        }
        let fields: Vec<&str> = body.split('.').collect();
        let [ACCESS_PREFIX, sub, sid, role, iat, exp, jti, amr] = fields.as_slice() else {
            return Err(TokenRejected::Invalid);
        };
        let time = |s: &str| s.parse::<i64>().ok().and_then(DateTime::from_timestamp_micros).ok_or(TokenRejected::Invalid);
        Ok(AccessClaims {
            user_id: sub.parse::<UserId>().map_err(|_| TokenRejected::Invalid)?,
            session_id: sid.parse::<SessionId>().map_err(|_| TokenRejected::Invalid)?,
            role: role.parse().map_err(|_| TokenRejected::Invalid)?,
            issued_at: time(iat)? as Timestamp,
            expires_at: time(exp)?,
            token_id: Uuid::try_parse(jti).map_err(|_| TokenRejected::Invalid)?,
            amr: crate::model::Amr::from_stored(&amr.replace('+', " ")).map_err(|_| TokenRejected::Invalid)?,
        })
    }
}

/// Refresh tokens `fake-rt-<n>`; digests are checksums, so the store never holds the token.
#[derive(Debug, Default)]
pub struct FakeRefreshTokens(AtomicU64);

impl RefreshTokenIssuer for FakeRefreshTokens {
    fn generate(&self) -> RefreshToken {
        RefreshToken::new(format!("fake-rt-{}", self.0.fetch_add(1, Ordering::Relaxed) + 1))
    }

    fn recognises(&self, token: &str) -> bool {
        token.strip_prefix("fake-rt-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    fn digest(&self, token: &str) -> RefreshTokenDigest {
        let reversed: Vec<u8> = token.bytes().rev().collect();
        RefreshTokenDigest::new(format!("{:016x}{:016x}", fnv1a(token.as_bytes()), fnv1a(&reversed)))
    }

    /// The successor's number plus a key from the presented token: another presented token
    /// reads a different number out of it, as with the real mask.
    fn mask_successor(&self, presented: &str, successor: &RefreshToken) -> SuccessorMask {
        let number: u64 = successor.expose().trim_start_matches("fake-rt-").parse().unwrap_or_default();
        SuccessorMask::new(format!("{:016x}", number ^ fnv1a(presented.as_bytes())))
    }

    fn unmask_successor(&self, presented: &str, mask: &SuccessorMask) -> Option<RefreshToken> {
        let masked = u64::from_str_radix(mask.as_str(), 16).ok()?;
        Some(RefreshToken::new(format!("fake-rt-{}", masked ^ fnv1a(presented.as_bytes()))))
    }
}

/// Numbered link tokens, `fake-lt-<n>`: predictable on purpose, so tests can name them.
#[derive(Debug, Default)]
pub struct FakeLinkTokens(AtomicU64);

impl LinkTokenIssuer for FakeLinkTokens {
    fn generate(&self) -> LinkToken {
        LinkToken::new(format!("fake-lt-{}", self.0.fetch_add(1, Ordering::Relaxed) + 1))
    }

    fn recognises(&self, token: &str) -> bool {
        token.strip_prefix("fake-lt-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    fn digest(&self, token: &str) -> LinkDigest {
        LinkDigest::new(format!("{:016x}", fnv1a(token.as_bytes())))
    }
}
