//! The ports of passkeys: the WebAuthn ceremonies (options and the verification of an
//! authenticator's answers, done by an adapter over a WebAuthn library) and where passkeys and
//! the ceremonies' challenges are stored.

use crate::error::InfraError;
use crate::model::{AuditEvent, Passkey, PasskeyChallenge, PasskeyId, PasskeyName, Timestamp, User, UserId};

/// A ceremony's start: the options the browser passes to `navigator.credentials`, in WebAuthn's
/// JSON form, and the state the server keeps to check the answer.
#[derive(Clone)]
pub struct CeremonyStart {
    /// `PublicKeyCredentialCreationOptions` or `…RequestOptions` as JSON (not wrapped in
    /// `{publicKey: …}`).
    pub options: String,
    /// The adapter's state of the ceremony, kept server-side.
    pub state: String,
}

impl std::fmt::Debug for CeremonyStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CeremonyStart").finish_non_exhaustive()
    }
}

/// A credential a registration ceremony proved.
#[derive(Debug, Clone)]
pub struct RegisteredCredential {
    /// The credential id, base64url.
    pub credential_id: String,
    /// The adapter's stored form of it.
    pub credential: String,
    /// Its signature counter.
    pub counter: u32,
    /// Whether it is backed up.
    pub backed_up: bool,
    /// How it can be reached.
    pub transports: Vec<String>,
}

/// What an authenticator's sign-in answer names before it is verified: the credential and the
/// account it says it belongs to.
#[derive(Debug, Clone)]
pub struct PresentedCredential {
    /// The credential id, base64url.
    pub credential_id: String,
    /// The `userHandle`: the account's id as the authenticator stored it (required in a
    /// discoverable sign-in, optional in a second step).
    pub user_handle: Option<Vec<u8>>,
}

/// What a verified sign-in answer said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assertion {
    /// Whether the authenticator verified the user (PIN, biometric).
    pub user_verified: bool,
    /// The signature counter it presented.
    pub counter: u32,
    /// Whether the credential is backed up now.
    pub backed_up: bool,
}

/// Why an authenticator's answer was refused.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyRejected {
    /// Malformed, another challenge, origin or relying party, a signature that does not verify,
    /// a credential the ceremony does not allow.
    #[error("the authenticator's answer does not verify")]
    Invalid,
    /// The signature counter did not move forward: the authenticator may have been cloned.
    #[error("the signature counter went backwards")]
    CounterRegressed,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// The WebAuthn ceremonies of the relying party `server.public_url` names.
pub trait PasskeyCeremonies: Send + Sync {
    /// Creation options for `user` (resident key required, user verification preferred),
    /// excluding the credentials in `existing`.
    ///
    /// # Errors
    /// An [`InfraError`] when the library fails.
    fn registration(&self, user: &User, existing: &[Passkey]) -> Result<CeremonyStart, InfraError>;

    /// Verifies a registration answer (`RegistrationResponseJSON`) against `state`.
    ///
    /// # Errors
    /// [`CeremonyRejected::Invalid`] for an answer that does not verify.
    fn finish_registration(&self, state: &str, answer: &str) -> Result<RegisteredCredential, CeremonyRejected>;

    /// Request options (user verification preferred) allowing `allowed`; none allowed makes a
    /// discoverable sign-in (no `allowCredentials`).
    ///
    /// # Errors
    /// An [`InfraError`] when the library fails.
    fn sign_in(&self, allowed: &[Passkey]) -> Result<CeremonyStart, InfraError>;

    /// Reads which credential a sign-in answer (`AuthenticationResponseJSON`) presents.
    ///
    /// # Errors
    /// [`CeremonyRejected::Invalid`] for an answer that is not one.
    fn presented(&self, answer: &str) -> Result<PresentedCredential, CeremonyRejected>;

    /// Verifies a sign-in answer against `state` as one by `passkey` (its stored counter
    /// included).
    ///
    /// # Errors
    /// See [`CeremonyRejected`].
    fn finish_sign_in(&self, state: &str, answer: &str, passkey: &Passkey) -> Result<Assertion, CeremonyRejected>;
}

/// What [`PasskeyStore::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyAdded {
    /// Stored, its event recorded.
    Added,
    /// The account holds [`PasskeyRules::MAX_PER_ACCOUNT`](crate::model::PasskeyRules::MAX_PER_ACCOUNT)
    /// already: nothing written.
    LimitReached,
    /// That credential is registered already (to this account or another): nothing written.
    Duplicate,
}

/// What [`PasskeyStore::remove`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyRemoved {
    /// Deleted, its event recorded.
    Removed,
    /// No such passkey of this account.
    NotFound,
    /// It is the account's last way to sign in (no password, no other passkey, no identity):
    /// nothing written.
    LastWayIn,
}

/// A sign-in's use of a passkey: the counter it presented, one conditional write.
#[derive(Debug, Clone, Copy)]
pub struct PasskeyUse {
    /// Which.
    pub id: PasskeyId,
    /// The counter the answer presented; stored only if it moves forward (or both are zero).
    pub counter: u32,
    /// Whether it is backed up now.
    pub backed_up: bool,
    /// When.
    pub now: Timestamp,
}

/// Passkeys and the ceremonies' challenges. Every single use is one conditional write, so of
/// racing uses (on any number of instances) one wins.
pub trait PasskeyStore: Send + Sync {
    /// The account's passkeys, oldest first.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn list(&self, user: UserId) -> Result<Vec<Passkey>, InfraError>;

    /// The passkey with this credential id, whoever's it is.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find_by_credential(&self, credential_id: &str) -> Result<Option<Passkey>, InfraError>;

    /// Stores `passkey` and records `audit`, in one transaction that counts the account's
    /// passkeys under a lock (racing registrations never pass the limit).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn add(&self, passkey: &Passkey, audit: &[AuditEvent]) -> Result<PasskeyAdded, InfraError>;

    /// Renames the account's passkey `id`; `None` when it has none such.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn rename(&self, user: UserId, id: PasskeyId, name: &PasskeyName) -> Result<Option<Passkey>, InfraError>;

    /// Deletes the account's passkey `id` and records `audit`, in one transaction that locks the
    /// account and counts its other ways in (racing deletions and unlinks never leave it none).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn remove(&self, user: UserId, id: PasskeyId, audit: &[AuditEvent]) -> Result<PasskeyRemoved, InfraError>;

    /// Records a sign-in: the counter moves to `counter` and `last_used_at` to `now` when the
    /// stored counter is lower (or both are zero), one conditional write. `false` (nothing
    /// written) when it is not: a racing answer got there first with the same or a later counter.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn record_use(&self, used: PasskeyUse) -> Result<bool, InfraError>;

    /// Stores a ceremony's challenge.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn insert_challenge(&self, challenge: &PasskeyChallenge) -> Result<(), InfraError>;

    /// Takes the challenge `id`: one conditional delete, so of racing takers one gets it. `None`
    /// when it is unknown or taken; an expired one is taken and returned (the caller refuses it).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn take_challenge(&self, id: uuid::Uuid) -> Result<Option<PasskeyChallenge>, InfraError>;

    /// Deletes challenges that expired before `now`.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn purge_challenges(&self, now: Timestamp) -> Result<u64, InfraError>;
}
