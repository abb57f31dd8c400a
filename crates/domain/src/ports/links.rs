use crate::error::InfraError;
use crate::model::{AuditEvent, EmailLink, LinkDigest, LinkIssue, LinkToken, PasswordHash, Timestamp, User, UserId, UserName};
use crate::ports::{UniqueEmailError, UserWrite};

/// Mints the tokens of emailed links.
pub trait LinkTokenIssuer: Send + Sync {
    /// A new unguessable token.
    fn generate(&self) -> LinkToken;

    /// Whether `token` has the shape of a token this issuer makes: anything else is refused
    /// before it is hashed or looked up.
    fn recognises(&self, token: &str) -> bool;

    /// The stored form of a token; equal tokens give equal digests.
    fn digest(&self, token: &str) -> LinkDigest;
}

/// What using a link does, besides using it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEffect {
    /// Marks the address verified.
    Verify,
    /// Replaces the password hash, revokes every session and every other reset link, and
    /// marks the address verified (the link reached it).
    SetPassword(PasswordHash),
    /// Makes the pending address the account's, verified.
    SwitchEmail,
}

/// What [`EmailLinks::redeem`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeemed {
    /// The link was used up and its effect written.
    Done,
    /// Used, expired, replaced, or its address is no longer the account's (or pending):
    /// nothing was written.
    Invalid,
    /// An email change whose address another account took meanwhile: nothing was written and
    /// the link still works.
    EmailTaken,
}

/// What [`EmailLinks::issue`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkWrite {
    /// The link and its messages are stored.
    Issued,
    /// The account is gone, or no longer has the link's address: nothing was written.
    AccountGone,
}

/// Stores the emailed links with the changes that make them and the messages that carry them:
/// each method is one transaction, so a message is queued exactly when its link is stored.
pub trait EmailLinks: Send + Sync {
    /// Adds a new account (registration, invite) with its link, the link's messages and the
    /// `audit` events, in one transaction.
    ///
    /// # Errors
    /// [`UniqueEmailError::EmailTaken`] when the email is in use (nothing is written).
    fn insert_user_with_link(
        &self,
        user: &User,
        hash: &PasswordHash,
        issue: &LinkIssue,
        audit: &[AuditEvent],
    ) -> Result<(), UniqueEmailError>;

    /// If the account still has the link's address, replaces its unused links of the same
    /// purpose with this one and queues the messages, with the `audit` events, in one
    /// transaction that locks the account's row.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn issue(&self, issue: &LinkIssue, audit: &[AuditEvent]) -> Result<LinkWrite, InfraError>;

    /// An email change that waits for confirmation, in one transaction: unless another
    /// account has the new address (the link's), sets it as the account's `pending_email`
    /// (and `name`, when given, and `updated_at`), replaces its unused email-change links with
    /// this one, and queues the messages and the `audit` events.
    ///
    /// # Errors
    /// [`UniqueEmailError::EmailTaken`] when the new address is in use.
    fn request_email_change(
        &self,
        id: UserId,
        name: Option<&UserName>,
        issue: &LinkIssue,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<UserWrite, UniqueEmailError>;

    /// The link with this digest, used or not yet (a used link is deleted).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find(&self, digest: &LinkDigest) -> Result<Option<EmailLink>, InfraError>;

    /// Uses `link` up and writes its `effect` and the `audit` events, in one transaction, if
    /// it is still stored, unexpired at `now`, and its address still the account's (or, for
    /// [`LinkEffect::SwitchEmail`], its pending one). Of racing uses of one link, at most one
    /// gets [`Redeemed::Done`].
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn redeem(&self, link: &EmailLink, effect: &LinkEffect, now: Timestamp, audit: &[AuditEvent]) -> Result<Redeemed, InfraError>;

    /// Deletes links expired at `now`; returns how many.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn purge(&self, now: Timestamp) -> Result<u64, InfraError>;
}
