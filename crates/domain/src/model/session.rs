use crate::model::{Amr, AttemptPolicy, SessionId, Timestamp, UserId};
use chrono::Duration;

/// The client's `User-Agent`, as a label for the session list: control characters dropped and
/// cut to 255 characters so it always fits its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent(String);

impl UserAgent {
    /// The longest label kept, in characters.
    pub const MAX_CHARS: usize = 255;

    /// Cleans a header value; `None` when nothing printable is left.
    pub fn from_header(raw: &str) -> Option<Self> {
        let cleaned: String = raw.chars().filter(|c| !c.is_control()).take(Self::MAX_CHARS).collect();
        let cleaned = cleaned.trim();
        (!cleaned.is_empty()).then(|| Self(cleaned.to_owned()))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A login session: created by a login, kept alive by refreshes until its absolute expiry, and
/// ended by logout, revocation or expiry. It owns the refresh-token chain: the store keeps the
/// digest of the current refresh token and of every retired one, so any retired token is
/// recognised as reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The `sid` claim of its access tokens.
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// The login that opened it.
    pub created_at: Timestamp,
    /// The last login or refresh (reads never move it).
    pub last_used_at: Timestamp,
    /// Fixed at login; rotation does not extend it.
    pub expires_at: Timestamp,
    /// Set once the session is revoked; a revoked session never comes back.
    pub revoked_at: Option<Timestamp>,
    /// The client that logged in, when it said.
    pub user_agent: Option<UserAgent>,
    /// How it signed in (`created_at` is when): a refresh keeps it.
    pub amr: Amr,
}

impl Session {
    /// Live: neither revoked nor expired at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A session as its owner sees it in the session list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The session.
    pub session: Session,
    /// Whether the caller's own access token belongs to it.
    pub current: bool,
}

/// Where a refresh-token digest stands within its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshTokenState {
    /// The one token that may be exchanged now.
    Current,
    /// Already exchanged: presenting it again means it was stolen, unless it is the token that
    /// was current until moments ago (the refresh grace window).
    Retired(Retirement),
}

/// When a refresh token was exchanged, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retirement {
    /// When it was exchanged (`None` for tokens retired before this was recorded).
    pub at: Option<Timestamp>,
    /// The token that replaced it, masked so that only the retired token unmasks it.
    pub successor: Option<SuccessorMask>,
}

/// A refresh token's successor, masked with a key derived from the token it replaced: storage
/// holds it, but only someone presenting the replaced token can read the successor out of it,
/// so no refresh token is ever at rest in plain text.
#[derive(Clone, PartialEq, Eq)]
pub struct SuccessorMask(String);

impl SuccessorMask {
    /// Wraps a stored mask.
    pub fn new(mask: String) -> Self {
        Self(mask)
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SuccessorMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SuccessorMask(..)")
    }
}

/// Lifetimes and limits of tokens and sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Lifetime of an access token.
    pub access_ttl: Duration,
    /// Lifetime of a session, fixed at login.
    pub session_ttl: Duration,
    /// Live sessions a user may hold; a login beyond it revokes the oldest.
    pub max_sessions_per_user: u32,
    /// Password checks per account per window, on every path that checks one.
    pub lockout: AttemptPolicy,
    /// How long security events are kept before the purge deletes them.
    pub audit_retention: Duration,
    /// How long after its exchange the token that was current may be presented again and get
    /// the pair its exchange made (two tabs refreshing at once); zero: never.
    pub refresh_grace: Duration,
    /// How the outbox sender retries a message the mail server did not take.
    pub mail_retry: crate::model::RetryPolicy,
    /// The emailed flows: link lifetimes, intervals, verification and concealment.
    pub email: crate::model::EmailPolicy,
    /// How long after its sign-in a session is fresh: a sensitive operation needs no password.
    pub fresh_window: Duration,
    /// Whether admin-only operations need a two-factor session.
    pub require_mfa_for_admins: bool,
    /// The zxcvbn score a new password needs (0: none).
    pub password_min_score: u8,
    /// The lifetimes of personal access tokens.
    pub pat: crate::model::PatPolicy,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            access_ttl: Duration::seconds(900),
            session_ttl: Duration::seconds(1_209_600),
            max_sessions_per_user: 100,
            lockout: AttemptPolicy::LOCKOUT,
            audit_retention: Duration::days(90),
            refresh_grace: Duration::zero(),
            mail_retry: crate::model::RetryPolicy::DEFAULT,
            email: crate::model::EmailPolicy::DEFAULT,
            fresh_window: Duration::seconds(300),
            require_mfa_for_admins: false,
            password_min_score: 0,
            pat: crate::model::PatPolicy { max_days: 366 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_is_cleaned_and_cut_to_its_column() {
        assert_eq!(UserAgent::from_header("curl/8.0\u{7}").unwrap().as_str(), "curl/8.0");
        assert_eq!(UserAgent::from_header(&"é".repeat(300)).unwrap().as_str().chars().count(), 255);
        assert!(UserAgent::from_header(" \t ").is_none());
    }
}
