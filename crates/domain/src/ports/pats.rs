//! The ports of personal access tokens: where they are stored, and how their text is made and
//! digested.

use crate::error::InfraError;
use crate::model::{AuditEvent, OutgoingMail, PatDigest, PatId, PatText, PersonalAccessToken, Timestamp, User, UserId};

/// Mints personal access tokens and digests them for storage.
pub trait PatIssuer: Send + Sync {
    /// A new token: the prefix, 32 characters from a cryptographic random source, its checksum.
    fn generate(&self) -> PatText;

    /// The stored form of a token.
    fn digest(&self, token: &PatText) -> PatDigest;
}

/// What [`PatRepository::insert_capped`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatInsert {
    /// The token is stored, with its events and mail.
    Inserted,
    /// The account holds its limit of live tokens already: nothing was written.
    AtLimit,
    /// The account was deleted meanwhile: nothing was written.
    OwnerGone,
}

/// A new token and what is written with it.
#[derive(Debug)]
pub struct NewPat<'a> {
    /// The token.
    pub token: &'a PersonalAccessToken,
    /// Its stored form.
    pub digest: &'a PatDigest,
    /// Live tokens the account may hold, this one included.
    pub max_live: u32,
    /// The security events that record the creation.
    pub audit: &'a [AuditEvent],
    /// The owner's notice.
    pub mail: &'a [OutgoingMail],
}

/// Personal access tokens.
pub trait PatRepository: Send + Sync {
    /// Stores a token unless its owner holds `max_live` live ones at its `created_at`. The count
    /// and the insert are one transaction that locks the owner's row first, so of any number of
    /// racing creations, on any number of instances, no more than the limit succeed.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn insert_capped(&self, new: &NewPat<'_>) -> Result<PatInsert, InfraError>;

    /// The token with this digest and its owner, in one indexed look-up (whatever its state:
    /// the caller judges it).
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn find_by_digest(&self, digest: &PatDigest) -> Result<Option<(PersonalAccessToken, User)>, InfraError>;

    /// The account's live tokens at `now`, newest first.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn list_live(&self, user: UserId, now: Timestamp) -> Result<Vec<PersonalAccessToken>, InfraError>;

    /// Revokes the account's token `id` if it is live at `now`, recording `audit` with it;
    /// whether it did (one conditional update: of racing revocations one reports it).
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn revoke(&self, user: UserId, id: PatId, now: Timestamp, audit: &[AuditEvent]) -> Result<bool, InfraError>;

    /// Sets `last_used_at` to `now` unless it is after `stale_before` already: of racing uses
    /// within a minute one writes.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn record_use(&self, id: PatId, now: Timestamp, stale_before: Timestamp) -> Result<(), InfraError>;

    /// Deletes the tokens revoked or expired before `before`; how many.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn purge(&self, before: Timestamp) -> Result<u64, InfraError>;
}
