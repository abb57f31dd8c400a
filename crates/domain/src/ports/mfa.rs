//! The ports of two-step sign-in: where second factors and challenges are stored, and the
//! cryptography they need (sealing secrets, TOTP codes, recovery-code and `mfa_token` digests).

use crate::error::InfraError;
use crate::model::{
    Amr, AuditEvent, MfaChallenge, MfaStatus, MfaToken, MfaTokenDigest, OutgoingMail, RecoveryCode, RecoveryCodeDigest, Sealed, SessionId,
    Timestamp, TotpFactor, TotpSecret, UserId,
};

/// Seals the secrets the server must read back (TOTP keys) with an AEAD under the configured
/// key, and opens what it or a previous key sealed.
pub trait SecretSealer: Send + Sync {
    /// Seals `secret`, bound to `context` (the account's id): a sealed secret moved to another
    /// account's row does not open there.
    ///
    /// # Errors
    /// An [`InfraError`] when the cipher fails.
    fn seal(&self, secret: &[u8], context: &[u8]) -> Result<Sealed, InfraError>;

    /// Opens what a configured key sealed for `context`.
    ///
    /// # Errors
    /// An [`InfraError`] for an unknown key id or a ciphertext that does not open (tampered,
    /// or another context): a stored secret the server cannot read is a fault, not a wrong code.
    fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Vec<u8>, InfraError>;
}

/// TOTP: new secrets, the code of a time step, and what an authenticator app reads.
pub trait OtpGenerator: Send + Sync {
    /// A new secret of [`TotpRules::SECRET_BYTES`](crate::model::TotpRules::SECRET_BYTES).
    fn new_secret(&self) -> TotpSecret;

    /// The code of `step` (RFC 6238: SHA-1, six digits, 30-second steps).
    fn code(&self, secret: &TotpSecret, step: i64) -> String;

    /// The secret as base32, its `otpauth://` URI for the account `account` (its email), and
    /// that URI as an SVG QR code.
    fn enrolment(&self, secret: &TotpSecret, account: &str) -> (String, String, String);
}

/// Mints recovery codes and digests them for storage.
pub trait RecoveryCodeIssuer: Send + Sync {
    /// A new code.
    fn generate(&self) -> RecoveryCode;

    /// The stored form of `code` of account `user` under the current key.
    fn digest(&self, user: UserId, code: &RecoveryCode) -> RecoveryCodeDigest;

    /// Every stored form `code` may have (the current key's and each previous key's), to find it.
    fn candidates(&self, user: UserId, code: &RecoveryCode) -> Vec<RecoveryCodeDigest>;
}

/// Mints `mfa_token`s and digests them for storage.
pub trait MfaTokenIssuer: Send + Sync {
    /// A new unguessable token.
    fn generate(&self) -> MfaToken;

    /// Whether `token` has the shape of one this issuer makes: anything else is refused before
    /// it is hashed or looked up.
    fn recognises(&self, token: &str) -> bool;

    /// The stored form of a token.
    fn digest(&self, token: &str) -> MfaTokenDigest;
}

/// How strong a password is: whether it is one of the most common, and zxcvbn's score.
pub trait PasswordStrength: Send + Sync {
    /// Whether `password` is (case-insensitively) on the list of common passwords.
    fn is_common(&self, password: &str) -> bool;

    /// A score from 0 (guessable) to 4, knowing `context` (the email and its parts) is no
    /// secret.
    fn score(&self, password: &str, context: &[&str]) -> u8;
}

/// What [`SecondFactorStore::start_totp`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpStart {
    /// A new enrolment waits (any earlier waiting one is replaced).
    Started,
    /// TOTP is already on: nothing was written.
    AlreadyOn,
}

/// A confirmation of TOTP: the step its code proved, the new recovery codes, the session that
/// confirmed (it stays, now two-factor), and what is recorded and sent.
#[derive(Debug)]
pub struct TotpConfirmation<'a> {
    /// Whose.
    pub user: UserId,
    /// The step of the code that confirmed it.
    pub step: i64,
    /// The recovery codes, digested.
    pub codes: &'a [RecoveryCodeDigest],
    /// The confirming session: every other session of the account is revoked.
    pub keep: SessionId,
    /// The confirming session's new `amr`.
    pub session_amr: Amr,
    /// When.
    pub now: Timestamp,
    /// `mfa.enabled`.
    pub audit: &'a [AuditEvent],
    /// The owner's notice.
    pub mail: &'a [OutgoingMail],
}

/// What [`SecondFactorStore::confirm_totp`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpConfirmed {
    /// TOTP is on, the codes stored, the other sessions revoked.
    Confirmed,
    /// No enrolment waits (none, expired, already confirmed, or the step was used): nothing
    /// was written.
    NoEnrolment,
}

/// What [`SecondFactorStore::fail_challenge`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeFailure {
    /// Counted; the challenge takes more.
    Counted,
    /// That was its last: it is gone.
    Exhausted,
    /// It was gone already.
    Gone,
}

/// The second step a code answers: its challenge, used up in the code's own transaction while
/// it is live at `now`.
#[derive(Debug, Clone, Copy)]
pub struct Answering<'a> {
    /// The challenge's stored digest.
    pub challenge: &'a MfaTokenDigest,
    /// When the answer came.
    pub now: Timestamp,
}

/// Second factors, their use and the challenges between a sign-in's two steps. Every single use
/// is one conditional write, so of racing uses (on any number of instances) one wins.
pub trait SecondFactorStore: Send + Sync {
    /// The account's TOTP factor, confirmed or waiting.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn totp(&self, user: UserId) -> Result<Option<TotpFactor>, InfraError>;

    /// Starts (or restarts) an enrolment with `secret`, waiting until `expires_at`, unless TOTP
    /// is on.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn start_totp(&self, user: UserId, secret: &Sealed, expires_at: Timestamp) -> Result<TotpStart, InfraError>;

    /// Turns TOTP on, in one transaction: the waiting enrolment (unexpired, and `step` after
    /// its last) becomes confirmed at `step`, the recovery codes replace any others, every
    /// session but `keep` is revoked and `keep` gets its new `amr`, the events are recorded
    /// and the mail queued.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn confirm_totp(&self, confirmation: &TotpConfirmation<'_>) -> Result<TotpConfirmed, InfraError>;

    /// Accepts a code of `step` for the account: one conditional write that moves the last
    /// accepted step forward. `false` when a code of `step` or a later one was accepted before
    /// (also by a request racing this one), or TOTP is not on. With `answering`, the second
    /// step's challenge is used up in the same transaction, and `false` (nothing written) also
    /// when it is no longer live: a code is never spent on a sign-in that cannot finish.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn use_totp_step(&self, user: UserId, step: i64, answering: Option<Answering<'_>>) -> Result<bool, InfraError>;

    /// Uses up an unused recovery code stored as one of `candidates`, recording `audit` and
    /// queuing `mail` with it. `false` when none is (also when a racing request used it first).
    /// `answering` as for [`Self::use_totp_step`].
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn use_recovery_code(
        &self,
        user: UserId,
        candidates: &[RecoveryCodeDigest],
        now: Timestamp,
        answering: Option<Answering<'_>>,
        audit: &[AuditEvent],
        mail: &[OutgoingMail],
    ) -> Result<bool, InfraError>;

    /// What the account has: TOTP on and since when, unused recovery codes, passkeys.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn status(&self, user: UserId) -> Result<MfaStatus, InfraError>;

    /// Replaces every recovery code of the account with `codes`, records `audit` and queues
    /// `mail`, in one transaction. `false` when TOTP is not on (nothing written).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
        audit: &[AuditEvent],
        mail: &[OutgoingMail],
    ) -> Result<bool, InfraError>;

    /// Removes the account's TOTP factor and recovery codes (and with `passkeys` its passkeys
    /// too), records `audit` and queues `mail`, and with `revoke_sessions` ends every session, in
    /// one transaction. `false` when it had none of them (nothing written).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn remove_second_factors(
        &self,
        user: UserId,
        passkeys: bool,
        revoke_sessions: bool,
        now: Timestamp,
        audit: &[AuditEvent],
        mail: &[OutgoingMail],
    ) -> Result<bool, InfraError>;

    /// Stores a challenge between a sign-in's two steps.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn insert_challenge(&self, challenge: &MfaChallenge) -> Result<(), InfraError>;

    /// The challenge stored under `digest`.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find_challenge(&self, digest: &MfaTokenDigest) -> Result<Option<MfaChallenge>, InfraError>;

    /// Counts a wrong code against the challenge (one conditional write); the last one it takes
    /// deletes it. Records `audit` with it.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn fail_challenge(&self, digest: &MfaTokenDigest, audit: &[AuditEvent]) -> Result<ChallengeFailure, InfraError>;

    /// Uses the challenge up: one conditional delete of a live challenge. `false` when it was
    /// gone, expired or exhausted (also when a racing request used it first).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn consume_challenge(&self, digest: &MfaTokenDigest, now: Timestamp) -> Result<bool, InfraError>;

    /// Deletes challenges that expired before `now`.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn purge_challenges(&self, now: Timestamp) -> Result<u64, InfraError>;
}
