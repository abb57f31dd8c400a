//! Administration of accounts, and the command-line path that creates or recovers an admin.

use crate::error::InfraError;
use crate::model::{
    AuditDetail, AuditEvent, AuditFilter, AuditKind, Client, Email, EmailPolicy, LinkIssue, LinkPurpose, Page, PageRequest, Password,
    PasswordHash, Role, User, UserId, UserName,
};
use crate::ports::{AdminChanges, AdminWrite, Message, UniqueEmailError, UserDelete};
use crate::services::links::{NewLink, mail, new_link};
use crate::services::password_policy::PasswordPolicy;
use crate::services::{Ports, Principal, audit};

/// An admin's invite: the account to create. Its owner sets the password through the link.
#[derive(Debug)]
pub struct Invite {
    /// The address the link goes to.
    pub email: Email,
    /// The display name.
    pub name: UserName,
    /// The role, `user` unless named.
    pub role: Role,
}

/// An admin's partial update of an account.
#[derive(Debug, Default)]
pub struct AdminUpdate {
    /// A new display name.
    pub name: Option<UserName>,
    /// A new role.
    pub role: Option<Role>,
    /// Activate or deactivate; deactivation revokes every session of the account.
    pub is_active: Option<bool>,
}

/// Why the command line could not create an admin.
#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    /// The password policy refuses the password.
    #[error("the password {0}")]
    WeakPassword(crate::model::PasswordError),
    /// Another process registered the email meanwhile.
    #[error("email already registered")]
    EmailTaken,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

impl From<UniqueEmailError> for CreateAdminError {
    fn from(e: UniqueEmailError) -> Self {
        match e {
            UniqueEmailError::EmailTaken(_) => Self::EmailTaken,
            UniqueEmailError::Infra(e) => Self::Infra(e),
        }
    }
}

/// Why an administrative operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The caller is not an admin (or, for a second-factor reset, is the account itself).
    #[error("admin role required")]
    Forbidden,
    /// The caller is an admin whose session is not two-factor while
    /// `auth.require_mfa_for_admins` is on.
    #[error("an admin must sign in with two-step sign-in for this")]
    MfaEnrolmentRequired,
    /// No such account (or, for a non-admin, not the caller's own).
    #[error("user not found")]
    NotFound,
    /// The change would leave no active admin.
    #[error("the last active admin cannot be demoted, deactivated or deleted")]
    LastActiveAdmin,
    /// Another account has this email (an invite).
    #[error("email already registered")]
    EmailTaken,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// What `create_admin` did.
#[derive(Debug)]
pub enum CreatedAdmin {
    /// A new admin account.
    Created(User),
    /// An existing account, now an active admin with the given password and no sessions.
    Promoted(User),
}

/// Administration of accounts.
#[derive(Debug, Clone)]
pub struct AdminService {
    ports: Ports,
    email: EmailPolicy,
    passwords: PasswordPolicy,
}

impl AdminService {
    /// Wires the service; invites follow `email`'s link lifetime, a new admin's password
    /// `passwords`.
    pub fn new(ports: Ports, email: EmailPolicy, passwords: PasswordPolicy) -> Self {
        Self { ports, email, passwords }
    }

    /// Creates an unverified account with no password anyone knows and emails its owner a
    /// link to set one (the reset flow, living `invite_ttl`). Admins only.
    ///
    /// # Errors
    /// [`AdminError::Forbidden`] for a non-admin, [`AdminError::EmailTaken`] for a used address.
    pub fn invite(&self, principal: &Principal, invite: Invite, client: &Client) -> Result<User, AdminError> {
        require_admin(principal)?;
        let now = self.ports.clock.now();
        // No password until its owner sets one through the link: every login path treats the
        // account as any wrong password, and a reset request sends a new invite.
        let hash = PasswordHash::none();
        let user = User {
            id: UserId::from_uuid(self.ports.ids.new_id()),
            email: invite.email,
            name: invite.name,
            role: invite.role,
            is_active: true,
            created_at: now,
            updated_at: now,
            email_verified: false,
            pending_email: None,
        };
        let NewLink { token, link } = new_link(&self.ports, user.id, LinkPurpose::Reset, &user.email, self.email.invite_ttl);
        let issue = LinkIssue { mail: vec![mail(&self.ports, &user.email, &Message::Invite { token: &token })], link };
        let invited = AuditEvent {
            detail: AuditDetail::new().word("role", user.role.as_str()),
            ..audit::by_admin(&self.ports, AuditKind::UserInvited, principal, user.id, client)
        };
        match self.ports.links.insert_user_with_link(&user, &hash, &issue, &[invited]) {
            Ok(()) => Ok(user),
            Err(UniqueEmailError::EmailTaken(_)) => Err(AdminError::EmailTaken),
            Err(UniqueEmailError::Infra(e)) => Err(e.into()),
        }
    }

    /// Every account, oldest first. Admins only.
    ///
    /// # Errors
    /// [`AdminError::Forbidden`] for a non-admin.
    pub fn list_users(&self, principal: &Principal, page: PageRequest) -> Result<Page<User>, AdminError> {
        require_admin(principal)?;
        Ok(self.ports.users.list(page)?)
    }

    /// The security events `filter` admits, newest first. Admins only.
    ///
    /// # Errors
    /// [`AdminError::Forbidden`] for a non-admin.
    pub fn audit(&self, principal: &Principal, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEvent>, AdminError> {
        require_admin(principal)?;
        Ok(self.ports.audit.list(filter, page)?)
    }

    /// One account: admins see anyone, others only themselves.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for a missing account or someone else's (for a non-admin).
    pub fn get_user(&self, principal: &Principal, id: UserId) -> Result<User, AdminError> {
        if id == principal.user_id() {
            return Ok(principal.user().clone());
        }
        if !principal.is_admin() {
            return Err(AdminError::NotFound);
        }
        require_admin(principal)?;
        self.ports.users.find(id)?.ok_or(AdminError::NotFound)
    }

    /// Changes an account's name, role or activity. Admins only.
    ///
    /// # Errors
    /// [`AdminError::Forbidden`], [`AdminError::NotFound`], or [`AdminError::LastActiveAdmin`].
    pub fn update_user(&self, principal: &Principal, id: UserId, update: AdminUpdate, client: &Client) -> Result<User, AdminError> {
        require_admin(principal)?;
        let changes = AdminChanges { name: update.name, role: update.role, is_active: update.is_active };
        let updated =
            AuditEvent { detail: named_changes(&changes), ..audit::by_admin(&self.ports, AuditKind::UserUpdated, principal, id, client) };
        match self.ports.users.update_by_admin(id, &changes, self.ports.clock.now(), &[updated])? {
            AdminWrite::Updated { user, .. } => Ok(user),
            AdminWrite::NotFound => Err(AdminError::NotFound),
            AdminWrite::LastActiveAdmin => Err(AdminError::LastActiveAdmin),
        }
    }

    /// Deletes an account with everything it owns. Admins only.
    ///
    /// # Errors
    /// [`AdminError::Forbidden`], [`AdminError::NotFound`], or [`AdminError::LastActiveAdmin`].
    pub fn delete_user(&self, principal: &Principal, id: UserId, client: &Client) -> Result<(), AdminError> {
        require_admin(principal)?;
        let deleted = audit::by_admin(&self.ports, AuditKind::UserDeleted, principal, id, client);
        match self.ports.users.delete(id, &[deleted])? {
            UserDelete::Deleted => Ok(()),
            UserDelete::NotFound => Err(AdminError::NotFound),
            UserDelete::LastActiveAdmin => Err(AdminError::LastActiveAdmin),
        }
    }

    /// Removes every second factor of another account (TOTP, recovery codes, passkeys) for a
    /// person locked out of it: its sessions end and its owner is told. Admins only; an admin's
    /// own factors are theirs to change.
    ///
    /// # Errors
    /// [`AdminError::Forbidden`] (also for the caller's own account) or [`AdminError::NotFound`].
    pub fn reset_second_factors(&self, principal: &Principal, id: UserId, client: &Client) -> Result<(), AdminError> {
        require_admin(principal)?;
        if id == principal.user_id() {
            return Err(AdminError::Forbidden);
        }
        let target = self.ports.users.find(id)?.ok_or(AdminError::NotFound)?;
        let reset = audit::by_admin(&self.ports, AuditKind::MfaReset, principal, id, client);
        let notice = mail(&self.ports, &target.email, &Message::MfaReset);
        self.ports.second_factors.remove_second_factors(id, true, true, self.ports.clock.now(), &[reset], &[notice])?;
        Ok(())
    }

    /// Creates an admin, or (the recovery path) makes an existing account an active admin with
    /// the given password and revokes its sessions.
    ///
    /// # Errors
    /// [`CreateAdminError::WeakPassword`] for a password the policy refuses;
    /// [`CreateAdminError::EmailTaken`] only if another process registered the email meanwhile.
    pub fn create_admin(&self, email: Email, name: UserName, password: &Password) -> Result<CreatedAdmin, CreateAdminError> {
        self.passwords.check(password, &email).map_err(CreateAdminError::WeakPassword)?;
        Ok(self.create_admin_with(email, name, password)?)
    }

    fn create_admin_with(&self, email: Email, name: UserName, password: &Password) -> Result<CreatedAdmin, UniqueEmailError> {
        let now = self.ports.clock.now();
        let hash = self.ports.hasher.hash(password)?;
        // The command line has no client address or agent.
        let created = |user: UserId, promoted: bool| AuditEvent {
            user_id: Some(user),
            detail: AuditDetail::new().flag("promoted", promoted),
            ..audit::event(&self.ports, AuditKind::AdminCreated, &Client::default())
        };
        if let Some((user, _)) = self.ports.users.find_credentials(&email)? {
            let changes = AdminChanges { name: Some(name), role: Some(Role::Admin), is_active: Some(true) };
            // Promoting never removes an admin, so the store cannot refuse it for that.
            let AdminWrite::Updated { user, .. } = self.ports.users.update_by_admin(user.id, &changes, now, &[])? else {
                return Err(InfraError::internal("the account to promote vanished").into());
            };
            // The new password and the end of every session opened with the old one, together.
            self.ports.users.set_password_hash(user.id, &hash, None, now, &[created(user.id, true)])?;
            return Ok(CreatedAdmin::Promoted(user));
        }
        let user = User {
            id: UserId::from_uuid(self.ports.ids.new_id()),
            email,
            name,
            role: Role::Admin,
            is_active: true,
            created_at: now,
            updated_at: now,
            // The operator vouches for the address: an admin can sign in even with
            // `auth.require_verified_email` on and no mail server yet.
            email_verified: true,
            pending_email: None,
        };
        self.ports.users.insert(&user, &hash, &[created(user.id, false)])?;
        Ok(CreatedAdmin::Created(user))
    }
}

/// What an admin's update names, for its event: the new role and activity, and whether the
/// name changes (not the name itself, which is the owner's to show).
fn named_changes(changes: &AdminChanges) -> AuditDetail {
    let mut detail = AuditDetail::new();
    if let Some(role) = changes.role {
        detail = detail.word("role", role.as_str());
    }
    if let Some(is_active) = changes.is_active {
        detail = detail.flag("is_active", is_active);
    }
    if changes.name.is_some() {
        detail = detail.flag("name", true);
    }
    detail
}

/// Admins only, and with `auth.require_mfa_for_admins` only from a two-factor session.
pub(crate) fn require_admin(principal: &Principal) -> Result<(), AdminError> {
    match (principal.is_admin(), principal.admin_needs_mfa()) {
        (false, _) => Err(AdminError::Forbidden),
        (true, true) => Err(AdminError::MfaEnrolmentRequired),
        (true, false) => Ok(()),
    }
}
