//! Personal access tokens: the token's text (a prefix, randomness and a checksum a secret
//! scanner can check offline), the scopes that decide what one may do, its name and its
//! lifetime rules.

use crate::model::text::{TextError, parse_line, text_accessors};
use crate::model::{PatId, Timestamp, UserId};
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// One thing a personal access token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatScope {
    /// `GET /users/me`.
    Profile,
    /// GET of projects and tasks.
    ProjectsRead,
    /// POST, PUT, PATCH and DELETE of projects and tasks.
    ProjectsWrite,
    /// `GET /users`, `GET /users/{id}`, `GET /audit`, while the owner is an admin.
    AdminRead,
    /// `POST /auth/introspect`.
    Introspect,
}

impl PatScope {
    /// Every scope, in the order the wire lists them.
    pub const ALL: &'static [Self] = &[Self::Profile, Self::ProjectsRead, Self::ProjectsWrite, Self::AdminRead, Self::Introspect];

    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::ProjectsRead => "projects:read",
            Self::ProjectsWrite => "projects:write",
            Self::AdminRead => "admin:read",
            Self::Introspect => "introspect",
        }
    }

    /// The scope spelled `name`, exactly.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|scope| scope.as_str() == name)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl std::str::FromStr for PatScope {
    type Err = crate::model::UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or(crate::model::UnknownVariant)
    }
}

/// Why a list of scopes was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// No scope at all: a token that may do nothing is a mistake.
    #[error("must name at least one scope")]
    Empty,
    /// A name that is not a scope.
    #[error("must be among profile, projects:read, projects:write, admin:read, introspect")]
    Unknown,
}

/// A non-empty set of scopes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PatScopes(u8);

impl PatScopes {
    /// The scopes named by `names` (repeats are harmless).
    ///
    /// # Errors
    /// [`ScopeError::Empty`] for none, [`ScopeError::Unknown`] for a name that is no scope.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, ScopeError> {
        let mut bits = 0;
        for name in names {
            bits |= PatScope::parse(name).ok_or(ScopeError::Unknown)?.bit();
        }
        if bits == 0 { Err(ScopeError::Empty) } else { Ok(Self(bits)) }
    }

    /// The scopes of a space-separated list (RFC 6749's `scope`, and the stored form).
    ///
    /// # Errors
    /// As [`PatScopes::parse`].
    pub fn from_space_separated(list: &str) -> Result<Self, ScopeError> {
        Self::parse(list.split(' ').filter(|name| !name.is_empty()))
    }

    /// Whether `scope` is among them.
    pub const fn contains(self, scope: PatScope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The scopes, in [`PatScope::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = PatScope> {
        PatScope::ALL.iter().copied().filter(move |scope| self.contains(*scope))
    }

    /// Space-separated, in [`PatScope::ALL`]'s order.
    pub fn to_space_separated(self) -> String {
        self.iter().map(PatScope::as_str).collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Debug for PatScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(PatScope::as_str)).finish()
    }
}

/// What an operation asks of the credential that calls it. A session may do everything its
/// account may; a personal access token only what its scopes name, and never manage the
/// account (RFC 6750's `insufficient_scope` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Reading the caller's own account.
    Profile,
    /// Reading projects and tasks.
    ProjectsRead,
    /// Writing projects and tasks.
    ProjectsWrite,
    /// An admin's reading of other accounts and the audit log.
    AdminRead,
    /// Asking whether a token is live.
    Introspect,
    /// Changing the account itself: password, email, profile, second factors, passkeys,
    /// identities, tokens, sessions, deletion.
    AccountManagement,
}

/// Why a personal access token may not do what an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopeRefusal {
    /// The scope the operation needs is not among the token's.
    #[error("the token lacks the scope {}", .0.as_str())]
    Missing(PatScope),
    /// Account management is never a token's to do.
    #[error("a personal access token cannot manage the account")]
    AccountManagement,
}

impl PatScopes {
    /// Whether a token with these scopes may do what `need` asks. `admin:read` works only while
    /// the owner is an admin as stored now (`owner_is_admin`), whatever the token says.
    ///
    /// # Errors
    /// The [`ScopeRefusal`] to answer with 403.
    pub fn permits(self, need: Need, owner_is_admin: bool) -> Result<(), ScopeRefusal> {
        let scope = match need {
            Need::Profile => PatScope::Profile,
            Need::ProjectsRead => PatScope::ProjectsRead,
            Need::ProjectsWrite => PatScope::ProjectsWrite,
            Need::AdminRead => PatScope::AdminRead,
            Need::Introspect => PatScope::Introspect,
            Need::AccountManagement => return Err(ScopeRefusal::AccountManagement),
        };
        if !self.contains(scope) || (scope == PatScope::AdminRead && !owner_is_admin) {
            return Err(ScopeRefusal::Missing(scope));
        }
        Ok(())
    }
}

/// Why a bearer token with the personal-access-token prefix is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatFormatError {
    /// Not the prefix, 32 base62 characters and 6 more.
    #[error("not a personal access token")]
    Malformed,
    /// The last six characters are not the checksum of the 32 before them (a typo, or a forgery).
    #[error("the personal access token's checksum is wrong")]
    Checksum,
}

/// The text of a personal access token: `gatehouse_pat_`, 32 base62 characters of randomness,
/// and 6 base62 characters of the CRC32 (IEEE, as zlib's) of those 32, most significant digit
/// first, left-padded with `0`. A scanner can tell a token from a lookalike without asking the
/// server, and the server refuses a typo without a database read. Never printed.
pub struct PatText(SecretString);

impl PatText {
    /// What every token starts with.
    pub const PREFIX: &'static str = "gatehouse_pat_";
    /// Characters of randomness (about 190 bits).
    pub const RANDOM_CHARS: usize = 32;
    /// Characters of checksum (62^6 > 2^32).
    pub const CHECKSUM_CHARS: usize = 6;
    /// The base62 digits, in value order.
    pub const BASE62: &'static [u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// The token made of `random`, 32 base62 characters drawn by the caller's random source.
    ///
    /// # Errors
    /// [`PatFormatError::Malformed`] unless `random` is 32 base62 characters.
    pub fn from_random(random: &str) -> Result<Self, PatFormatError> {
        if random.len() != Self::RANDOM_CHARS || !random.bytes().all(is_base62) {
            return Err(PatFormatError::Malformed);
        }
        let checksum = checksum(random.as_bytes());
        let text = format!("{}{random}{}", Self::PREFIX, String::from_utf8_lossy(&checksum));
        Ok(Self(SecretString::from(text)))
    }

    /// Whether a bearer token claims to be a personal access token (and is then parsed as one,
    /// never as a JWT).
    pub fn claims_to_be_one(bearer: &str) -> bool {
        bearer.starts_with(Self::PREFIX)
    }

    /// A presented token, its checksum checked.
    ///
    /// # Errors
    /// [`PatFormatError::Malformed`] for the wrong shape, [`PatFormatError::Checksum`] for a
    /// checksum that does not match.
    pub fn parse(text: &str) -> Result<Self, PatFormatError> {
        let body = text.strip_prefix(Self::PREFIX).ok_or(PatFormatError::Malformed)?.as_bytes();
        if body.len() != Self::RANDOM_CHARS + Self::CHECKSUM_CHARS || !body.iter().copied().all(is_base62) {
            return Err(PatFormatError::Malformed);
        }
        let (random, given) = body.split_at(Self::RANDOM_CHARS);
        if checksum(random) != given {
            return Err(PatFormatError::Checksum);
        }
        Ok(Self(SecretString::from(text.to_owned())))
    }

    /// The whole text, for the one answer that shows it and for hashing.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for PatText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PatText(..)")
    }
}

const fn is_base62(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

/// CRC32 of `random` in six base62 digits, most significant first.
fn checksum(random: &[u8]) -> [u8; PatText::CHECKSUM_CHARS] {
    let mut value = crc32fast::hash(random);
    let mut digits = [b'0'; PatText::CHECKSUM_CHARS];
    for digit in digits.iter_mut().rev() {
        *digit = PatText::BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits
}

/// A token's name, as its owner typed it: the one-line text rules every name follows (trimmed,
/// 1 to 100 characters, no control characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatName(String);

impl PatName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Trims and checks a name.
    ///
    /// # Errors
    /// The [`TextError`] that names the broken rule.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        parse_line(raw, Self::MAX_CHARS).map(Self)
    }
}

text_accessors!(PatName);

/// The stored form of a personal access token (SHA-256 in production): its ~190 random bits make
/// a slow or keyed hash needless, and a database reader learns nothing it could present.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PatDigest(String);

impl PatDigest {
    /// Wraps an encoded digest.
    pub fn new(encoded: String) -> Self {
        Self(encoded)
    }

    /// The encoded digest, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PatDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PatDigest([REDACTED])")
    }
}

/// A personal access token as stored: never its text, only its digest (kept apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalAccessToken {
    /// Its id.
    pub id: PatId,
    /// Its owner.
    pub user_id: UserId,
    /// What its owner called it.
    pub name: PatName,
    /// What it may do.
    pub scopes: PatScopes,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was last used, to the minute ([`PatPolicy::LAST_USED_GRANULARITY`]).
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
}

impl PersonalAccessToken {
    /// Whether it grants anything at `now`: not revoked, not expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// How long tokens live and how many an account may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatPolicy {
    /// The longest lifetime a token may ask for, in days (`auth.pat_max_days`).
    pub max_days: u32,
}

impl PatPolicy {
    /// Live tokens an account may hold at once.
    pub const MAX_LIVE_PER_ACCOUNT: u32 = 50;
    /// The lifetime of a token that names none, in days.
    pub const DEFAULT_DAYS: u32 = 30;
    /// How stale `last_used_at` may get before a use writes it again: a busy token must not
    /// turn every read into a write.
    pub const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

    /// When a token created at `now` for `days` (the default when `None`) expires.
    ///
    /// # Errors
    /// A message for the `expires_in_days` field when `days` is outside 1 to `max_days`.
    pub fn expiry(self, now: Timestamp, days: Option<u32>) -> Result<Timestamp, String> {
        let days = days.unwrap_or(Self::DEFAULT_DAYS.min(self.max_days));
        if days == 0 || days > self.max_days {
            return Err(format!("must be between 1 and {}", self.max_days));
        }
        Ok(now + Duration::days(i64::from(days)))
    }

    /// Whether a use at `now` writes `last_used_at` (never used, or not within the last minute).
    pub fn records_use(last_used_at: Option<Timestamp>, now: Timestamp) -> bool {
        last_used_at.is_none_or(|at| now - at >= Self::LAST_USED_GRANULARITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_checksum_is_crc32_in_base62() {
        // "123456789" is CRC-32's published check input; its CRC is 0xCBF43926 = 3,421,780,262
        // = 3·62^5 + 45·62^4 + 35·62^3 + 27·62^2 + 22·62 + 14, digits 3 j Z R M E (as Python's
        // zlib.crc32 and a base-62 loop also give).
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        assert_eq!(&checksum(b"123456789"), b"3jZRME");
        let random = "0123456789abcdefghijABCDEFGHIJxy";
        let token = PatText::from_random(random).unwrap();
        assert!(token.expose().starts_with("gatehouse_pat_0123456789abcdefghijABCDEFGHIJxy"));
        assert_eq!(token.expose().len(), PatText::PREFIX.len() + 38);
        assert!(PatText::parse(token.expose()).is_ok());
    }

    #[test]
    fn a_changed_character_fails_the_checksum_and_a_wrong_shape_is_malformed() {
        let token = PatText::from_random("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ").unwrap();
        let mut typo = token.expose().to_owned();
        typo.replace_range(20..21, "Y");
        assert_eq!(PatText::parse(&typo).unwrap_err(), PatFormatError::Checksum);
        for text in ["gatehouse_pat_", "gatehouse_pat_short", "ghp_0123", &format!("{}!", &token.expose()[..51])] {
            assert_eq!(PatText::parse(text).unwrap_err(), PatFormatError::Malformed, "{text}");
        }
        assert_eq!(PatText::from_random("too short").unwrap_err(), PatFormatError::Malformed);
        assert!(PatText::claims_to_be_one(token.expose()));
        assert!(!format!("{token:?}").contains('Z'));
    }

    #[test]
    fn scopes_parse_from_names_and_a_space_separated_list() {
        let scopes = PatScopes::parse(["projects:read", "profile", "profile"]).unwrap();
        assert!(scopes.contains(PatScope::Profile) && scopes.contains(PatScope::ProjectsRead));
        assert!(!scopes.contains(PatScope::ProjectsWrite));
        assert_eq!(scopes.to_space_separated(), "profile projects:read");
        assert_eq!(PatScopes::from_space_separated("profile projects:read").unwrap(), scopes);
        assert_eq!(PatScopes::parse([]).unwrap_err(), ScopeError::Empty);
        assert_eq!(PatScopes::parse(["Profile"]).unwrap_err(), ScopeError::Unknown);
        assert_eq!(PatScopes::parse(["admin"]).unwrap_err(), ScopeError::Unknown);
    }

    #[test]
    fn a_token_may_do_what_its_scopes_name_and_never_manage_the_account() {
        let reader = PatScopes::parse(["profile", "projects:read"]).unwrap();
        assert_eq!(reader.permits(Need::Profile, false), Ok(()));
        assert_eq!(reader.permits(Need::ProjectsRead, false), Ok(()));
        assert_eq!(reader.permits(Need::ProjectsWrite, false), Err(ScopeRefusal::Missing(PatScope::ProjectsWrite)));
        let everything = PatScopes::parse(PatScope::ALL.iter().map(|scope| scope.as_str())).unwrap();
        assert_eq!(everything.permits(Need::AccountManagement, true), Err(ScopeRefusal::AccountManagement));
        assert_eq!(everything.permits(Need::AdminRead, true), Ok(()));
        assert_eq!(
            everything.permits(Need::AdminRead, false),
            Err(ScopeRefusal::Missing(PatScope::AdminRead)),
            "a demoted owner's token reads no other account"
        );
        assert_eq!(everything.permits(Need::Introspect, false), Ok(()));
    }

    #[test]
    fn lifetimes_are_bounded_and_uses_are_recorded_once_a_minute() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let policy = PatPolicy { max_days: 366 };
        assert_eq!(policy.expiry(now, None).unwrap(), now + Duration::days(30));
        assert_eq!(policy.expiry(now, Some(366)).unwrap(), now + Duration::days(366));
        assert!(policy.expiry(now, Some(0)).is_err() && policy.expiry(now, Some(367)).is_err());
        assert_eq!(PatPolicy { max_days: 7 }.expiry(now, None).unwrap(), now + Duration::days(7));
        assert!(PatPolicy::records_use(None, now));
        assert!(!PatPolicy::records_use(Some(now - Duration::seconds(59)), now));
        assert!(PatPolicy::records_use(Some(now - Duration::seconds(60)), now));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PatName::parse("  deploy bot ").unwrap().as_str(), "deploy bot");
        assert!(PatName::parse("   ").is_err());
        assert!(PatName::parse(&"x".repeat(101)).is_err());
        assert!(PatName::parse("a\u{7}b").is_err());
    }
}
