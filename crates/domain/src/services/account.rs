//! The caller's own account: profile, password, deletion and sessions.

use crate::error::InfraError;
use crate::model::{CandidatePassword, Email, Page, PageRequest, Password, SessionId, SessionView, User, UserName};
use crate::ports::{PasswordWrite, ProfileChanges, UniqueEmailError, UserDelete, UserWrite};
use crate::services::{Ports, Principal, ResourceError};

/// A partial update of the caller's profile. Changing the email needs the current password.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    /// A new display name.
    pub name: Option<UserName>,
    /// A new email.
    pub email: Option<Email>,
    /// The current password, required when `email` changes.
    pub current_password: Option<CandidatePassword>,
}

/// Why a profile update failed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The email changes but no current password was given.
    #[error("current password required to change the email")]
    CurrentPasswordRequired,
    /// The current password is wrong.
    #[error("current password is wrong")]
    WrongPassword,
    /// Another account has the new email.
    #[error("email already registered")]
    EmailTaken,
    /// The account was deleted meanwhile.
    #[error("account not found")]
    NotFound,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why a password change failed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// The current password is wrong.
    #[error("current password is wrong")]
    WrongPassword,
    /// The account was deleted meanwhile.
    #[error("account not found")]
    AccountGone,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why deleting the caller's account failed.
#[derive(Debug, thiserror::Error)]
pub enum DeleteAccountError {
    /// The current password is wrong.
    #[error("current password is wrong")]
    WrongPassword,
    /// The account was deleted meanwhile.
    #[error("account not found")]
    AccountGone,
    /// The caller is the last active admin.
    #[error("the last active admin cannot be deleted")]
    LastActiveAdmin,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// The caller's own account.
#[derive(Clone)]
pub struct AccountService {
    ports: Ports,
}

impl AccountService {
    /// Wires the service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Changes name and/or email. An email equal to the current one is no change and needs
    /// no password.
    ///
    /// # Errors
    /// See [`ProfileError`].
    pub fn update_profile(&self, principal: &Principal, update: ProfileUpdate) -> Result<User, ProfileError> {
        let user = principal.user();
        let changes = ProfileChanges { name: update.name.filter(|n| *n != user.name), email: update.email.filter(|e| *e != user.email) };
        if changes.email.is_some() {
            let candidate = update.current_password.as_ref().ok_or(ProfileError::CurrentPasswordRequired)?;
            match self.password_matches(principal, candidate)? {
                Some(true) => {}
                Some(false) => return Err(ProfileError::WrongPassword),
                None => return Err(ProfileError::NotFound),
            }
        }
        if changes == ProfileChanges::default() {
            return Ok(user.clone());
        }
        // Only the named columns are written: an admin's change of role or activity made while
        // the password was being checked stays.
        match self.ports.users.update_profile(user.id, &changes, self.ports.clock.now()) {
            Ok(UserWrite::Updated(user)) => Ok(user),
            Ok(UserWrite::NotFound) => Err(ProfileError::NotFound),
            Err(UniqueEmailError::EmailTaken(_)) => Err(ProfileError::EmailTaken),
            Err(UniqueEmailError::Infra(e)) => Err(e.into()),
        }
    }

    /// Sets a new password and revokes every other session of the caller; the current one
    /// stays signed in.
    ///
    /// # Errors
    /// [`PasswordChangeError::WrongPassword`] when `current` is wrong.
    pub fn change_password(&self, principal: &Principal, current: &CandidatePassword, new: &Password) -> Result<(), PasswordChangeError> {
        match self.password_matches(principal, current)? {
            Some(true) => {}
            Some(false) => return Err(PasswordChangeError::WrongPassword),
            None => return Err(PasswordChangeError::AccountGone),
        }
        let now = self.ports.clock.now();
        let hash = self.ports.hasher.hash(new)?;
        if self.ports.users.set_password_hash(principal.user_id(), &hash, now)? == PasswordWrite::NotFound {
            return Err(PasswordChangeError::AccountGone);
        }
        self.ports.sessions.revoke_all(principal.user_id(), Some(principal.session_id()), now)?;
        Ok(())
    }

    /// Deletes the caller's account with everything it owns.
    ///
    /// # Errors
    /// [`DeleteAccountError::WrongPassword`], or [`DeleteAccountError::LastActiveAdmin`].
    pub fn delete_account(&self, principal: &Principal, current: &CandidatePassword) -> Result<(), DeleteAccountError> {
        match self.password_matches(principal, current)? {
            Some(true) => {}
            Some(false) => return Err(DeleteAccountError::WrongPassword),
            None => return Err(DeleteAccountError::AccountGone),
        }
        match self.ports.users.delete(principal.user_id())? {
            UserDelete::Deleted => Ok(()),
            UserDelete::NotFound => Err(DeleteAccountError::AccountGone),
            UserDelete::LastActiveAdmin => Err(DeleteAccountError::LastActiveAdmin),
        }
    }

    /// The caller's live sessions, most recently used first, marking the current one.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn sessions(&self, principal: &Principal, page: PageRequest) -> Result<Page<SessionView>, InfraError> {
        let sessions = self.ports.sessions.list_live(principal.user_id(), self.ports.clock.now(), page)?;
        Ok(sessions.map(|session| SessionView { current: session.id == principal.session_id(), session }))
    }

    /// Revokes one of the caller's sessions (the current one included).
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] when it is not a live session of the caller.
    pub fn revoke_session(&self, principal: &Principal, id: SessionId) -> Result<(), ResourceError> {
        let now = self.ports.clock.now();
        match self.ports.sessions.find_with_user(id)? {
            Some((session, _)) if session.user_id == principal.user_id() && session.is_live(now) => {
                self.ports.sessions.revoke(id, now)?;
                Ok(())
            }
            _ => Err(ResourceError::NotFound),
        }
    }

    /// Whether `candidate` is the caller's password; `None` when the account no longer exists
    /// (deleted while the request ran), which is not a wrong password.
    fn password_matches(&self, principal: &Principal, candidate: &CandidatePassword) -> Result<Option<bool>, InfraError> {
        self.ports.users.password_hash(principal.user_id())?.map(|hash| self.ports.hasher.verify(candidate, &hash)).transpose()
    }
}
