use crate::error::InfraError;
use crate::memory::MemoryOutbox;
use crate::model::{
    AuditEvent, Email, Page, PageRequest, PasswordHash, Project, ProjectId, ProjectPatch, RefreshTokenDigest, RefreshTokenState,
    Retirement, Session, SessionId, SuccessorMask, Task, TaskId, TaskPatch, TaskStatus, Timestamp, User, UserId,
};
use crate::model::{EmailLink, LinkDigest, LinkPurpose};
use crate::ports::{
    AccountKey, AdminChanges, AdminWrite, EmailTaken, PasswordWrite, ProfileChanges, ProjectRepository, Removal, Revocation, Rotation,
    SessionRepository, TaskInsert, TaskRepository, UniqueEmailError, UserDelete, UserRepository, UserWrite,
};
use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Every repository in one mutex, so each operation is atomic like a database transaction and
/// deletes cascade like the real foreign keys.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
    /// Where messages written with a change go, under the store's lock.
    outbox: Arc<MemoryOutbox>,
}

#[derive(Debug, Default)]
pub(super) struct Tables {
    users: HashMap<UserId, (User, PasswordHash)>,
    sessions: HashMap<SessionId, Session>,
    /// Every refresh-token digest a session ever had, with its state.
    digests: HashMap<RefreshTokenDigest, (SessionId, RefreshTokenState)>,
    projects: HashMap<ProjectId, Project>,
    tasks: HashMap<TaskId, Task>,
    audit: Vec<AuditEvent>,
    /// Unused emailed links.
    pub(super) links: HashMap<LinkDigest, EmailLink>,
    /// TOTP factors, confirmed or waiting.
    pub(super) totp: HashMap<UserId, crate::model::TotpFactor>,
    /// Recovery codes: digest and whether used.
    pub(super) recovery_codes: HashMap<UserId, Vec<(crate::model::RecoveryCodeDigest, bool)>>,
    /// Challenges between a sign-in's two steps.
    pub(super) challenges: HashMap<crate::model::MfaTokenDigest, crate::model::MfaChallenge>,
    /// Personal access tokens by digest.
    pub(super) pats: HashMap<crate::model::PatDigest, crate::model::PersonalAccessToken>,
    /// Registered passkeys, in the order they were added.
    pub(super) passkeys: Vec<crate::model::Passkey>,
    /// Passkey ceremonies waiting for the authenticator's answer, by id.
    pub(super) passkey_challenges: HashMap<uuid::Uuid, crate::model::PasskeyChallenge>,
    /// Provider identities linked to accounts.
    pub(super) identities: Vec<crate::model::Identity>,
    /// Provider flows waiting for their callback, by the digest of their `state`.
    pub(super) flows: HashMap<crate::model::FlowDigest, crate::model::OidcFlow>,
    /// Apps' one-time codes, by digest.
    pub(super) codes: HashMap<crate::model::FlowDigest, crate::model::SignInCode>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn tables(&self) -> Result<MutexGuard<'_, Tables>, InfraError> {
        self.tables.lock().map_err(|_| InfraError::internal("memory store poisoned by a panic"))
    }

    /// The live sessions of `user` (for tests).
    pub fn sessions_of(&self, user: UserId) -> Vec<Session> {
        self.tables()
            .map(|t| t.sessions.values().filter(|s| s.user_id == user && s.revoked_at.is_none()).cloned().collect())
            .unwrap_or_default()
    }

    /// Every security event recorded so far, in order (for tests).
    pub fn events(&self) -> Vec<AuditEvent> {
        self.tables().map(|t| t.audit.clone()).unwrap_or_default()
    }

    /// The outbox the store's writes queue their messages in.
    pub fn outbox(&self) -> Arc<MemoryOutbox> {
        self.outbox.clone()
    }
}

impl Tables {
    /// The account and its hash.
    pub(super) fn user_mut(&mut self, id: UserId) -> Option<&mut (User, PasswordHash)> {
        self.users.get_mut(&id)
    }

    /// Adds an account unless its email is taken.
    pub(super) fn insert_user(&mut self, user: &User, hash: &PasswordHash) -> Result<(), EmailTaken> {
        if self.email_in_use(&user.email, user.id) {
            return Err(EmailTaken);
        }
        self.users.insert(user.id, (stored_user(user), hash.clone()));
        Ok(())
    }

    pub(super) fn email_in_use(&self, email: &Email, except: UserId) -> bool {
        self.users.values().any(|(u, _)| u.email == *email && u.id != except)
    }

    fn delete_sessions_where(&mut self, doomed: impl Fn(&Session) -> bool) -> u64 {
        let ids: Vec<SessionId> = self.sessions.values().filter(|s| doomed(s)).map(|s| s.id).collect();
        for id in &ids {
            self.sessions.remove(id);
        }
        self.digests.retain(|_, (sid, _)| !ids.contains(sid));
        ids.len() as u64
    }

    fn delete_projects_where(&mut self, doomed: impl Fn(&Project) -> bool) -> u64 {
        let ids: Vec<ProjectId> = self.projects.values().filter(|p| doomed(p)).map(|p| p.id).collect();
        for id in &ids {
            self.projects.remove(id);
        }
        self.tasks.retain(|_, t| !ids.contains(&t.project_id));
        ids.len() as u64
    }

    /// Revokes every unrevoked session of `user` but `keep`; returns how many.
    pub(super) fn revoke_sessions_of(&mut self, user: UserId, keep: Option<SessionId>, now: Timestamp) -> u64 {
        let mut revoked = 0;
        for session in self.sessions.values_mut() {
            if session.user_id == user && session.revoked_at.is_none() && Some(session.id) != keep {
                session.revoked_at = Some(now);
                revoked += 1;
            }
        }
        revoked
    }

    pub(super) fn user(&self, id: UserId) -> Option<User> {
        self.users.get(&id).map(|(user, _)| user.clone())
    }

    pub(super) fn sessions_mut(&mut self) -> &mut HashMap<SessionId, Session> {
        &mut self.sessions
    }

    pub(super) fn record(&mut self, events: &[AuditEvent]) {
        self.audit.extend(events.iter().map(stored_event));
    }

    fn active_admins(&self) -> usize {
        self.users.values().filter(|(u, _)| u.is_active_admin()).count()
    }

    fn owns_project(&self, owner: UserId, project: ProjectId) -> bool {
        self.projects.get(&project).is_some_and(|p| p.owner_id == owner)
    }
}

/// Sorts by `key`, then cuts out the requested page.
fn paginate<T: Clone, K: Ord>(mut items: Vec<T>, key: impl Fn(&T) -> K, page: PageRequest) -> Page<T> {
    items.sort_by_key(|item| key(item));
    let total = items.len() as u64;
    let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let slice = items.into_iter().skip(start).take(page.limit() as usize).collect();
    Page::new(slice, total, page)
}

impl UserRepository for MemoryStore {
    fn insert(&self, user: &User, password_hash: &PasswordHash, audit: &[AuditEvent]) -> Result<(), UniqueEmailError> {
        let mut t = self.tables()?;
        t.insert_user(user, password_hash)?;
        t.record(audit);
        Ok(())
    }

    fn find(&self, id: UserId) -> Result<Option<User>, InfraError> {
        Ok(self.tables()?.users.get(&id).map(|(u, _)| u.clone()))
    }

    fn find_credentials(&self, email: &Email) -> Result<Option<(User, PasswordHash)>, InfraError> {
        Ok(self.tables()?.users.values().find(|(u, _)| u.email == *email).cloned())
    }

    fn find_id(&self, email: &Email) -> Result<Option<AccountKey>, InfraError> {
        Ok(self.tables()?.users.values().find(|(u, _)| u.email == *email).map(|(u, hash)| AccountKey {
            id: u.id,
            email_verified: u.email_verified,
            is_active: u.is_active,
            has_password: hash.is_set(),
        }))
    }

    fn password_hash(&self, id: UserId) -> Result<Option<PasswordHash>, InfraError> {
        Ok(self.tables()?.users.get(&id).map(|(_, h)| h.clone()))
    }

    fn update_profile(
        &self,
        id: UserId,
        changes: &ProfileChanges,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<UserWrite, UniqueEmailError> {
        let now = micros(now);
        let mut t = self.tables()?;
        if changes.email.as_ref().is_some_and(|email| t.email_in_use(email, id)) {
            return Err(EmailTaken.into());
        }
        let Some((user, _)) = t.users.get_mut(&id) else { return Ok(UserWrite::NotFound) };
        if let Some(name) = &changes.name {
            user.name = name.clone();
        }
        if let Some(email) = &changes.email {
            user.email = email.clone();
            user.email_verified = false;
        }
        let ends_pending = changes.email.is_some() || changes.cancel_pending_email;
        if ends_pending {
            user.pending_email = None;
        }
        user.updated_at = now;
        let user = user.clone();
        if ends_pending {
            t.links.retain(|_, l| !(l.user_id == id && l.purpose == LinkPurpose::EmailChange));
        }
        t.record(audit);
        Ok(UserWrite::Updated(user))
    }

    fn update_by_admin(&self, id: UserId, changes: &AdminChanges, now: Timestamp, audit: &[AuditEvent]) -> Result<AdminWrite, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        let Some((before, _)) = t.users.get(&id) else { return Ok(AdminWrite::NotFound) };
        let mut after = changes.apply_to(before);
        if after == *before {
            return Ok(AdminWrite::Updated { user: after, changed: false });
        }
        if before.is_active_admin() && !after.is_active_admin() && t.active_admins() <= 1 {
            return Ok(AdminWrite::LastActiveAdmin);
        }
        let deactivated = before.is_active && !after.is_active;
        after.updated_at = now;
        if let Some((stored, _)) = t.users.get_mut(&id) {
            *stored = after.clone();
        }
        if deactivated {
            t.revoke_sessions_of(id, None, now);
        }
        t.record(audit);
        Ok(AdminWrite::Updated { user: after, changed: true })
    }

    fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<SessionId>,
        now: Timestamp,
        audit: &[AuditEvent],
    ) -> Result<PasswordWrite, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        let Some((user, stored)) = t.users.get_mut(&id) else { return Ok(PasswordWrite::NotFound) };
        *stored = hash.clone();
        user.updated_at = now;
        // Recovery ends what an attacker who knew the old password could still hold.
        user.pending_email = None;
        t.revoke_sessions_of(id, keep, now);
        // A reset link dies with the password it would have replaced, an email-change link
        // with the pending change.
        t.links.retain(|_, l| !(l.user_id == id && matches!(l.purpose, LinkPurpose::Reset | LinkPurpose::EmailChange)));
        t.record(audit);
        Ok(PasswordWrite::Replaced)
    }

    fn upgrade_password_hash(&self, id: UserId, verified: &PasswordHash, fresh: &PasswordHash) -> Result<PasswordWrite, InfraError> {
        let mut t = self.tables()?;
        Ok(match t.users.get_mut(&id) {
            Some((_, stored)) if stored == verified => {
                *stored = fresh.clone();
                PasswordWrite::Replaced
            }
            Some(_) => PasswordWrite::Stale,
            None => PasswordWrite::NotFound,
        })
    }

    fn delete(&self, id: UserId, audit: &[AuditEvent]) -> Result<UserDelete, InfraError> {
        let mut t = self.tables()?;
        let Some((user, _)) = t.users.get(&id) else { return Ok(UserDelete::NotFound) };
        if user.is_active_admin() && t.active_admins() <= 1 {
            return Ok(UserDelete::LastActiveAdmin);
        }
        t.users.remove(&id);
        t.links.retain(|_, l| l.user_id != id);
        t.forget_passkeys_of(id);
        t.delete_sessions_where(|s| s.user_id == id);
        t.delete_projects_where(|p| p.owner_id == id);
        t.record(audit);
        Ok(UserDelete::Deleted)
    }

    fn list(&self, page: PageRequest) -> Result<Page<User>, InfraError> {
        let users = self.tables()?.users.values().map(|(u, _)| u.clone()).collect();
        Ok(paginate(users, |u: &User| (u.created_at, u.id), page))
    }
}

impl SessionRepository for MemoryStore {
    fn insert(&self, session: &Session, digest: &RefreshTokenDigest, audit: &[AuditEvent]) -> Result<(), InfraError> {
        let mut t = self.tables()?;
        if !t.users.contains_key(&session.user_id) {
            return Err(InfraError::internal("foreign key: session of an unknown user"));
        }
        t.sessions.insert(session.id, stored_session(session));
        t.digests.insert(digest.clone(), (session.id, RefreshTokenState::Current));
        t.record(audit);
        Ok(())
    }

    fn find_by_refresh_digest(&self, digest: &RefreshTokenDigest) -> Result<Option<(Session, RefreshTokenState)>, InfraError> {
        let t = self.tables()?;
        Ok(t.digests.get(digest).and_then(|(sid, state)| t.sessions.get(sid).map(|s| (s.clone(), state.clone()))))
    }

    fn rotate(
        &self,
        id: SessionId,
        presented: &RefreshTokenDigest,
        next: &RefreshTokenDigest,
        successor: &SuccessorMask,
        now: Timestamp,
    ) -> Result<Rotation, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        let live = t.sessions.get(&id).is_some_and(|s| s.is_live(now));
        if !live || t.digests.get(presented) != Some(&(id, RefreshTokenState::Current)) {
            return Ok(Rotation::Stale);
        }
        let retired = RefreshTokenState::Retired(Retirement { at: Some(now), successor: Some(successor.clone()) });
        t.digests.insert(presented.clone(), (id, retired));
        t.digests.insert(next.clone(), (id, RefreshTokenState::Current));
        if let Some(s) = t.sessions.get_mut(&id) {
            s.last_used_at = now;
        }
        Ok(Rotation::Rotated)
    }

    fn find_with_user(&self, id: SessionId) -> Result<Option<(Session, User)>, InfraError> {
        let t = self.tables()?;
        Ok(t.sessions.get(&id).and_then(|s| t.users.get(&s.user_id).map(|(u, _)| (s.clone(), u.clone()))))
    }

    fn list_live(&self, user: UserId, now: Timestamp, page: PageRequest) -> Result<Page<Session>, InfraError> {
        let t = self.tables()?;
        let live = t.sessions.values().filter(|s| s.user_id == user && s.is_live(now)).cloned().collect();
        Ok(paginate(live, |s: &Session| Reverse((s.last_used_at, s.id)), page))
    }

    fn revoke(&self, id: SessionId, now: Timestamp, audit: &[AuditEvent]) -> Result<Revocation, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        let revoked = match t.sessions.get_mut(&id) {
            Some(s) if s.revoked_at.is_none() => {
                s.revoked_at = Some(now);
                Revocation::Revoked
            }
            _ => Revocation::Unchanged,
        };
        if revoked == Revocation::Revoked {
            t.record(audit);
        }
        Ok(revoked)
    }

    fn revoke_all(&self, user: UserId, keep: Option<SessionId>, now: Timestamp, audit: &[AuditEvent]) -> Result<u64, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        let count = t.revoke_sessions_of(user, keep, now);
        t.record(audit);
        Ok(count)
    }

    fn revoke_oldest_beyond(&self, user: UserId, keep: u32, now: Timestamp) -> Result<u64, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        let mut live: Vec<(Timestamp, SessionId)> =
            t.sessions.values().filter(|s| s.user_id == user && s.is_live(now)).map(|s| (s.created_at, s.id)).collect();
        live.sort();
        let excess = live.len().saturating_sub(keep as usize);
        for (_, id) in &live[..excess] {
            if let Some(s) = t.sessions.get_mut(id) {
                s.revoked_at = Some(now);
            }
        }
        Ok(excess as u64)
    }

    fn purge(&self, now: Timestamp) -> Result<u64, InfraError> {
        Ok(self.tables()?.delete_sessions_where(|s| !s.is_live(now)))
    }
}

impl ProjectRepository for MemoryStore {
    fn insert(&self, project: &Project) -> Result<(), InfraError> {
        let mut t = self.tables()?;
        if !t.users.contains_key(&project.owner_id) {
            return Err(InfraError::internal("foreign key: project of an unknown user"));
        }
        t.projects.insert(
            project.id,
            Project { created_at: micros(project.created_at), updated_at: micros(project.updated_at), ..project.clone() },
        );
        Ok(())
    }

    fn find(&self, id: ProjectId, owner: UserId) -> Result<Option<Project>, InfraError> {
        Ok(self.tables()?.projects.get(&id).filter(|p| p.owner_id == owner).cloned())
    }

    fn list(&self, owner: UserId, page: PageRequest) -> Result<Page<Project>, InfraError> {
        let owned = self.tables()?.projects.values().filter(|p| p.owner_id == owner).cloned().collect();
        Ok(paginate(owned, |p: &Project| Reverse((p.created_at, p.id)), page))
    }

    fn update(&self, id: ProjectId, owner: UserId, patch: &ProjectPatch, now: Timestamp) -> Result<Option<Project>, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        Ok(t.projects.get_mut(&id).filter(|p| p.owner_id == owner).map(|stored| {
            stored.apply(patch.clone(), now);
            stored.updated_at = now;
            stored.clone()
        }))
    }

    fn delete(&self, id: ProjectId, owner: UserId) -> Result<Removal, InfraError> {
        Ok(if self.tables()?.delete_projects_where(|p| p.id == id && p.owner_id == owner) > 0 {
            Removal::Removed
        } else {
            Removal::NotFound
        })
    }
}

impl TaskRepository for MemoryStore {
    fn insert(&self, task: &Task) -> Result<TaskInsert, InfraError> {
        let mut t = self.tables()?;
        if !t.projects.contains_key(&task.project_id) {
            return Ok(TaskInsert::ProjectGone);
        }
        t.tasks.insert(task.id, Task { created_at: micros(task.created_at), updated_at: micros(task.updated_at), ..task.clone() });
        Ok(TaskInsert::Inserted)
    }

    fn find(&self, id: TaskId, owner: UserId) -> Result<Option<Task>, InfraError> {
        let t = self.tables()?;
        Ok(t.tasks.get(&id).filter(|task| t.owns_project(owner, task.project_id)).cloned())
    }

    fn list(&self, project: ProjectId, status: Option<TaskStatus>, page: PageRequest) -> Result<Page<Task>, InfraError> {
        let t = self.tables()?;
        let tasks =
            t.tasks.values().filter(|task| task.project_id == project && status.is_none_or(|s| task.status == s)).cloned().collect();
        Ok(paginate(tasks, |task: &Task| (task.created_at, task.id), page))
    }

    fn update(&self, id: TaskId, owner: UserId, patch: &TaskPatch, now: Timestamp) -> Result<Option<Task>, InfraError> {
        let now = micros(now);
        let mut t = self.tables()?;
        let owned = t.tasks.get(&id).is_some_and(|task| t.owns_project(owner, task.project_id));
        Ok(t.tasks.get_mut(&id).filter(|_| owned).map(|stored| {
            stored.apply(patch.clone(), now);
            stored.updated_at = now;
            stored.clone()
        }))
    }

    fn delete(&self, id: TaskId, owner: UserId) -> Result<Removal, InfraError> {
        let mut t = self.tables()?;
        let owned = t.tasks.get(&id).is_some_and(|task| t.owns_project(owner, task.project_id));
        Ok(if owned && t.tasks.remove(&id).is_some() { Removal::Removed } else { Removal::NotFound })
    }
}

impl crate::ports::StorageProbe for MemoryStore {
    /// Memory is always there; a lock poisoned by a panic is the one way it cannot serve.
    fn check(&self) -> Result<(), InfraError> {
        self.tables().map(drop)
    }
}

/// Every backend keeps microseconds: so does the memory store, or a value would read back
/// differently here than from a database (the repository contract runs on both).
pub(super) fn micros(time: Timestamp) -> Timestamp {
    crate::model::truncate_to_micros(time)
}

fn stored_user(user: &User) -> User {
    User { created_at: micros(user.created_at), updated_at: micros(user.updated_at), ..user.clone() }
}

fn stored_event(event: &AuditEvent) -> AuditEvent {
    AuditEvent { at: micros(event.at), ..event.clone() }
}

fn stored_session(session: &Session) -> Session {
    Session {
        created_at: micros(session.created_at),
        last_used_at: micros(session.last_used_at),
        expires_at: micros(session.expires_at),
        revoked_at: session.revoked_at.map(micros),
        ..session.clone()
    }
}

impl crate::ports::AuditLog for MemoryStore {
    fn record(&self, event: &AuditEvent) -> Result<(), InfraError> {
        self.tables()?.audit.push(stored_event(event));
        Ok(())
    }

    fn list(&self, filter: &crate::model::AuditFilter, page: PageRequest) -> Result<Page<AuditEvent>, InfraError> {
        let t = self.tables()?;
        let admitted = t.audit.iter().filter(|e| filter.admits(e)).cloned().collect();
        Ok(paginate(admitted, |e: &AuditEvent| Reverse((e.at, e.id)), page))
    }

    fn purge(&self, before: Timestamp) -> Result<u64, InfraError> {
        let mut t = self.tables()?;
        let kept = t.audit.len();
        t.audit.retain(|e| e.at >= before);
        Ok((kept - t.audit.len()) as u64)
    }
}
