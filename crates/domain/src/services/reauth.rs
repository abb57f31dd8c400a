//! The fresh-session rule, in one place for every sensitive operation: the caller proves it is
//! still them with the account's current password, or by having signed in (a login, a second
//! step, a passkey or a provider's sign-in, never a refresh) within the fresh window.

use crate::error::InfraError;
use crate::model::{AttemptPolicy, CandidatePassword};
use crate::services::lockout::{Locked, Lockout};
use crate::services::{Ports, Principal};
use chrono::Duration;

/// Why the caller was not let through.
#[derive(Debug, thiserror::Error)]
pub enum ReauthError {
    /// No `current_password`, and the session is not fresh (or the operation needs the password
    /// of an account that has one).
    #[error("current password required")]
    CurrentPasswordRequired,
    /// The `current_password` given is wrong (an account without a password has no right one).
    #[error("current password is wrong")]
    WrongPassword,
    /// Too many wrong passwords for this account: not checked for this many seconds.
    #[error("too many wrong passwords; retry in {retry_after_secs} s")]
    Locked {
        /// Seconds until the lockout window ends.
        retry_after_secs: u64,
    },
    /// The account was deleted meanwhile.
    #[error("account not found")]
    AccountGone,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// What an operation asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A fresh session: the current password, or a sign-in within the window (v1.2's *fresh*
    /// operations: factors, tokens, identities).
    Fresh,
    /// The current password when the account has one; an account without (an invite taken up
    /// by a provider's sign-in, say) shows a fresh session instead (v1's email change, password
    /// change and deletion).
    Password,
}

/// Checks a caller's proof: the account's lockout counts every password it checks, before it
/// checks it, whatever the operation.
#[derive(Debug, Clone)]
pub(crate) struct Reauth {
    ports: Ports,
    lockout: Lockout,
    window: Duration,
}

impl Reauth {
    pub(crate) fn new(ports: Ports, lockout: AttemptPolicy, window: Duration) -> Self {
        Self { lockout: Lockout::new(ports.clone(), lockout), ports, window }
    }

    /// Whether the caller's session signed in at most the window ago.
    pub(crate) fn is_fresh(&self, principal: &Principal) -> bool {
        principal.signed_in_at().is_some_and(|at| self.ports.clock.now() - at <= self.window)
    }

    /// Lets the caller through on `proof`: a `current` password that is present is always
    /// checked (and counted), whatever the session.
    ///
    /// # Errors
    /// See [`ReauthError`].
    pub(crate) fn confirm(&self, principal: &Principal, current: Option<&CandidatePassword>, proof: Proof) -> Result<(), ReauthError> {
        if let Some(candidate) = current {
            return self.check_password(principal, candidate);
        }
        if proof == Proof::Password {
            let hash = self.ports.users.password_hash(principal.user_id())?.ok_or(ReauthError::AccountGone)?;
            if hash.is_set() {
                return Err(ReauthError::CurrentPasswordRequired);
            }
        }
        if self.is_fresh(principal) { Ok(()) } else { Err(ReauthError::CurrentPasswordRequired) }
    }

    /// Checks `candidate` against the caller's password, through the account's lockout.
    fn check_password(&self, principal: &Principal, candidate: &CandidatePassword) -> Result<(), ReauthError> {
        if let Err(Locked(retry_after_secs)) = self.lockout.reserve(&principal.user().email)? {
            return Err(ReauthError::Locked { retry_after_secs });
        }
        // `None`: the account was deleted while the request ran, which is not a wrong password.
        let hash = self.ports.users.password_hash(principal.user_id())?.ok_or(ReauthError::AccountGone)?;
        if !hash.is_set() || !self.ports.hasher.verify(candidate, &hash)? {
            return Err(ReauthError::WrongPassword);
        }
        self.lockout.succeeded(&principal.user().email)?;
        Ok(())
    }
}
