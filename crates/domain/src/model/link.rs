//! Emailed links: the single-use tokens that verify an address, reset a password (or set the
//! first one of an invited account) and confirm an email change. The token travels in the
//! link only; the store keeps its digest.

use crate::model::{Email, OutgoingMail, Timestamp, UserId};
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// What a link does when it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkPurpose {
    /// Marks the address it was sent to as verified.
    Verify,
    /// Sets a new password (a reset, or an invited account's first one).
    Reset,
    /// Switches the account to the address it was sent to.
    EmailChange,
}

impl LinkPurpose {
    /// Every purpose, in order.
    pub const ALL: [Self; 3] = [Self::Verify, Self::Reset, Self::EmailChange];

    /// The storage spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reset => "reset",
            Self::EmailChange => "email_change",
        }
    }

    /// The purpose a stored spelling names.
    pub fn from_stored(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The page of the API's site that a link of this purpose opens.
    pub const fn page(self) -> &'static str {
        match self {
            Self::Verify => "/account/verify",
            Self::Reset => "/account/reset",
            Self::EmailChange => "/account/email-change",
        }
    }
}

/// A link's token in plain text: it goes into one message and nowhere else.
pub struct LinkToken(SecretString);

impl LinkToken {
    /// Wraps a token.
    pub fn new(token: String) -> Self {
        Self(SecretString::from(token))
    }

    /// The token, to put in the message's link.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken([REDACTED])")
    }
}

/// The stored form of a link's token (SHA-256 in production).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LinkDigest(String);

impl LinkDigest {
    /// Wraps an encoded digest.
    pub fn new(encoded: String) -> Self {
        Self(encoded)
    }

    /// The encoded digest, for the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LinkDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkDigest([REDACTED])")
    }
}

/// A stored link: whose it is, what it does, the address it was sent to, and how long it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailLink {
    /// The token's digest.
    pub digest: LinkDigest,
    /// The account it acts on.
    pub user_id: UserId,
    /// What it does.
    pub purpose: LinkPurpose,
    /// The address it was sent to: a verification or reset link works only while the account
    /// still has it, an email-change link only while it is the account's pending address.
    pub email: Email,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

impl EmailLink {
    /// Whether it still belongs to an account whose address is `email` and pending address
    /// `pending`: a verification or reset link only while the account has the address it was
    /// sent to, an email-change link only while that address is the pending one.
    pub fn matches(&self, email: &Email, pending: Option<&Email>) -> bool {
        match self.purpose {
            LinkPurpose::Verify | LinkPurpose::Reset => self.email == *email,
            LinkPurpose::EmailChange => pending == Some(&self.email),
        }
    }

    /// Whether it still works at `now` (the store checks it again when it is used).
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

/// A link to store with the messages that carry it (and any notice that goes with them), in
/// one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkIssue {
    /// The link.
    pub link: EmailLink,
    /// The messages to queue with it.
    pub mail: Vec<OutgoingMail>,
}

/// How a requested email change is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmailChangeMode {
    /// The new address confirms through an emailed link; the old one gets a notice.
    #[default]
    Confirm,
    /// The address changes at once, with no mail (v1).
    Immediate,
}

/// The rules of the emailed flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailPolicy {
    /// Lifetime of a verification link.
    pub verify_ttl: Duration,
    /// Lifetime of a reset link.
    pub reset_ttl: Duration,
    /// Lifetime of an invite's set-password link.
    pub invite_ttl: Duration,
    /// Lifetime of an email-change link.
    pub email_change_ttl: Duration,
    /// At most one reset or verification message per address per this long.
    pub min_interval: Duration,
    /// Whether an unverified account may log in.
    pub require_verified_email: bool,
    /// How an email change is made.
    pub email_change: EmailChangeMode,
    /// Whether registration hides which addresses have accounts (202 for all, a mail to the
    /// owner of a taken one).
    pub conceal_registration: bool,
}

impl EmailPolicy {
    /// The contract's defaults: verification 24 h, reset 1 h, invite 7 days, one message per
    /// address per minute, nothing required or concealed, changes confirmed.
    pub const DEFAULT: Self = Self {
        verify_ttl: Duration::seconds(86_400),
        reset_ttl: Duration::seconds(3_600),
        invite_ttl: Duration::seconds(604_800),
        email_change_ttl: Duration::seconds(86_400),
        min_interval: Duration::seconds(60),
        require_verified_email: false,
        email_change: EmailChangeMode::Confirm,
        conceal_registration: false,
    };
}

impl Default for EmailPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}
