//! The check of an authenticator's sign-in answer, shared by the passkey sign-in and the
//! passkey second step so both refuse the same things: the challenge is taken (used up by its
//! first answer, right or wrong, on any instance) before anything else is looked at, must be
//! live and for this kind of sign-in; the credential must be registered (to the account the
//! second step is for); a discoverable sign-in's `userHandle` must name its owner; the signature
//! must verify; and the counter must move forward, a conditional write that also decides
//! between racing answers.

use crate::error::InfraError;
use crate::model::{AuditDetail, AuditEvent, AuditKind, CeremonyPurpose, Client, Passkey, PasskeyRules, UserId};
use crate::ports::{Assertion, CeremonyRejected, PasskeyUse};
use crate::services::{Ports, audit};

/// Which ceremony an answer must belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    /// A discoverable sign-in: any account's passkey.
    SignIn,
    /// The second step of this account's sign-in: only its passkeys.
    SecondStep(UserId),
}

/// A verified answer: the passkey that gave it and what it said.
#[derive(Debug)]
pub(crate) struct Verified {
    /// The passkey, as stored before this sign-in.
    pub passkey: Passkey,
    /// What the authenticator said (user verification, counter).
    pub assertion: Assertion,
}

/// Why an answer was not accepted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AnswerRefused {
    /// Any refusal the caller answers 401 to; the reason is recorded, never told.
    #[error("the passkey answer was refused")]
    Refused,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Checks `answer` to the challenge `challenge_id`, expecting `expected`, and records the
/// passkey's use. See the module's documentation for what is refused.
pub(crate) fn verify(
    ports: &Ports,
    challenge_id: uuid::Uuid,
    answer: &str,
    expected: Expected,
    client: &Client,
) -> Result<Verified, AnswerRefused> {
    let now = ports.clock.now();
    let challenge = ports.passkeys.take_challenge(challenge_id)?.ok_or(AnswerRefused::Refused)?;
    let purpose_fits = match (&challenge.purpose, expected) {
        (CeremonyPurpose::SignIn, Expected::SignIn) => true,
        (CeremonyPurpose::SecondStep(owner), Expected::SecondStep(user)) => *owner == user,
        _ => false,
    };
    if !purpose_fits || !challenge.is_live(now) {
        return Err(AnswerRefused::Refused);
    }
    let presented = ports.ceremonies.presented(answer).map_err(refused)?;
    let passkey = ports.passkeys.find_by_credential(&presented.credential_id)?.ok_or(AnswerRefused::Refused)?;
    let owner_bytes = passkey.user_id.as_uuid().as_bytes().to_vec();
    let handle_fits = match (expected, presented.user_handle) {
        // Without an account named beforehand, the authenticator's user handle says whose it is.
        (Expected::SignIn, handle) => handle.as_ref() == Some(&owner_bytes),
        (Expected::SecondStep(user), handle) => passkey.user_id == user && handle.is_none_or(|h| h == owner_bytes),
    };
    if !handle_fits {
        return Err(failed(ports, &passkey, "credential_mismatch", client)?);
    }
    let assertion = match ports.ceremonies.finish_sign_in(&challenge.state, answer, &passkey) {
        Ok(assertion) => assertion,
        Err(CeremonyRejected::CounterRegressed) => return Err(regressed(ports, &passkey, client)?),
        Err(CeremonyRejected::Invalid) => return Err(failed(ports, &passkey, "invalid_signature", client)?),
        Err(CeremonyRejected::Infra(e)) => return Err(e.into()),
    };
    if PasskeyRules::counter_regressed(passkey.counter, assertion.counter) {
        return Err(regressed(ports, &passkey, client)?);
    }
    let used = PasskeyUse { id: passkey.id, counter: assertion.counter, backed_up: assertion.backed_up, now };
    // A racing answer of a copy of this authenticator stored the same or a later counter first.
    if !ports.passkeys.record_use(used)? {
        return Err(regressed(ports, &passkey, client)?);
    }
    Ok(Verified { passkey, assertion })
}

fn refused(rejected: CeremonyRejected) -> AnswerRefused {
    match rejected {
        CeremonyRejected::Infra(e) => AnswerRefused::Infra(e),
        CeremonyRejected::Invalid | CeremonyRejected::CounterRegressed => AnswerRefused::Refused,
    }
}

/// Records a refused answer of a known passkey as a failed sign-in of its owner.
fn failed(ports: &Ports, passkey: &Passkey, reason: &'static str, client: &Client) -> Result<AnswerRefused, InfraError> {
    ports.audit.record(&AuditEvent {
        user_id: Some(passkey.user_id),
        detail: AuditDetail::new().word("method", "passkey").id("passkey_id", passkey.id.as_uuid()).word("reason", reason),
        ..audit::event(ports, AuditKind::LoginFailed, client)
    })?;
    Ok(AnswerRefused::Refused)
}

/// Records `passkey.counter_regressed`: the authenticator may have been cloned.
fn regressed(ports: &Ports, passkey: &Passkey, client: &Client) -> Result<AnswerRefused, InfraError> {
    ports.audit.record(&AuditEvent {
        user_id: Some(passkey.user_id),
        detail: AuditDetail::new().id("passkey_id", passkey.id.as_uuid()),
        ..audit::event(ports, AuditKind::PasskeyCounterRegressed, client)
    })?;
    Ok(AnswerRefused::Refused)
}
