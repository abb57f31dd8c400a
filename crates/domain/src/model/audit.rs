//! Security events: who did what to which account, from where, and when. An event's `detail`
//! is built only from values that cannot be secrets (names of fields, roles, flags, counts),
//! so no password, hash, token or secret can reach the log through it.

use crate::model::{SessionId, Timestamp, UnknownVariant, UserAgent, UserId};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// An account was created by registration.
    UserRegistered,
    /// An admin invited an account.
    UserInvited,
    /// A login opened a session.
    LoginSucceeded,
    /// A login was refused (wrong password, unknown email, inactive account).
    LoginFailed,
    /// The account's lockout refused a password check.
    LoginLocked,
    /// A retired refresh token was presented: its session was revoked as stolen.
    RefreshReused,
    /// One session was revoked by its owner.
    SessionRevoked,
    /// A session ended by logout.
    Logout,
    /// Every session of an account ended.
    LogoutAll,
    /// The owner changed the password.
    PasswordChanged,
    /// A password reset was requested.
    PasswordResetRequested,
    /// A password was set through a reset link.
    PasswordReset,
    /// An address was verified.
    EmailVerified,
    /// An email change waits for confirmation.
    EmailChangeRequested,
    /// The email changed.
    EmailChanged,
    /// An admin changed an account (role, activity, name).
    UserUpdated,
    /// An account was deleted (by its owner or an admin).
    UserDeleted,
    /// An admin was created or promoted from the command line.
    AdminCreated,
    /// Two-step sign-in was turned on.
    MfaEnabled,
    /// Two-step sign-in was turned off by the owner.
    MfaDisabled,
    /// An admin removed every second factor of the account.
    MfaReset,
    /// A second step's code was wrong.
    MfaFailed,
    /// A recovery code was used.
    MfaRecoveryCodeUsed,
    /// New recovery codes replaced the old ones.
    MfaRecoveryCodesRegenerated,
    /// A personal access token was created.
    TokenCreated,
    /// A personal access token was revoked.
    TokenRevoked,
    /// A provider identity was linked to the account.
    IdentityLinked,
    /// A provider identity was unlinked from the account.
    IdentityUnlinked,
    /// A passkey was registered.
    PasskeyAdded,
    /// A passkey was deleted.
    PasskeyRemoved,
    /// A passkey's signature counter did not move forward: the authenticator may be cloned.
    PasskeyCounterRegressed,
}

impl AuditKind {
    /// Every kind, in order.
    pub const ALL: &'static [Self] = &[
        Self::UserRegistered,
        Self::UserInvited,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginLocked,
        Self::RefreshReused,
        Self::SessionRevoked,
        Self::Logout,
        Self::LogoutAll,
        Self::PasswordChanged,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::EmailVerified,
        Self::EmailChangeRequested,
        Self::EmailChanged,
        Self::UserUpdated,
        Self::UserDeleted,
        Self::AdminCreated,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::MfaReset,
        Self::MfaFailed,
        Self::MfaRecoveryCodeUsed,
        Self::MfaRecoveryCodesRegenerated,
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::IdentityLinked,
        Self::IdentityUnlinked,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::PasskeyCounterRegressed,
    ];

    /// The wire and storage spelling (`login.failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::UserInvited => "user.invited",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LoginLocked => "login.locked",
            Self::RefreshReused => "refresh.reused",
            Self::SessionRevoked => "session.revoked",
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::PasswordChanged => "password.changed",
            Self::PasswordResetRequested => "password.reset_requested",
            Self::PasswordReset => "password.reset",
            Self::EmailVerified => "email.verified",
            Self::EmailChangeRequested => "email.change_requested",
            Self::EmailChanged => "email.changed",
            Self::UserUpdated => "user.updated",
            Self::UserDeleted => "user.deleted",
            Self::AdminCreated => "admin.created",
            Self::MfaEnabled => "mfa.enabled",
            Self::MfaDisabled => "mfa.disabled",
            Self::MfaReset => "mfa.reset",
            Self::MfaFailed => "mfa.failed",
            Self::MfaRecoveryCodeUsed => "mfa.recovery_code_used",
            Self::MfaRecoveryCodesRegenerated => "mfa.recovery_codes_regenerated",
            Self::TokenCreated => "token.created",
            Self::TokenRevoked => "token.revoked",
            Self::IdentityLinked => "identity.linked",
            Self::IdentityUnlinked => "identity.unlinked",
            Self::PasskeyAdded => "passkey.added",
            Self::PasskeyRemoved => "passkey.removed",
            Self::PasskeyCounterRegressed => "passkey.counter_regressed",
        }
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditKind {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.iter().copied().find(|kind| kind.as_str() == s).ok_or(UnknownVariant)
    }
}

/// One value of an event's detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailValue {
    /// A word from a closed set (a role, a field name, a reason).
    Text(String),
    /// A flag.
    Flag(bool),
    /// A count.
    Count(i64),
    /// Words from a closed set, in order (a session's `amr`).
    Words(Vec<String>),
}

/// An event's detail: named values that can never be secrets. Keys are `&'static str` and
/// text values are words from closed sets when built here, so nothing a client typed (a
/// password, a token) can be put in. Entries are kept sorted by key (one per key), so a
/// detail reads back from storage equal to what was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditDetail(Vec<(String, DetailValue)>);

impl AuditDetail {
    /// No detail.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `key` set to a word of a closed set.
    #[must_use]
    pub fn word(mut self, key: &'static str, value: &'static str) -> Self {
        self.set(key, DetailValue::Text(value.to_owned()));
        self
    }

    /// With `key` set to a flag.
    #[must_use]
    pub fn flag(mut self, key: &'static str, value: bool) -> Self {
        self.set(key, DetailValue::Flag(value));
        self
    }

    /// With `key` set to words of a closed set, in order.
    #[must_use]
    pub fn words(mut self, key: &'static str, values: impl IntoIterator<Item = &'static str>) -> Self {
        self.set(key, DetailValue::Words(values.into_iter().map(str::to_owned).collect()));
        self
    }

    /// With `key` set to an id the server made (a token's, never the token).
    #[must_use]
    pub fn id(mut self, key: &'static str, id: Uuid) -> Self {
        self.set(key, DetailValue::Text(id.hyphenated().to_string()));
        self
    }

    /// With `key` set to a configured provider's id (from the closed set of the configuration).
    #[must_use]
    pub fn provider(mut self, key: &'static str, provider: &crate::model::ProviderId) -> Self {
        self.set(key, DetailValue::Text(provider.as_str().to_owned()));
        self
    }

    /// With `key` set to a count.
    #[must_use]
    pub fn count(mut self, key: &'static str, value: i64) -> Self {
        self.set(key, DetailValue::Count(value));
        self
    }

    fn set(&mut self, key: &str, value: DetailValue) {
        match self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (key.to_owned(), value)),
        }
    }

    /// A detail as storage returns it (for adapters).
    pub fn from_stored(entries: impl IntoIterator<Item = (String, DetailValue)>) -> Self {
        let mut detail = Self::default();
        for (key, value) in entries {
            detail.set(&key, value);
        }
        detail
    }

    /// The entries, sorted by key.
    pub fn entries(&self) -> &[(String, DetailValue)] {
        &self.0
    }

    /// The detail as a JSON object (how the API shows it and storage keeps it).
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    DetailValue::Text(text) => serde_json::Value::from(text.as_str()),
                    DetailValue::Flag(flag) => serde_json::Value::from(*flag),
                    DetailValue::Count(n) => serde_json::Value::from(*n),
                    DetailValue::Words(words) => serde_json::Value::from(words.clone()),
                };
                (key.clone(), value)
            })
            .collect()
    }

    /// A detail from its JSON object (for adapters reading it back).
    ///
    /// # Errors
    /// What is wrong, when `value` is not an object of texts, flags and whole counts.
    pub fn from_json(value: serde_json::Value) -> Result<Self, &'static str> {
        let serde_json::Value::Object(entries) = value else { return Err("not an object") };
        let entries = entries
            .into_iter()
            .map(|(key, value)| {
                let value = match value {
                    serde_json::Value::String(text) => DetailValue::Text(text),
                    serde_json::Value::Bool(flag) => DetailValue::Flag(flag),
                    serde_json::Value::Number(n) => DetailValue::Count(n.as_i64().ok_or("a count out of range")?),
                    serde_json::Value::Array(words) => DetailValue::Words(
                        words
                            .into_iter()
                            .map(|w| w.as_str().map(str::to_owned).ok_or("a list of something else than words"))
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => return Err("a value of an unknown shape"),
                };
                Ok((key, value))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_stored(entries))
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One security event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Unique id.
    pub id: Uuid,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: AuditKind,
    /// The account it happened to (none for a failed login of an unknown email).
    pub user_id: Option<UserId>,
    /// Who did it, when not the account itself (an admin).
    pub actor_id: Option<UserId>,
    /// The session involved.
    pub session_id: Option<SessionId>,
    /// The client's address (after `server.trusted_proxies`).
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent`.
    pub user_agent: Option<UserAgent>,
    /// What else is worth knowing.
    pub detail: AuditDetail,
}

impl AuditEvent {
    /// The event as the account's owner sees it: where an admin acted on the account, the
    /// admin's address and browser stay in the admin's view (`/audit`) and are left out here.
    #[must_use]
    pub fn as_seen_by_owner(self) -> Self {
        match self.actor_id {
            Some(actor) if Some(actor) != self.user_id => Self { ip: None, user_agent: None, ..self },
            _ => self,
        }
    }
}

/// Who is on the other end of a use case: what its events record about the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    /// The client's address (after `server.trusted_proxies`).
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent`.
    pub user_agent: Option<UserAgent>,
}

/// Which events a query returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this account's.
    pub user_id: Option<UserId>,
    /// Only of this kind.
    pub kind: Option<AuditKind>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
}

impl AuditFilter {
    /// Whether `event` passes.
    pub fn admits(&self, event: &AuditEvent) -> bool {
        self.user_id.is_none_or(|u| event.user_id == Some(u))
            && self.kind.is_none_or(|k| event.kind == k)
            && self.since.is_none_or(|s| event.at >= s)
            && self.until.is_none_or(|u| event.at < u)
    }
}
