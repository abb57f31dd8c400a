//! The owner's two-step sign-in: enrolment in TOTP with its confirmation, turning it off, new
//! recovery codes, and the status. Every code goes through the account's lockout before it is
//! checked, and works once ([`SignIn::use_code`]).

use crate::error::InfraError;
use crate::model::{
    AttemptPolicy, AuditKind, AuthMethod, CandidatePassword, Client, MfaStatus, OtpCode, RecoveryCode, SecondStepCode, TotpEnrolment,
    TotpRules, TotpSecret,
};
use crate::ports::{Message, TotpConfirmation, TotpConfirmed, TotpStart};
use crate::services::lockout::{Locked, Lockout};
use crate::services::reauth::{Proof, Reauth, ReauthError};
use crate::services::signin::SignIn;
use crate::services::{Ports, Principal, audit};
use chrono::Duration;
use secrecy::SecretString;

/// Why a two-step sign-in operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// The caller's session is not fresh and no right `current_password` was given.
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    /// TOTP is on already: turn it off first.
    #[error("two-step sign-in is already on")]
    AlreadyOn,
    /// No enrolment waits for a code (none was started, or it expired after 10 minutes).
    #[error("no enrolment waits for a code: start one first")]
    NoEnrolment,
    /// Two-step sign-in is off.
    #[error("two-step sign-in is off")]
    NotOn,
    /// The code is wrong, or was used before.
    #[error("the code is wrong or was used before")]
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

/// How long an enrolment waits for its confirming code.
const ENROLMENT_MINUTES: i64 = 10;

/// The caller's second factors.
#[derive(Debug, Clone)]
pub struct MfaService {
    ports: Ports,
    reauth: Reauth,
    lockout: Lockout,
    sign_in: SignIn,
}

impl MfaService {
    pub(crate) fn new(ports: Ports, lockout: AttemptPolicy, reauth: Reauth, sign_in: SignIn) -> Self {
        Self { lockout: Lockout::new(ports.clone(), lockout), ports, reauth, sign_in }
    }

    /// The caller's second factors.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn status(&self, principal: &Principal) -> Result<MfaStatus, InfraError> {
        self.ports.second_factors.status(principal.user_id())
    }

    /// Starts (or restarts) an enrolment in TOTP: a new secret, sealed at rest, waiting 10
    /// minutes for a code that confirms it. Fresh session.
    ///
    /// # Errors
    /// [`MfaError::Reauth`], or [`MfaError::AlreadyOn`].
    pub fn start_totp(&self, principal: &Principal, current: Option<&CandidatePassword>) -> Result<TotpEnrolment, MfaError> {
        self.reauth.confirm(principal, current, Proof::Fresh)?;
        let user = principal.user();
        let secret = self.ports.otp.new_secret();
        let sealed = self.ports.sealer.seal(secret.expose(), user.id.as_uuid().as_bytes())?;
        let expires_at = self.ports.clock.now() + Duration::minutes(ENROLMENT_MINUTES);
        if self.ports.second_factors.start_totp(user.id, &sealed, expires_at)? == TotpStart::AlreadyOn {
            return Err(MfaError::AlreadyOn);
        }
        let (base32, uri, qr_svg) = self.ports.otp.enrolment(&secret, user.email.as_str());
        Ok(TotpEnrolment { secret: SecretString::from(base32), otpauth_uri: SecretString::from(uri), qr_svg, expires_at })
    }

    /// Confirms the waiting enrolment with a code of its secret: two-step sign-in is on, ten
    /// recovery codes are made (returned this once, stored as hashes), every other session of the
    /// account ends and the confirming one counts as two-factor from its next refresh.
    ///
    /// # Errors
    /// [`MfaError::NoEnrolment`], [`MfaError::WrongCode`] or [`MfaError::Locked`].
    pub fn confirm_totp(&self, principal: &Principal, code: &OtpCode, client: &Client) -> Result<Vec<RecoveryCode>, MfaError> {
        let user = principal.user();
        // Only a session confirms (the edge refuses a token this before): it is the one kept.
        let Some(keep) = principal.session_id() else { return Err(MfaError::NoEnrolment) };
        let now = self.ports.clock.now();
        let factor =
            self.ports.second_factors.totp(user.id)?.filter(|f| !f.is_on() && now < f.enrolment_expires_at).ok_or(MfaError::NoEnrolment)?;
        self.count_code(principal)?;
        let secret = TotpSecret::new(self.ports.sealer.open(&factor.secret, user.id.as_uuid().as_bytes())?);
        let step = TotpRules::accepted_steps(now)
            .filter(|step| *step > factor.last_step)
            .map(|step| (step, code.matches(&self.ports.otp.code(&secret, step))))
            .fold(None, |found, (step, hit)| if hit && found.is_none() { Some(step) } else { found })
            .ok_or(MfaError::WrongCode)?;
        let (codes, digests) = self.sign_in.new_recovery_codes(user);
        let enabled = audit::own(&self.ports, AuditKind::MfaEnabled, principal, client);
        let confirmation = TotpConfirmation {
            user: user.id,
            step,
            codes: &digests,
            keep,
            session_amr: principal.amr().then(AuthMethod::Otp),
            now,
            audit: &[enabled],
            mail: &[self.sign_in.notice(user, Message::MfaEnabled)],
        };
        match self.ports.second_factors.confirm_totp(&confirmation)? {
            TotpConfirmed::Confirmed => {
                self.lockout.succeeded(&user.email)?;
                Ok(codes)
            }
            // A racing confirmation, or a code of a step the account used already.
            TotpConfirmed::NoEnrolment => Err(MfaError::NoEnrolment),
        }
    }

    /// Turns two-step sign-in off with a current code (or an unused recovery code): the TOTP
    /// secret and the recovery codes are deleted, the owner is told. Fresh session.
    ///
    /// # Errors
    /// [`MfaError::Reauth`], [`MfaError::NotOn`], [`MfaError::WrongCode`] or [`MfaError::Locked`].
    pub fn disable(
        &self,
        principal: &Principal,
        current: Option<&CandidatePassword>,
        code: &SecondStepCode,
        client: &Client,
    ) -> Result<(), MfaError> {
        self.reauth.confirm(principal, current, Proof::Fresh)?;
        self.require_code(principal, code, client)?;
        let user = principal.user();
        let disabled = audit::own(&self.ports, AuditKind::MfaDisabled, principal, client);
        let notice = self.sign_in.notice(user, Message::MfaDisabled);
        let now = self.ports.clock.now();
        // Passkeys stay: they are a way in of their own, not the two-step sign-in.
        self.ports.second_factors.remove_second_factors(user.id, false, false, now, &[disabled], &[notice])?;
        Ok(())
    }

    /// Ten new recovery codes for a current code (or an unused recovery code); the old ones die.
    /// Fresh session.
    ///
    /// # Errors
    /// [`MfaError::Reauth`], [`MfaError::NotOn`], [`MfaError::WrongCode`] or [`MfaError::Locked`].
    pub fn regenerate_recovery_codes(
        &self,
        principal: &Principal,
        current: Option<&CandidatePassword>,
        code: &SecondStepCode,
        client: &Client,
    ) -> Result<Vec<RecoveryCode>, MfaError> {
        self.reauth.confirm(principal, current, Proof::Fresh)?;
        self.require_code(principal, code, client)?;
        let user = principal.user();
        let (codes, digests) = self.sign_in.new_recovery_codes(user);
        let regenerated = audit::own(&self.ports, AuditKind::MfaRecoveryCodesRegenerated, principal, client);
        let notice = self.sign_in.notice(user, Message::RecoveryCodesRegenerated);
        if !self.ports.second_factors.replace_recovery_codes(user.id, &digests, &[regenerated], &[notice])? {
            return Err(MfaError::NotOn);
        }
        Ok(codes)
    }

    /// TOTP must be on, and `code` one of its codes (or a recovery code), used up here.
    fn require_code(&self, principal: &Principal, code: &SecondStepCode, client: &Client) -> Result<(), MfaError> {
        let user = principal.user();
        if !self.ports.second_factors.status(user.id)?.totp {
            return Err(MfaError::NotOn);
        }
        self.count_code(principal)?;
        if self.sign_in.use_code(user, code, client, None)?.is_none() {
            return Err(MfaError::WrongCode);
        }
        self.lockout.succeeded(&user.email)?;
        Ok(())
    }

    /// Counts a code check against the account's lockout, before it is checked.
    fn count_code(&self, principal: &Principal) -> Result<(), MfaError> {
        match self.lockout.reserve(&principal.user().email)? {
            Ok(()) => Ok(()),
            Err(Locked(retry_after_secs)) => Err(MfaError::Locked { retry_after_secs }),
        }
    }
}
