//! Passkeys: registering them (a fresh operation), listing, renaming and deleting them (never
//! the last way in), and the discoverable sign-in, whose answer is the first step of the one
//! sign-in flow. The passkey second step lives with the other second steps in
//! [`SignIn::second_step`](crate::services::signin). Every ceremony's challenge is kept
//! server-side and used up by its first answer.

use crate::error::InfraError;
use crate::model::{
    AuditDetail, AuditEvent, AuditKind, CandidatePassword, CeremonyPurpose, Client, EmailPolicy, MfaChallenge, Passkey, PasskeyChallenge,
    PasskeyId, PasskeyName, PasskeyRules, Timestamp,
};
use crate::ports::{CeremonyRejected, PasskeyAdded, PasskeyRemoved};
use crate::services::passkey_answer::{self, AnswerRefused, Expected};
use crate::services::reauth::{Proof, Reauth, ReauthError};
use crate::services::signin::{SignIn, SignInOutcome};
use crate::services::{Ports, Principal, audit};
use chrono::Duration;

/// A ceremony started: the id the answer comes back with, and the options for the browser.
#[derive(Debug, Clone)]
pub struct CeremonyOptions {
    /// The challenge's id (`challenge_id`).
    pub challenge_id: uuid::Uuid,
    /// WebAuthn's options, as JSON.
    pub options: String,
}

/// Why a passkey operation of the account's owner failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The fresh-session rule refused.
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    /// The challenge is unknown, used, expired or another's, or the authenticator's answer does
    /// not verify.
    #[error("the passkey answer was refused")]
    Refused,
    /// The account holds the most passkeys it may.
    #[error("an account holds at most {} passkeys", PasskeyRules::MAX_PER_ACCOUNT)]
    LimitReached,
    /// The credential is registered already.
    #[error("this passkey is registered already")]
    Duplicate,
    /// No such passkey of the caller's.
    #[error("not found")]
    NotFound,
    /// It is the account's last way to sign in.
    #[error("this passkey is the account's last way to sign in")]
    LastWayIn,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why a passkey sign-in (or its options) failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeySignInError {
    /// The challenge, the answer, the `mfa_token` or the account: refused, the reason not told.
    #[error("the passkey sign-in was refused")]
    Refused,
    /// `auth.require_verified_email` and the account's address is not verified.
    #[error("the email address is not verified")]
    EmailNotVerified,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl From<AnswerRefused> for PasskeySignInError {
    fn from(refused: AnswerRefused) -> Self {
        match refused {
            AnswerRefused::Refused => Self::Refused,
            AnswerRefused::Infra(e) => Self::Infra(e),
        }
    }
}

/// Passkeys of the signed-in account, and signing in with one.
#[derive(Debug, Clone)]
pub struct PasskeyService {
    ports: Ports,
    reauth: Reauth,
    sign_in: SignIn,
    email: EmailPolicy,
}

impl PasskeyService {
    pub(crate) fn new(ports: Ports, reauth: Reauth, sign_in: SignIn, email: EmailPolicy) -> Self {
        Self { ports, reauth, sign_in, email }
    }

    /// Starts registering a passkey for the caller (a fresh operation): creation options that
    /// exclude the account's passkeys, and their challenge.
    ///
    /// # Errors
    /// [`PasskeyError::Reauth`], [`PasskeyError::LimitReached`].
    pub fn start_registration(&self, principal: &Principal, current: Option<&CandidatePassword>) -> Result<CeremonyOptions, PasskeyError> {
        self.reauth.confirm(principal, current, Proof::Fresh)?;
        let existing = self.ports.passkeys.list(principal.user_id())?;
        if existing.len() >= PasskeyRules::MAX_PER_ACCOUNT as usize {
            return Err(PasskeyError::LimitReached);
        }
        let start = self.ports.ceremonies.registration(principal.user(), &existing)?;
        Ok(self.keep(CeremonyPurpose::Register(principal.user_id()), start)?)
    }

    /// Finishes a registration: the challenge is used up whatever the answer; a verified
    /// credential is stored under `name` (default "Passkey").
    ///
    /// # Errors
    /// [`PasskeyError::Refused`], [`PasskeyError::LimitReached`], [`PasskeyError::Duplicate`].
    pub fn register(
        &self,
        principal: &Principal,
        challenge_id: uuid::Uuid,
        answer: &str,
        name: Option<PasskeyName>,
        client: &Client,
    ) -> Result<Passkey, PasskeyError> {
        let now = self.ports.clock.now();
        let challenge = self.ports.passkeys.take_challenge(challenge_id)?.ok_or(PasskeyError::Refused)?;
        if challenge.purpose != CeremonyPurpose::Register(principal.user_id()) || !challenge.is_live(now) {
            return Err(PasskeyError::Refused);
        }
        let credential = self.ports.ceremonies.finish_registration(&challenge.state, answer).map_err(|e| match e {
            CeremonyRejected::Infra(e) => PasskeyError::Infra(e),
            CeremonyRejected::Invalid | CeremonyRejected::CounterRegressed => PasskeyError::Refused,
        })?;
        let passkey = Passkey {
            id: PasskeyId::from_uuid(self.ports.ids.new_id()),
            user_id: principal.user_id(),
            credential_id: credential.credential_id,
            name: name.unwrap_or_else(|| PasskeyName::parse("Passkey").expect("a valid default name")),
            credential: credential.credential,
            counter: credential.counter,
            backed_up: credential.backed_up,
            transports: credential.transports,
            created_at: now,
            last_used_at: None,
        };
        let added = AuditEvent {
            detail: AuditDetail::new().id("passkey_id", passkey.id.as_uuid()),
            ..audit::own(&self.ports, AuditKind::PasskeyAdded, principal, client)
        };
        match self.ports.passkeys.add(&passkey, &[added])? {
            PasskeyAdded::Added => Ok(passkey),
            PasskeyAdded::LimitReached => Err(PasskeyError::LimitReached),
            PasskeyAdded::Duplicate => Err(PasskeyError::Duplicate),
        }
    }

    /// The caller's passkeys, oldest first.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn list(&self, principal: &Principal) -> Result<Vec<Passkey>, InfraError> {
        self.ports.passkeys.list(principal.user_id())
    }

    /// Renames one of the caller's passkeys.
    ///
    /// # Errors
    /// [`PasskeyError::NotFound`].
    pub fn rename(&self, principal: &Principal, id: PasskeyId, name: &PasskeyName) -> Result<Passkey, PasskeyError> {
        self.ports.passkeys.rename(principal.user_id(), id, name)?.ok_or(PasskeyError::NotFound)
    }

    /// Deletes one of the caller's passkeys (a fresh operation), never the last way in.
    ///
    /// # Errors
    /// [`PasskeyError::Reauth`], [`PasskeyError::NotFound`], [`PasskeyError::LastWayIn`].
    pub fn remove(
        &self,
        principal: &Principal,
        current: Option<&CandidatePassword>,
        id: PasskeyId,
        client: &Client,
    ) -> Result<(), PasskeyError> {
        if !self.ports.passkeys.list(principal.user_id())?.iter().any(|p| p.id == id) {
            return Err(PasskeyError::NotFound);
        }
        self.reauth.confirm(principal, current, Proof::Fresh)?;
        let removed = AuditEvent {
            detail: AuditDetail::new().id("passkey_id", id.as_uuid()),
            ..audit::own(&self.ports, AuditKind::PasskeyRemoved, principal, client)
        };
        match self.ports.passkeys.remove(principal.user_id(), id, &[removed])? {
            PasskeyRemoved::Removed => Ok(()),
            PasskeyRemoved::NotFound => Err(PasskeyError::NotFound),
            PasskeyRemoved::LastWayIn => Err(PasskeyError::LastWayIn),
        }
    }

    /// Request options: without `mfa_token` a discoverable sign-in (no credentials listed);
    /// with one, the second step of that sign-in, listing its account's passkeys.
    ///
    /// # Errors
    /// [`PasskeySignInError::Refused`] for an `mfa_token` that is not live, or whose sign-in a
    /// passkey cannot finish (none registered, or its first step was a passkey).
    pub fn sign_in_options(&self, mfa_token: Option<&str>) -> Result<CeremonyOptions, PasskeySignInError> {
        let Some(token) = mfa_token else {
            let start = self.ports.ceremonies.sign_in(&[])?;
            return Ok(self.keep(CeremonyPurpose::SignIn, start)?);
        };
        let challenge = self.live_mfa_challenge(token)?.ok_or(PasskeySignInError::Refused)?;
        // The same kind of factor twice is not two.
        if challenge.first.has(crate::model::AuthMethod::Hwk) {
            return Err(PasskeySignInError::Refused);
        }
        let passkeys = self.ports.passkeys.list(challenge.user_id)?;
        if passkeys.is_empty() {
            return Err(PasskeySignInError::Refused);
        }
        let start = self.ports.ceremonies.sign_in(&passkeys)?;
        Ok(self.keep(CeremonyPurpose::SecondStep(challenge.user_id), start)?)
    }

    /// A discoverable sign-in's answer: the first step of the sign-in flow, two factors with
    /// user verification (`hwk user mfa`), one without (`hwk`).
    ///
    /// # Errors
    /// See [`PasskeySignInError`].
    pub fn sign_in(&self, challenge_id: uuid::Uuid, answer: &str, client: &Client) -> Result<SignInOutcome, PasskeySignInError> {
        let verified = passkey_answer::verify(&self.ports, challenge_id, answer, Expected::SignIn, client)?;
        let user = self.ports.users.find(verified.passkey.user_id)?.filter(|u| u.is_active).ok_or(PasskeySignInError::Refused)?;
        if self.email.require_verified_email && !user.email_verified {
            return Err(PasskeySignInError::EmailNotVerified);
        }
        let how = AuditDetail::new().word("method", "passkey").id("passkey_id", verified.passkey.id.as_uuid());
        Ok(self.sign_in.first_step_done(&user, PasskeyRules::amr(verified.assertion.user_verified), how, client)?)
    }

    fn live_mfa_challenge(&self, token: &str) -> Result<Option<MfaChallenge>, InfraError> {
        if !self.ports.mfa_tokens.recognises(token) {
            return Ok(None);
        }
        let now = self.ports.clock.now();
        Ok(self.ports.second_factors.find_challenge(&self.ports.mfa_tokens.digest(token))?.filter(|c| c.is_live(now)))
    }

    /// Stores a ceremony's state under a new challenge id.
    fn keep(&self, purpose: CeremonyPurpose, start: crate::ports::CeremonyStart) -> Result<CeremonyOptions, InfraError> {
        let challenge = PasskeyChallenge { id: self.ports.ids.new_id(), purpose, state: start.state, expires_at: self.expiry() };
        self.ports.passkeys.insert_challenge(&challenge)?;
        Ok(CeremonyOptions { challenge_id: challenge.id, options: start.options })
    }

    fn expiry(&self) -> Timestamp {
        self.ports.clock.now() + Duration::seconds(PasskeyRules::CHALLENGE_SECS)
    }
}
