//! Registration, login, token refresh with rotation and reuse detection, logout, and turning an
//! access token into a [`Principal`].

use crate::error::InfraError;
use crate::model::{
    AccessClaims, Amr, CandidatePassword, Email, Password, PasswordError, PasswordHash, RefreshTokenState, Retirement, Role, Session,
    SessionId, SessionPolicy, Timestamp, TokenPair, User, UserId, UserName,
};
use crate::model::{AuditDetail, AuditEvent, AuditKind, Client};
use crate::ports::{Message, Rotation, TokenRejected, UniqueEmailError};
use crate::services::lockout::{Locked, Lockout};
use crate::services::password_policy::PasswordPolicy;
use crate::services::signin::{SecondProof, SecondStepError, SignIn, SignInOutcome};
use crate::services::{Ports, Principal};
use crate::services::{audit, links};
use chrono::Duration;
use std::sync::{Arc, OnceLock};

/// A new account's fields, parsed.
#[derive(Debug)]
pub struct Registration {
    /// Its email.
    pub email: Email,
    /// Its password, already checked against the hasher's limit.
    pub password: Password,
    /// Its display name.
    pub name: UserName,
}

/// Why registration failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Another account has this email.
    #[error("email already registered")]
    EmailTaken,
    /// The password policy refuses the password.
    #[error("the password {0}")]
    WeakPassword(PasswordError),
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why login failed. Unknown email, wrong password and deactivated account are one variant,
/// so no caller can tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The email and password do not name an active account.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many wrong passwords for this account in the lockout window: its password is not
    /// checked (even a right one) for this many seconds.
    #[error("too many failed logins; retry in {retry_after_secs} s")]
    Locked {
        /// Seconds until the window ends.
        retry_after_secs: u64,
    },
    /// The password is right but the address is not verified yet, and
    /// [`EmailPolicy::require_verified_email`](crate::model::EmailPolicy) is on.
    #[error("the email address must be verified before signing in")]
    EmailNotVerified,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why a refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Unknown token, or its session is over, or its user is deactivated.
    #[error("invalid refresh token")]
    InvalidToken,
    /// A retired token was presented again: its whole session has been revoked.
    #[error("refresh token reused; session revoked")]
    Reused,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why an access token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    /// The token is invalid, expired, or its session or user no longer allows access.
    #[error(transparent)]
    Rejected(#[from] TokenRejected),
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// An access token whose signature, claims and expiry have been checked, but not yet its
/// session: it grants nothing until [`AuthService::authenticate_verified`] turns it into a
/// [`Principal`]. Only [`AuthService::verify_access_token`] makes one.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    claims: AccessClaims,
}

impl VerifiedToken {
    /// The verified claims.
    pub fn claims(&self) -> &AccessClaims {
        &self.claims
    }
}

/// Accounts coming in and sessions going out.
#[derive(Debug, Clone)]
pub struct AuthService {
    ports: Ports,
    policy: SessionPolicy,
    lockout: Lockout,
    sign_in: SignIn,
    passwords: PasswordPolicy,
    /// Hash of a password nobody has, verified when the email is unknown so that path costs
    /// what a wrong password costs. Computed on first use: hashing at start-up would slow
    /// every process start by one full hash.
    dummy_hash: Arc<OnceLock<PasswordHash>>,
}

impl AuthService {
    /// Wires the service.
    pub(crate) fn new(ports: Ports, policy: SessionPolicy, sign_in: SignIn, passwords: PasswordPolicy) -> Self {
        Self { lockout: Lockout::new(ports.clone(), policy.lockout), ports, policy, sign_in, passwords, dummy_hash: Arc::default() }
    }

    /// The longest password, in bytes, the configured hasher takes: the edge uses it to parse
    /// a [`Password`].
    pub fn max_password_bytes(&self) -> usize {
        self.ports.hasher.max_password_bytes()
    }

    /// Creates an account with the `user` role.
    ///
    /// # Errors
    /// [`RegisterError::EmailTaken`] when the email is in use.
    pub fn register(&self, registration: Registration, client: &Client) -> Result<User, RegisterError> {
        self.passwords.check(&registration.password, &registration.email).map_err(RegisterError::WeakPassword)?;
        let now = self.ports.clock.now();
        let hash = self.ports.hasher.hash(&registration.password)?;
        let user = User {
            id: UserId::from_uuid(self.ports.ids.new_id()),
            email: registration.email,
            name: registration.name,
            role: Role::User,
            is_active: true,
            created_at: now,
            updated_at: now,
            email_verified: false,
            pending_email: None,
        };
        let registered = AuditEvent { user_id: Some(user.id), ..audit::event(&self.ports, AuditKind::UserRegistered, client) };
        let verify = links::verification(&self.ports, &self.policy.email, user.id, &user.email);
        match self.ports.links.insert_user_with_link(&user, &hash, &verify, &[registered]) {
            Ok(()) => Ok(user),
            Err(UniqueEmailError::EmailTaken(_)) => {
                if self.policy.email.conceal_registration {
                    self.tell_owner_of_taken(&user.email)?;
                }
                Err(RegisterError::EmailTaken)
            }
            Err(UniqueEmailError::Infra(e)) => Err(e.into()),
        }
    }

    /// With registration concealed, the owner of a taken address hears of the attempt (at most
    /// once per interval, so nobody can flood a mailbox through it).
    fn tell_owner_of_taken(&self, email: &Email) -> Result<(), InfraError> {
        if links::mail_allowed(&self.ports, &self.policy.email, "taken", email)? {
            self.ports.outbox.enqueue(&links::mail(&self.ports, email, &Message::AlreadyRegistered))?;
        }
        Ok(())
    }

    /// The first step by password: checks the credentials, then opens a session, or (two-step
    /// sign-in on) leaves the challenge of the second step. No password policy applies here. An
    /// unknown email still costs one verification (against a dummy hash), and a hash in an
    /// outdated format is replaced after a successful check.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for every kind of wrong credentials.
    pub fn login(&self, email: &str, password: &CandidatePassword, client: &Client) -> Result<SignInOutcome, LoginError> {
        // An email that does not parse names no account: nothing to lock, and no key to store.
        let email = Email::parse(email).ok();
        if let Some(email) = &email
            && let Err(Locked(retry_after_secs)) = self.lockout.reserve(email)?
        {
            let locked = self.ports.users.find_credentials(email)?.map(|(user, _)| user.id);
            self.ports.audit.record(&AuditEvent { user_id: locked, ..audit::event(&self.ports, AuditKind::LoginLocked, client) })?;
            return Err(LoginError::Locked { retry_after_secs });
        }
        let found = match &email {
            Some(email) => self.ports.users.find_credentials(email)?,
            None => None,
        };
        let Some((user, hash)) = found else {
            self.verify_dummy(password)?;
            // An unknown email's failure names no account (and costs the same write).
            self.ports.audit.record(&audit::event(&self.ports, AuditKind::LoginFailed, client))?;
            return Err(LoginError::InvalidCredentials);
        };
        let outdated = hash.is_set() && self.ports.hasher.needs_rehash(&hash);
        if !self.verify_stored(password, &hash)? || !user.is_active {
            // A hash from before a change of cost or algorithm costs what it cost then, not
            // what the dummy costs now: a refusal here must take at least as long as an
            // unknown email's, or the difference tells which emails have accounts. The
            // success path pays the same through the fresh hash it stores.
            if outdated {
                self.verify_dummy(password)?;
            }
            self.ports.audit.record(&AuditEvent { user_id: Some(user.id), ..audit::event(&self.ports, AuditKind::LoginFailed, client) })?;
            return Err(LoginError::InvalidCredentials);
        }
        self.lockout.succeeded(&user.email)?;
        if outdated {
            self.upgrade_hash(&user, password, &hash)?;
        }
        if self.policy.email.require_verified_email && !user.email_verified {
            self.ports.audit.record(&AuditEvent {
                user_id: Some(user.id),
                detail: AuditDetail::new().word("reason", "email_not_verified"),
                ..audit::event(&self.ports, AuditKind::LoginFailed, client)
            })?;
            return Err(LoginError::EmailNotVerified);
        }
        Ok(self.sign_in.first_step_done(&user, Amr::PASSWORD, AuditDetail::new().word("method", "password"), client)?)
    }

    /// The second step of a sign-in whose first step left a challenge: a TOTP or recovery code
    /// for the `mfa_token`.
    ///
    /// # Errors
    /// See [`SecondStepError`].
    pub fn second_step(&self, mfa_token: &str, proof: &SecondProof, client: &Client) -> Result<TokenPair, SecondStepError> {
        self.sign_in.second_step(mfa_token, proof, client)
    }

    /// The rules a new password meets, for clients to show.
    pub fn password_rules(&self) -> crate::services::PasswordRules {
        self.passwords.rules()
    }

    /// Exchanges a refresh token for a new pair. The presented token is retired; presenting
    /// any retired token of the session again revokes the whole session, except the token that
    /// was current until at most [`SessionPolicy::refresh_grace`] ago, which gets the pair of
    /// the same session its exchange made (a fresh access token, the same refresh token).
    ///
    /// # Errors
    /// [`RefreshError::InvalidToken`] or [`RefreshError::Reused`].
    pub fn refresh(&self, refresh_token: &str, client: &Client) -> Result<TokenPair, RefreshError> {
        let now = self.ports.clock.now();
        if !self.ports.refresh_tokens.recognises(refresh_token) {
            return Err(RefreshError::InvalidToken);
        }
        let presented = self.ports.refresh_tokens.digest(refresh_token);
        let Some((mut session, state)) = self.ports.sessions.find_by_refresh_digest(&presented)? else {
            return Err(RefreshError::InvalidToken);
        };
        if !session.is_live(now) {
            return Err(RefreshError::InvalidToken);
        }
        if let RefreshTokenState::Retired(retirement) = state {
            return self.presented_again(&session, refresh_token, &retirement, client);
        }
        let user = match self.ports.users.find(session.user_id)? {
            Some(user) if user.is_active => user,
            _ => {
                self.ports.sessions.revoke(session.id, now, &[])?;
                return Err(RefreshError::InvalidToken);
            }
        };
        let next = self.ports.refresh_tokens.generate();
        let next_digest = self.ports.refresh_tokens.digest(next.expose());
        let successor = self.ports.refresh_tokens.mask_successor(refresh_token, &next);
        if self.ports.sessions.rotate(session.id, &presented, &next_digest, &successor, now)? == Rotation::Stale {
            // Another request exchanged this token between our read and our write: this
            // presentation is its second use, judged as one (theft, or the grace window).
            let retirement = match self.ports.sessions.find_by_refresh_digest(&presented)? {
                Some((_, RefreshTokenState::Retired(retirement))) => retirement,
                _ => Retirement { at: None, successor: None },
            };
            return self.presented_again(&session, refresh_token, &retirement, client);
        }
        session.last_used_at = now;
        Ok(self.sign_in.token_pair(&user, &session, next)?)
    }

    /// A retired token presented again. Within the grace window, the token that was current
    /// until then gets the pair its exchange made, read back through the mask only it opens;
    /// anything else is theft: the session goes, and the event says so.
    fn presented_again(
        &self,
        session: &Session,
        refresh_token: &str,
        retirement: &Retirement,
        client: &Client,
    ) -> Result<TokenPair, RefreshError> {
        let now = self.ports.clock.now();
        if let Some(pair) = self.within_grace(session, refresh_token, retirement, now)? {
            return Ok(pair);
        }
        let stolen = AuditEvent {
            user_id: Some(session.user_id),
            session_id: Some(session.id),
            ..audit::event(&self.ports, AuditKind::RefreshReused, client)
        };
        self.ports.sessions.revoke(session.id, now, &[stolen])?;
        Err(RefreshError::Reused)
    }

    /// The pair for a token exchanged at most the grace window ago whose successor is still
    /// its session's current token; `None` when any of that does not hold.
    fn within_grace(
        &self,
        session: &Session,
        refresh_token: &str,
        retirement: &Retirement,
        now: Timestamp,
    ) -> Result<Option<TokenPair>, InfraError> {
        let grace = self.policy.refresh_grace;
        let (Some(at), Some(mask)) = (retirement.at, &retirement.successor) else { return Ok(None) };
        if grace <= Duration::zero() || at < now - grace {
            return Ok(None);
        }
        let Some(successor) = self.ports.refresh_tokens.unmask_successor(refresh_token, mask) else { return Ok(None) };
        let digest = self.ports.refresh_tokens.digest(successor.expose());
        match self.ports.sessions.find_by_refresh_digest(&digest)? {
            Some((current, RefreshTokenState::Current)) if current.id == session.id && current.is_live(now) => {
                match self.ports.users.find(current.user_id)? {
                    Some(user) if user.is_active => Ok(Some(self.sign_in.token_pair(&user, &current, successor)?)),
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    /// Ends the session a refresh token belongs to. Unknown, retired or dead tokens are not an
    /// error: the session is over either way.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn logout(&self, refresh_token: &str, client: &Client) -> Result<(), InfraError> {
        if !self.ports.refresh_tokens.recognises(refresh_token) {
            return Ok(());
        }
        let digest = self.ports.refresh_tokens.digest(refresh_token);
        if let Some((session, _)) = self.ports.sessions.find_by_refresh_digest(&digest)? {
            self.end_session(session.user_id, session.id, client)?;
        }
        Ok(())
    }

    /// Ends `user`'s session `id` (a logout, or a token presented for revocation), its event
    /// recorded only when this call ended it.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub(crate) fn end_session(&self, user: UserId, id: SessionId, client: &Client) -> Result<(), InfraError> {
        let ended = AuditEvent { user_id: Some(user), session_id: Some(id), ..audit::event(&self.ports, AuditKind::Logout, client) };
        self.ports.sessions.revoke(id, self.ports.clock.now(), &[ended])?;
        Ok(())
    }

    /// Ends every session of the caller, the current one included.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn logout_all(&self, principal: &Principal, client: &Client) -> Result<(), InfraError> {
        let ended = audit::own(&self.ports, AuditKind::LogoutAll, principal, client);
        self.ports.sessions.revoke_all(principal.user_id(), None, self.ports.clock.now(), &[ended])?;
        Ok(())
    }

    /// Ends every session of the caller but the one making the request.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn logout_others(&self, principal: &Principal, client: &Client) -> Result<(), InfraError> {
        let ended = AuditEvent {
            detail: AuditDetail::new().flag("kept_current", true),
            ..audit::own(&self.ports, AuditKind::LogoutAll, principal, client)
        };
        self.ports.sessions.revoke_all(principal.user_id(), principal.session_id(), self.ports.clock.now(), &[ended])?;
        Ok(())
    }

    /// Turns an access token into the caller: the token must verify, and its session must be
    /// live and its user active as stored now, so revocation takes effect at once. The same as
    /// [`verify_access_token`](Self::verify_access_token) followed by
    /// [`authenticate_verified`](Self::authenticate_verified).
    ///
    /// # Errors
    /// [`AuthenticateError::Rejected`] for any token that does not grant access.
    pub fn authenticate(&self, access_token: &str) -> Result<Principal, AuthenticateError> {
        let verified = self.verify_access_token(access_token)?;
        self.authenticate_verified(&verified)
    }

    /// The half of [`authenticate`](Self::authenticate) that touches no storage: signature,
    /// claims and expiry. Lets a caller refuse a forged or expired token before it does
    /// anything else, and look the session up later, together with the work it authorises.
    ///
    /// # Errors
    /// [`AuthenticateError::Rejected`] for a token that is invalid or expired.
    pub fn verify_access_token(&self, access_token: &str) -> Result<VerifiedToken, AuthenticateError> {
        let claims = self.ports.access_tokens.verify(access_token)?;
        if self.ports.clock.now() >= claims.expires_at {
            return Err(TokenRejected::Expired.into());
        }
        Ok(VerifiedToken { claims })
    }

    /// The half of [`authenticate`](Self::authenticate) that reads storage: the token's
    /// session must be live and its user active as stored now.
    ///
    /// # Errors
    /// [`AuthenticateError::Rejected`] when the session or user no longer grants access, or
    /// the token expired since it was verified.
    pub fn authenticate_verified(&self, token: &VerifiedToken) -> Result<Principal, AuthenticateError> {
        let claims = &token.claims;
        let now = self.ports.clock.now();
        if now >= claims.expires_at {
            return Err(TokenRejected::Expired.into());
        }
        let Some((session, user)) = self.ports.sessions.find_with_user(claims.session_id)? else {
            return Err(TokenRejected::Revoked.into());
        };
        if session.user_id != claims.user_id || user.id != claims.user_id {
            return Err(TokenRejected::Invalid.into());
        }
        if !session.is_live(now) || !user.is_active {
            return Err(TokenRejected::Revoked.into());
        }
        Ok(Principal::new(user, &session, self.policy.require_mfa_for_admins))
    }

    /// Checks `password` against a stored hash; an account without a password matches nothing,
    /// after the same work as a check (the dummy's), so its refusal looks like any other.
    fn verify_stored(&self, password: &CandidatePassword, hash: &PasswordHash) -> Result<bool, InfraError> {
        if hash.is_set() {
            return self.ports.hasher.verify(password, hash);
        }
        self.verify_dummy(password)?;
        Ok(false)
    }

    /// Verifies `password` against the hash of a password nobody has: the work a wrong
    /// password costs under the current settings.
    fn verify_dummy(&self, password: &CandidatePassword) -> Result<(), InfraError> {
        let dummy = match self.dummy_hash.get() {
            Some(hash) => hash,
            None => {
                let dummy = Password::new("gatehouse-dummy-password", self.ports.hasher.max_password_bytes())
                    .map_err(|e| InfraError::internal(format!("dummy password refused by policy: {e}")))?;
                let hash = self.ports.hasher.hash(&dummy)?;
                self.dummy_hash.get_or_init(|| hash)
            }
        };
        self.ports.hasher.verify(password, dummy)?;
        Ok(())
    }

    /// Stores a fresh hash of a password that just verified against an outdated `hash`, only
    /// if the stored hash is still that one: a password change that raced this login wins.
    fn upgrade_hash(&self, user: &User, password: &CandidatePassword, hash: &PasswordHash) -> Result<(), InfraError> {
        // A password set under an older policy may not meet today's; it keeps its old hash.
        if let Ok(password) = Password::new(password.expose(), self.ports.hasher.max_password_bytes()) {
            let fresh = self.ports.hasher.hash(&password)?;
            self.ports.users.upgrade_password_hash(user.id, hash, &fresh)?;
        }
        Ok(())
    }
}
