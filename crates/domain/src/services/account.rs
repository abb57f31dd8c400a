//! The caller's own account: profile, password, deletion and sessions.

use crate::error::InfraError;
use crate::model::{
    AuditEvent, AuditFilter, AuditKind, CandidatePassword, Client, Email, EmailChangeMode, EmailPolicy, LinkIssue, LinkPurpose, Page,
    PageRequest, Password, PasswordError, SessionId, SessionView, User, UserName,
};
use crate::ports::{Message, PasswordWrite, ProfileChanges, UniqueEmailError, UserDelete, UserWrite};
use crate::services::audit;
use crate::services::links::{self, NewLink, new_link};
use crate::services::password_policy::PasswordPolicy;
use crate::services::reauth::{Proof, Reauth, ReauthError};
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

impl ProfileUpdate {
    /// Whether [`AccountService::update_profile`] may check a password for it (an email change
    /// with a current password given), so a caller can run it where password checks run.
    pub fn may_check_password(&self) -> bool {
        self.email.is_some() && self.current_password.is_some()
    }
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
    AccountGone,
    /// Too many wrong passwords for this account: not checked for this many seconds.
    #[error("too many wrong passwords; retry in {retry_after_secs} s")]
    Locked {
        /// Seconds until the lockout window ends.
        retry_after_secs: u64,
    },
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why a password change failed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// No current password, for an account that has one (or, without one, a session that is
    /// not fresh).
    #[error("current password required")]
    CurrentPasswordRequired,
    /// The current password is wrong.
    #[error("current password is wrong")]
    WrongPassword,
    /// The password policy refuses the new password.
    #[error("the new password {0}")]
    WeakPassword(PasswordError),
    /// The account was deleted meanwhile.
    #[error("account not found")]
    AccountGone,
    /// Too many wrong passwords for this account: not checked for this many seconds.
    #[error("too many wrong passwords; retry in {retry_after_secs} s")]
    Locked {
        /// Seconds until the lockout window ends.
        retry_after_secs: u64,
    },
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why deleting the caller's account failed.
#[derive(Debug, thiserror::Error)]
pub enum DeleteAccountError {
    /// No current password, for an account that has one (or, without one, a session that is
    /// not fresh).
    #[error("current password required")]
    CurrentPasswordRequired,
    /// The current password is wrong.
    #[error("current password is wrong")]
    WrongPassword,
    /// The account was deleted meanwhile.
    #[error("account not found")]
    AccountGone,
    /// The caller is the last active admin.
    #[error("the last active admin cannot be deleted")]
    LastActiveAdmin,
    /// Too many wrong passwords for this account: not checked for this many seconds.
    #[error("too many wrong passwords; retry in {retry_after_secs} s")]
    Locked {
        /// Seconds until the lockout window ends.
        retry_after_secs: u64,
    },
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// The same answers to a caller who did not prove it is them, in each operation's words.
macro_rules! from_reauth {
    ($($error:ident),*) => {$(
        impl From<ReauthError> for $error {
            fn from(e: ReauthError) -> Self {
                match e {
                    ReauthError::CurrentPasswordRequired => Self::CurrentPasswordRequired,
                    ReauthError::WrongPassword => Self::WrongPassword,
                    ReauthError::Locked { retry_after_secs } => Self::Locked { retry_after_secs },
                    ReauthError::AccountGone => Self::AccountGone,
                    ReauthError::Infra(e) => Self::Infra(e),
                }
            }
        }
    )*};
}
from_reauth!(ProfileError, PasswordChangeError, DeleteAccountError);

/// The caller's own account.
#[derive(Debug, Clone)]
pub struct AccountService {
    ports: Ports,
    email: EmailPolicy,
    reauth: Reauth,
    passwords: PasswordPolicy,
}

impl AccountService {
    /// Wires the service; `email` says how an email change is made, `reauth` how the caller
    /// proves it is them, `passwords` what a new password must be.
    pub(crate) fn new(ports: Ports, email: EmailPolicy, reauth: Reauth, passwords: PasswordPolicy) -> Self {
        Self { ports, email, reauth, passwords }
    }

    /// Changes name and/or email. An email equal to the current one is no change and needs
    /// no password, but cancels a pending email change (its link dies): the owner's way to
    /// undo a change someone else asked for with their password.
    ///
    /// # Errors
    /// See [`ProfileError`].
    pub fn update_profile(&self, principal: &Principal, update: ProfileUpdate, client: &Client) -> Result<User, ProfileError> {
        let user = principal.user();
        let cancel_pending_email = update.email.as_ref() == Some(&user.email) && user.pending_email.is_some();
        let changes = ProfileChanges {
            name: update.name.filter(|n| *n != user.name),
            email: update.email.filter(|e| *e != user.email),
            cancel_pending_email,
        };
        if changes.email.is_some() {
            self.reauth.confirm(principal, update.current_password.as_ref(), Proof::Password)?;
        }
        if changes == ProfileChanges::default() {
            return Ok(user.clone());
        }
        if let Some(new_email) = &changes.email
            && self.email.email_change == EmailChangeMode::Confirm
        {
            return self.request_email_change(principal, changes.name.as_ref(), new_email, client);
        }
        // A name is no security event; a new address is.
        let changed = changes.email.as_ref().map(|_| audit::own(&self.ports, AuditKind::EmailChanged, principal, client));
        // Only the named columns are written: an admin's change of role or activity made while
        // the password was being checked stays.
        match self.ports.users.update_profile(user.id, &changes, self.ports.clock.now(), changed.as_slice()) {
            Ok(UserWrite::Updated(user)) => Ok(user),
            Ok(UserWrite::NotFound) => Err(ProfileError::AccountGone),
            Err(UniqueEmailError::EmailTaken(_)) => Err(ProfileError::EmailTaken),
            Err(UniqueEmailError::Infra(e)) => Err(e.into()),
        }
    }

    /// An email change that waits for the new address to confirm: the account keeps its address
    /// and shows the new one as pending; the new address gets the link, the old one a notice.
    fn request_email_change(
        &self,
        principal: &Principal,
        name: Option<&UserName>,
        new_email: &Email,
        client: &Client,
    ) -> Result<User, ProfileError> {
        let user = principal.user();
        let NewLink { token, link } = new_link(&self.ports, user.id, LinkPurpose::EmailChange, new_email, self.email.email_change_ttl);
        let mail = vec![
            links::mail(&self.ports, new_email, &Message::ConfirmEmailChange { token: &token }),
            links::mail(&self.ports, &user.email, &Message::EmailChangeNotice { new_email }),
        ];
        let requested = audit::own(&self.ports, AuditKind::EmailChangeRequested, principal, client);
        let now = self.ports.clock.now();
        match self.ports.links.request_email_change(user.id, name, &LinkIssue { link, mail }, now, &[requested]) {
            Ok(UserWrite::Updated(user)) => Ok(user),
            Ok(UserWrite::NotFound) => Err(ProfileError::AccountGone),
            Err(UniqueEmailError::EmailTaken(_)) => Err(ProfileError::EmailTaken),
            Err(UniqueEmailError::Infra(e)) => Err(e.into()),
        }
    }

    /// Sets a new password and revokes every other session of the caller; the current one
    /// stays signed in. An account without a password (an invite taken up by a provider, say)
    /// sets its first one from a fresh session.
    ///
    /// # Errors
    /// [`PasswordChangeError::WrongPassword`] when `current` is wrong.
    pub fn change_password(
        &self,
        principal: &Principal,
        current: Option<&CandidatePassword>,
        new: &Password,
        client: &Client,
    ) -> Result<(), PasswordChangeError> {
        self.reauth.confirm(principal, current, Proof::Password)?;
        self.passwords.check(new, &principal.user().email).map_err(PasswordChangeError::WeakPassword)?;
        let now = self.ports.clock.now();
        let hash = self.ports.hasher.hash(new)?;
        let changed = audit::own(&self.ports, AuditKind::PasswordChanged, principal, client);
        let keep = principal.session_id();
        match self.ports.users.set_password_hash(principal.user_id(), &hash, keep, now, &[changed])? {
            PasswordWrite::NotFound => Err(PasswordChangeError::AccountGone),
            PasswordWrite::Replaced | PasswordWrite::Stale => Ok(()),
        }
    }

    /// Deletes the caller's account with everything it owns.
    ///
    /// # Errors
    /// [`DeleteAccountError::WrongPassword`], or [`DeleteAccountError::LastActiveAdmin`].
    pub fn delete_account(
        &self,
        principal: &Principal,
        current: Option<&CandidatePassword>,
        client: &Client,
    ) -> Result<(), DeleteAccountError> {
        self.reauth.confirm(principal, current, Proof::Password)?;
        let deleted = audit::own(&self.ports, AuditKind::UserDeleted, principal, client);
        match self.ports.users.delete(principal.user_id(), &[deleted])? {
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
        Ok(sessions.map(|session| SessionView { current: Some(session.id) == principal.session_id(), session }))
    }

    /// The security events of the caller's own account, newest first, as its owner sees them
    /// ([`AuditEvent::as_seen_by_owner`]).
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn events(&self, principal: &Principal, page: PageRequest) -> Result<Page<AuditEvent>, InfraError> {
        let events = self.ports.audit.list(&AuditFilter { user_id: Some(principal.user_id()), ..AuditFilter::default() }, page)?;
        Ok(events.map(AuditEvent::as_seen_by_owner))
    }

    /// Revokes one of the caller's sessions (the current one included).
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] when it is not a live session of the caller.
    pub fn revoke_session(&self, principal: &Principal, id: SessionId, client: &Client) -> Result<(), ResourceError> {
        let now = self.ports.clock.now();
        match self.ports.sessions.find_with_user(id)? {
            Some((session, _)) if session.user_id == principal.user_id() && session.is_live(now) => {
                let revoked = AuditEvent { session_id: Some(id), ..audit::own(&self.ports, AuditKind::SessionRevoked, principal, client) };
                self.ports.sessions.revoke(id, now, &[revoked])?;
                Ok(())
            }
            _ => Err(ResourceError::NotFound),
        }
    }
}
