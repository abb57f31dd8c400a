use crate::error::InfraError;
use crate::model::{
    AuditEvent, Email, Page, PageRequest, PasswordHash, Project, ProjectId, ProjectPatch, RefreshTokenDigest, RefreshTokenState, Role,
    Session, SessionId, SuccessorMask, Task, TaskId, TaskPatch, TaskStatus, Timestamp, User, UserId, UserName,
};

/// Another account already has this email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("email already registered")]
pub struct EmailTaken;

/// A write that must keep emails unique.
#[derive(Debug, thiserror::Error)]
pub enum UniqueEmailError {
    /// The email belongs to another account (detected by the store's unique index, so racing
    /// writers cannot both win).
    #[error(transparent)]
    EmailTaken(#[from] EmailTaken),
    /// The store failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Stores user accounts and their password hashes.
pub trait UserRepository: Send + Sync {
    /// Adds a new account, and the `audit` events that record it, in one transaction.
    ///
    /// # Errors
    /// [`UniqueEmailError::EmailTaken`] when the email is in use (and nothing is written).
    fn insert(&self, user: &User, password_hash: &PasswordHash, audit: &[AuditEvent]) -> Result<(), UniqueEmailError>;

    /// The account with this id.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find(&self, id: UserId) -> Result<Option<User>, InfraError>;

    /// The account with this (normalised) email and its password hash, for login.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find_credentials(&self, email: &Email) -> Result<Option<(User, PasswordHash)>, InfraError>;

    /// What the emailed flows need to know of the account with this (normalised) email: a
    /// look-up that decodes no more for a hit than a miss costs, for the flows whose answer
    /// must not tell the two apart.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find_id(&self, email: &Email) -> Result<Option<AccountKey>, InfraError>;

    /// The password hash of an account.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn password_hash(&self, id: UserId) -> Result<Option<PasswordHash>, InfraError>;

    /// Changes the name and/or email an account's owner asked for (a new email is unverified),
    /// and `updated_at`, and nothing else: a role or activity change made meanwhile by an admin is kept. Returns the account
    /// as stored after the write. The `audit` events are written in the same transaction, and
    /// only when the account was there to change.
    ///
    /// # Errors
    /// [`UniqueEmailError::EmailTaken`] when the new email is in use.
    fn update_profile(
        &self,
        id: UserId,
        changes: &ProfileChanges,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<UserWrite, UniqueEmailError>;

    /// Changes the name, role and/or activity an admin asked for (and `updated_at` when any of
    /// them differs from what is stored), and nothing else. The check that at least one
    /// active admin remains and the write are one atomic step: of concurrent changes that
    /// would together remove the last active admin, at most the ones that leave one succeed;
    /// the others get [`AdminWrite::LastActiveAdmin`] and change nothing. A write that
    /// deactivates the account revokes its sessions in the same transaction. The `audit`
    /// events are written with it, and only when something changed.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn update_by_admin(&self, id: UserId, changes: &AdminChanges, now: Timestamp, audit: &[AuditEvent]) -> Result<AdminWrite, InfraError>;

    /// In one transaction: replaces the password hash, sets `updated_at`, revokes every
    /// session of the account except `keep`, and writes the `audit` events; nothing when the
    /// account is gone. A password and the sessions opened with the old one never outlive
    /// each other.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<SessionId>,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<PasswordWrite, InfraError>;

    /// Replaces the hash only if it is still `verified`, the one a login just checked: a
    /// password changed meanwhile is never overwritten by the old password's new hash.
    /// `updated_at` is left alone (the account did not change).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn upgrade_password_hash(&self, id: UserId, verified: &PasswordHash, fresh: &PasswordHash) -> Result<PasswordWrite, InfraError>;

    /// Deletes the account with its sessions, projects and tasks, unless it is the last active
    /// admin; the check and the delete are one atomic step, like in
    /// [`update_by_admin`](Self::update_by_admin). The `audit` events are written in the same
    /// transaction, and only when the account was deleted.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn delete(&self, id: UserId, audit: &[AuditEvent]) -> Result<UserDelete, InfraError>;

    /// All accounts, oldest first.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn list(&self, page: PageRequest) -> Result<Page<User>, InfraError>;
}

/// The columns an owner's profile update may change; `None` leaves a column as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    /// A new display name.
    pub name: Option<UserName>,
    /// A new email.
    pub email: Option<Email>,
    /// End a pending email change: `pending_email` becomes null and its link dies. A new
    /// `email` ends one too.
    pub cancel_pending_email: bool,
}

/// An account found by its address, as the emailed flows see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountKey {
    /// Its id.
    pub id: UserId,
    /// Whether its address is verified.
    pub email_verified: bool,
    /// Whether it may sign in (not deactivated).
    pub is_active: bool,
    /// Whether it has a password (an invite not taken up has none).
    pub has_password: bool,
}

/// The columns an admin's update may change; `None` leaves a column as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminChanges {
    /// A new display name.
    pub name: Option<UserName>,
    /// A new role.
    pub role: Option<Role>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

impl AdminChanges {
    /// `user` with these changes applied (what the store must write).
    pub fn apply_to(&self, user: &User) -> User {
        let mut after = user.clone();
        if let Some(name) = &self.name {
            after.name = name.clone();
        }
        if let Some(role) = self.role {
            after.role = role;
        }
        if let Some(is_active) = self.is_active {
            after.is_active = is_active;
        }
        after
    }
}

/// What a write to one account found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserWrite {
    /// The account as stored after the write.
    Updated(User),
    /// No such account (deleted meanwhile).
    NotFound,
}

/// What an admin's write to one account found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminWrite {
    /// The account as stored after the write: `changed` is false when every named value was
    /// already stored (nothing was written).
    Updated {
        /// The account now.
        user: User,
        /// Whether anything was written.
        changed: bool,
    },
    /// No such account.
    NotFound,
    /// The write would have left no active admin; nothing was written.
    LastActiveAdmin,
}

/// What a password-hash write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordWrite {
    /// The hash was replaced.
    Replaced,
    /// The stored hash is no longer the one expected (only from
    /// [`UserRepository::upgrade_password_hash`]); nothing was written.
    Stale,
    /// No such account.
    NotFound,
}

/// What deleting an account found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDelete {
    /// It was deleted with everything it owned.
    Deleted,
    /// No such account.
    NotFound,
    /// It is the last active admin; nothing was deleted.
    LastActiveAdmin,
}

/// What [`SessionRepository::rotate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The presented token was current: it is retired and the next one is current.
    Rotated,
    /// Nothing changed: the token was not current, or the session not live.
    Stale,
}

/// What [`SessionRepository::revoke`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// This call revoked the session.
    Revoked,
    /// Nothing changed: no such session, or it was revoked already.
    Unchanged,
}

/// What a delete of one owned row (a project, a task) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The row (and what cascades from it) is gone.
    Removed,
    /// Nothing changed: no such row, or not the owner's.
    NotFound,
}

/// What [`TaskRepository::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskInsert {
    /// The task is stored.
    Inserted,
    /// Its project no longer exists: nothing was stored.
    ProjectGone,
}

/// Stores sessions and the refresh-token chain each one owns.
pub trait SessionRepository: Send + Sync {
    /// Adds a session whose current refresh token has `digest`, and the `audit` events that
    /// record it, in one transaction.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn insert(&self, session: &Session, digest: &RefreshTokenDigest, audit: &[AuditEvent]) -> Result<(), InfraError>;

    /// The session a refresh-token digest belongs to, and whether it is that session's current
    /// token or a retired one. Revoked and expired sessions are returned too; the caller decides.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find_by_refresh_digest(&self, digest: &RefreshTokenDigest) -> Result<Option<(Session, RefreshTokenState)>, InfraError>;

    /// Atomically: if `presented` is still the current token of session `id`, which is not
    /// revoked and not expired at `now`, retire it (recording `now` and the `successor` mask
    /// with it), make `next` current and set `last_used_at = now`. Of two racing calls with
    /// one token, at most one gets [`Rotation::Rotated`].
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn rotate(
        &self,
        id: SessionId,
        presented: &RefreshTokenDigest,
        next: &RefreshTokenDigest,
        successor: &SuccessorMask,
        now: Timestamp,
    ) -> Result<Rotation, InfraError>;

    /// The session and its user in one look-up: what every authenticated request needs.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find_with_user(&self, id: SessionId) -> Result<Option<(Session, User)>, InfraError>;

    /// The user's live sessions (not revoked, not expired at `now`), most recently used first.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn list_live(&self, user: UserId, now: Timestamp, page: PageRequest) -> Result<Page<Session>, InfraError>;

    /// Revokes one session if it is not revoked yet; the `audit` events are written in the
    /// same transaction, and only when this call revoked it.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn revoke(&self, id: SessionId, now: Timestamp, audit: &[AuditEvent]) -> Result<Revocation, InfraError>;

    /// Revokes every unrevoked session of `user` except `keep`, with the `audit` events in the
    /// same transaction; returns how many.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn revoke_all(&self, user: UserId, keep: Option<SessionId>, now: Timestamp, audit: &[AuditEvent]) -> Result<u64, InfraError>;

    /// Revokes the user's oldest live sessions until at most `keep` remain; returns how many.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn revoke_oldest_beyond(&self, user: UserId, keep: u32, now: Timestamp) -> Result<u64, InfraError>;

    /// Deletes sessions that are revoked or expired at `now`, with their token digests.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn purge(&self, now: Timestamp) -> Result<u64, InfraError>;
}

/// Stores projects. Every read and delete is scoped to an owner.
pub trait ProjectRepository: Send + Sync {
    /// Adds a project.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn insert(&self, project: &Project) -> Result<(), InfraError>;

    /// The project, if `owner` owns it.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find(&self, id: ProjectId, owner: UserId) -> Result<Option<Project>, InfraError>;

    /// The owner's projects, newest first.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn list(&self, owner: UserId, page: PageRequest) -> Result<Page<Project>, InfraError>;

    /// Writes the fields `patch` names and `updated_at = now`, and nothing else, if `owner`
    /// owns the project: a concurrent update of another field stays. The project as stored
    /// after the write, or `None` when it is gone (or not the owner's).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn update(&self, id: ProjectId, owner: UserId, patch: &ProjectPatch, now: Timestamp) -> Result<Option<Project>, InfraError>;

    /// Deletes the project and its tasks if `owner` owns it.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn delete(&self, id: ProjectId, owner: UserId) -> Result<Removal, InfraError>;
}

/// Stores tasks. Ownership is the owner of the task's project.
pub trait TaskRepository: Send + Sync {
    /// Adds a task, unless its project no longer exists.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn insert(&self, task: &Task) -> Result<TaskInsert, InfraError>;

    /// The task, if `owner` owns its project.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn find(&self, id: TaskId, owner: UserId) -> Result<Option<Task>, InfraError>;

    /// The project's tasks, optionally of one status, oldest first.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn list(&self, project: ProjectId, status: Option<TaskStatus>, page: PageRequest) -> Result<Page<Task>, InfraError>;

    /// Writes the fields `patch` names and `updated_at = now`, and nothing else, if `owner`
    /// owns the task's project (`due_date: Some(None)` clears the date). The task as stored
    /// after the write, or `None` when it is gone (or not the owner's).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn update(&self, id: TaskId, owner: UserId, patch: &TaskPatch, now: Timestamp) -> Result<Option<Task>, InfraError>;

    /// Deletes the task if `owner` owns its project.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn delete(&self, id: TaskId, owner: UserId) -> Result<Removal, InfraError>;
}
