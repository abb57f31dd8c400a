//! Sign-in as one flow with steps. A first step (a password, a passkey, a provider's sign-in)
//! proves one factor and ends here, in [`SignIn::first_step_done`]: an account with two-step
//! sign-in on gets a challenge (an `mfa_token`) and no session; any other gets its session.
//! A second step (a TOTP code, a recovery code, a passkey) answers the challenge in
//! [`SignIn::second_step`]. Every way in opens its session through [`SignIn::open_session`], so
//! none copies the session issuing and every session records how it signed in (`amr`).

use crate::error::InfraError;
use crate::model::{
    AccessClaims, Amr, AuditDetail, AuditEvent, AuditKind, AuthMethod, Client, MfaChallenge, MfaToken, OutgoingMail, RecoveryCode,
    RefreshToken, SecondFactor, SecondStepCode, Session, SessionId, SessionPolicy, TokenPair, TotpRules, User,
};
use crate::ports::{Answering, ChallengeFailure, Message};
use crate::services::lockout::{Locked, Lockout};
use crate::services::passkey_answer::{self, AnswerRefused, Expected};
use crate::services::{Ports, audit, links};
use chrono::Duration;

/// What a first step ended with.
#[derive(Debug)]
pub enum SignInOutcome {
    /// The account signed in: its session's tokens.
    Complete(TokenPair),
    /// The account has two-step sign-in on: no session yet, a second step is needed.
    SecondStep(SecondStepRequired),
}

/// The `mfa-required` answer: the token the second step presents, what may finish it, and how
/// long it has.
#[derive(Debug)]
pub struct SecondStepRequired {
    /// `gatehouse_mt_…`, shown this once.
    pub mfa_token: MfaToken,
    /// The second steps the account can take.
    pub methods: Vec<SecondFactor>,
    /// Seconds the token lives.
    pub expires_in: i64,
}

/// What a second step presents besides its `mfa_token`.
#[derive(Debug)]
pub enum SecondProof {
    /// A TOTP code or a recovery code.
    Code(SecondStepCode),
    /// A passkey's answer (`AuthenticationResponseJSON`) to the challenge `challenge_id` of
    /// `POST /auth/passkey/options` with this sign-in's `mfa_token`.
    Passkey {
        /// The ceremony's challenge.
        challenge_id: uuid::Uuid,
        /// The authenticator's answer.
        answer: String,
    },
}

/// Why a second step failed.
#[derive(Debug, thiserror::Error)]
pub enum SecondStepError {
    /// The `mfa_token` is unknown, used, expired or dead after too many wrong codes, or its
    /// account can no longer sign in.
    #[error("the mfa_token is invalid, used or expired")]
    InvalidToken,
    /// The code is wrong (or was used before: no code works twice).
    #[error("wrong code")]
    WrongCode,
    /// Too many wrong passwords and codes for this account: not checked for this many seconds.
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    Locked {
        /// Seconds until the lockout window ends.
        retry_after_secs: u64,
    },
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// The steps of signing in, and the issuing of sessions.
#[derive(Debug, Clone)]
pub(crate) struct SignIn {
    ports: Ports,
    policy: SessionPolicy,
    lockout: Lockout,
}

impl SignIn {
    pub(crate) fn new(ports: Ports, policy: SessionPolicy) -> Self {
        Self { lockout: Lockout::new(ports.clone(), policy.lockout), ports, policy }
    }

    /// A first step proved one factor (`first`, described by `how` in the event: the method and,
    /// for a provider's sign-in, the provider) for `user`, who may sign in: a session, or the
    /// challenge of a second step.
    pub(crate) fn first_step_done(&self, user: &User, first: Amr, how: AuditDetail, client: &Client) -> Result<SignInOutcome, InfraError> {
        let status = self.ports.second_factors.status(user.id)?;
        if !status.requires_second_step() || first.is_multi_factor() {
            return Ok(SignInOutcome::Complete(self.open_session(user, first, how, client)?));
        }
        let now = self.ports.clock.now();
        let token = self.ports.mfa_tokens.generate();
        let challenge = MfaChallenge {
            digest: self.ports.mfa_tokens.digest(token.expose()),
            user_id: user.id,
            first,
            created_at: now,
            expires_at: now + Duration::seconds(MfaChallenge::LIFETIME_SECS),
            failures: 0,
        };
        self.ports.second_factors.insert_challenge(&challenge)?;
        // The same kind of factor twice is not two: a passkey's sign-in is not finished by a passkey.
        let methods = status.methods().into_iter().filter(|m| !(first.has(AuthMethod::Hwk) && *m == SecondFactor::Passkey)).collect();
        Ok(SignInOutcome::SecondStep(SecondStepRequired { mfa_token: token, methods, expires_in: MfaChallenge::LIFETIME_SECS }))
    }

    /// Answers a first step's challenge. The factor and the challenge are used up in one
    /// transaction (a conditional write moving the code's time step, or spending the recovery
    /// code, and a conditional delete of the live challenge): of racing answers to one
    /// `mfa_token` exactly one opens a session, a code works once whatever challenge it answers,
    /// and no code is spent on a challenge that is gone. A wrong code counts against the challenge (five kill it)
    /// and, like every code checked, against the account's lockout before it is checked.
    ///
    /// # Errors
    /// See [`SecondStepError`].
    pub(crate) fn second_step(&self, mfa_token: &str, proof: &SecondProof, client: &Client) -> Result<TokenPair, SecondStepError> {
        let now = self.ports.clock.now();
        if !self.ports.mfa_tokens.recognises(mfa_token) {
            return Err(SecondStepError::InvalidToken);
        }
        let digest = self.ports.mfa_tokens.digest(mfa_token);
        let challenge =
            self.ports.second_factors.find_challenge(&digest)?.filter(|c| c.is_live(now)).ok_or(SecondStepError::InvalidToken)?;
        let user = self.ports.users.find(challenge.user_id)?.filter(|u| u.is_active).ok_or(SecondStepError::InvalidToken)?;
        if let Err(Locked(retry_after_secs)) = self.lockout.reserve(&user.email)? {
            return Err(SecondStepError::Locked { retry_after_secs });
        }
        let used = match proof {
            SecondProof::Code(code) => self.use_code(&user, code, client, Some(Answering { challenge: &digest, now }))?,
            SecondProof::Passkey { challenge_id, answer } => self.use_passkey(&user, &challenge, *challenge_id, answer, client)?,
        };
        let Some(method) = used else {
            let failed = AuditEvent { user_id: Some(user.id), ..audit::event(&self.ports, AuditKind::MfaFailed, client) };
            if self.ports.second_factors.fail_challenge(&digest, &[failed])? == ChallengeFailure::Gone {
                return Err(SecondStepError::InvalidToken);
            }
            return Err(SecondStepError::WrongCode);
        };
        self.lockout.succeeded(&user.email)?;
        let amr = challenge.first.then(if method == SecondFactor::Passkey { AuthMethod::Hwk } else { AuthMethod::Otp });
        Ok(self.open_session(&user, amr, AuditDetail::new().word("method", method.as_str()), client)?)
    }

    /// Checks a passkey's answer as the second step of `challenge` (never after a passkey's
    /// first step: the same kind of factor twice is not two) and, when it verifies, uses the
    /// challenge up (a conditional delete: of racing answers one opens the session). `None` when
    /// it is refused.
    fn use_passkey(
        &self,
        user: &User,
        challenge: &MfaChallenge,
        challenge_id: uuid::Uuid,
        answer: &str,
        client: &Client,
    ) -> Result<Option<SecondFactor>, SecondStepError> {
        if challenge.first.has(AuthMethod::Hwk) {
            return Ok(None);
        }
        match passkey_answer::verify(&self.ports, challenge_id, answer, Expected::SecondStep(user.id), client) {
            Ok(_) if self.ports.second_factors.consume_challenge(&challenge.digest, self.ports.clock.now())? => {
                Ok(Some(SecondFactor::Passkey))
            }
            Ok(_) => Err(SecondStepError::InvalidToken),
            Err(AnswerRefused::Refused) => Ok(None),
            Err(AnswerRefused::Infra(e)) => Err(e.into()),
        }
    }

    /// Uses `code` of `user` up: a TOTP code moves the account's last accepted step forward, a
    /// recovery code is spent (its event recorded and its owner told); with `answering`, the
    /// second step's challenge goes with it. `None` when it is wrong, was used before, or the
    /// challenge is gone. The lockout is the caller's.
    pub(crate) fn use_code(
        &self,
        user: &User,
        code: &SecondStepCode,
        client: &Client,
        answering: Option<Answering<'_>>,
    ) -> Result<Option<SecondFactor>, InfraError> {
        let now = self.ports.clock.now();
        let factors = &self.ports.second_factors;
        match code {
            SecondStepCode::Totp(code) => {
                let Some(factor) = factors.totp(user.id)?.filter(|f| f.is_on()) else { return Ok(None) };
                let secret = crate::model::TotpSecret::new(self.ports.sealer.open(&factor.secret, user.id.as_uuid().as_bytes())?);
                // Every accepted step is computed (no early exit tells which matched).
                let matched = TotpRules::accepted_steps(now)
                    .filter(|step| *step > factor.last_step)
                    .map(|step| (step, code.matches(&self.ports.otp.code(&secret, step))))
                    .fold(None, |found, (step, hit)| if hit && found.is_none() { Some(step) } else { found });
                match matched {
                    Some(step) if factors.use_totp_step(user.id, step, answering)? => Ok(Some(SecondFactor::Totp)),
                    _ => Ok(None),
                }
            }
            SecondStepCode::Recovery(code) => {
                let used = AuditEvent { user_id: Some(user.id), ..audit::event(&self.ports, AuditKind::MfaRecoveryCodeUsed, client) };
                let notice = self.notice(user, Message::RecoveryCodeUsed);
                let candidates = self.ports.recovery_codes.candidates(user.id, code);
                Ok(factors
                    .use_recovery_code(user.id, &candidates, now, answering, &[used], &[notice])?
                    .then_some(SecondFactor::RecoveryCode))
            }
        }
    }

    /// Ten new recovery codes for `user`, with their stored forms.
    pub(crate) fn new_recovery_codes(&self, user: &User) -> (Vec<RecoveryCode>, Vec<crate::model::RecoveryCodeDigest>) {
        let codes: Vec<RecoveryCode> = (0..RecoveryCode::PER_ACCOUNT).map(|_| self.ports.recovery_codes.generate()).collect();
        let digests = codes.iter().map(|c| self.ports.recovery_codes.digest(user.id, c)).collect();
        (codes, digests)
    }

    /// A security notice to `user`'s address, ready for the outbox.
    pub(crate) fn notice(&self, user: &User, message: Message<'_>) -> OutgoingMail {
        links::mail(&self.ports, &user.email, &message)
    }

    /// Opens a session of `user` that signed in with `amr`, its `login.succeeded` event saying
    /// `how` (the method) and the `amr`; revokes the oldest beyond the limit.
    pub(crate) fn open_session(&self, user: &User, amr: Amr, how: AuditDetail, client: &Client) -> Result<TokenPair, InfraError> {
        let now = self.ports.clock.now();
        let session = Session {
            id: SessionId::from_uuid(self.ports.ids.new_id()),
            user_id: user.id,
            created_at: now,
            last_used_at: now,
            expires_at: now + self.policy.session_ttl,
            revoked_at: None,
            user_agent: client.user_agent.clone(),
            amr,
        };
        let refresh = self.ports.refresh_tokens.generate();
        let opened = AuditEvent {
            user_id: Some(user.id),
            session_id: Some(session.id),
            detail: how.words("amr", amr.methods().map(AuthMethod::as_str)),
            ..audit::event(&self.ports, AuditKind::LoginSucceeded, client)
        };
        self.ports.sessions.insert(&session, &self.ports.refresh_tokens.digest(refresh.expose()), &[opened])?;
        self.ports.sessions.revoke_oldest_beyond(user.id, self.policy.max_sessions_per_user, now)?;
        self.token_pair(user, &session, refresh)
    }

    /// The token pair of `session` (which keeps its `amr`): an access token that never outlives
    /// the session, and `refresh_token`.
    pub(crate) fn token_pair(&self, user: &User, session: &Session, refresh_token: RefreshToken) -> Result<TokenPair, InfraError> {
        let now = session.last_used_at;
        let expires_at = (now + self.policy.access_ttl).min(session.expires_at);
        let claims = AccessClaims {
            user_id: user.id,
            session_id: session.id,
            role: user.role,
            issued_at: now,
            expires_at,
            token_id: self.ports.ids.new_id(),
            amr: session.amr,
        };
        Ok(TokenPair {
            access_token: self.ports.access_tokens.issue(&claims)?,
            refresh_token,
            expires_in: (expires_at - now).num_seconds(),
            refresh_expires_in: (session.expires_at - now).num_seconds(),
        })
    }
}
