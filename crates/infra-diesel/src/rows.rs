//! Rows as stored, and their conversion to and from the domain's types. A row is never shown to
//! anyone: it becomes a domain value first, and a stored value the domain refuses is an error.

use crate::error::CorruptRow;
use crate::schema::{projects, refresh_tokens, sessions, tasks, users};
use crate::stored_time::StoredTime;
use chrono::NaiveDate;
use diesel::prelude::*;
use domain::{
    AdminChanges, Amr, Description, DueDate, Email, InfraError, PasswordHash, ProfileChanges, Project, ProjectId, ProjectName,
    ProjectPatch, Role, Session, SessionId, Task, TaskId, TaskPatch, TaskPriority, TaskStatus, TaskTitle, Timestamp, User, UserAgent,
    UserId, UserName, truncate_to_micros,
};
use std::str::FromStr;

/// A timestamp as every backend stores it: UTC without zone, microsecond precision, so what is
/// written reads back equal everywhere.
pub(crate) fn db_time(t: Timestamp) -> StoredTime {
    StoredTime(truncate_to_micros(t).naive_utc())
}

pub(crate) fn domain_time(t: StoredTime) -> Timestamp {
    t.0.and_utc()
}

pub(crate) fn parse<T: FromStr>(column: &'static str, raw: &str) -> Result<T, InfraError>
where
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e| CorruptRow::error(column, e))
}

/// Cuts a string to a column's length in characters (the domain already does for the user
/// agent; this keeps the adapter safe on its own).
fn cut(value: &str, max_chars: usize) -> &str {
    value.char_indices().nth(max_chars).map_or(value, |(end, _)| &value[..end])
}

/// `sessions.user_agent` is VARCHAR(255).
pub(crate) const USER_AGENT_CHARS: usize = 255;

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: String,
    email: String,
    name: String,
    role: String,
    is_active: bool,
    created_at: StoredTime,
    updated_at: StoredTime,
    email_verified: bool,
    pending_email: Option<String>,
}

impl UserRow {
    pub(crate) fn into_domain(self) -> Result<User, InfraError> {
        Ok(User {
            id: parse::<uuid::Uuid>("users.id", &self.id).map(UserId::from_uuid)?,
            email: Email::from_stored(self.email).map_err(|e| CorruptRow::error("users.email", e))?,
            name: UserName::from_stored(self.name).map_err(|e| CorruptRow::error("users.name", e))?,
            role: parse::<Role>("users.role", &self.role)?,
            is_active: self.is_active,
            created_at: domain_time(self.created_at),
            updated_at: domain_time(self.updated_at),
            email_verified: self.email_verified,
            pending_email: self
                .pending_email
                .map(|e| Email::from_stored(e).map_err(|e| CorruptRow::error("users.pending_email", e)))
                .transpose()?,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub(crate) struct NewUser<'a> {
    id: String,
    email: &'a str,
    password_hash: &'a str,
    name: &'a str,
    role: &'static str,
    is_active: bool,
    created_at: StoredTime,
    updated_at: StoredTime,
    email_verified: bool,
    pending_email: Option<&'a str>,
}

impl<'a> NewUser<'a> {
    pub(crate) fn new(user: &'a User, hash: &'a PasswordHash) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.as_str(),
            password_hash: hash.as_str(),
            name: user.name.as_str(),
            role: user.role.as_str(),
            is_active: user.is_active,
            created_at: db_time(user.created_at),
            updated_at: db_time(user.updated_at),
            email_verified: user.email_verified,
            pending_email: user.pending_email.as_ref().map(Email::as_str),
        }
    }
}

/// The columns a profile or admin update names, and `updated_at`: a `None` column is left out
/// of the `UPDATE`, so a write never touches what its request did not name.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub(crate) struct UserChanges<'a> {
    email: Option<&'a str>,
    name: Option<&'a str>,
    role: Option<&'static str>,
    is_active: Option<bool>,
    email_verified: Option<bool>,
    /// `Some(None)` sets it null.
    pending_email: Option<Option<&'a str>>,
    updated_at: Option<StoredTime>,
}

impl<'a> UserChanges<'a> {
    pub(crate) fn profile(changes: &'a ProfileChanges, now: Timestamp) -> Self {
        Self {
            email: changes.email.as_ref().map(Email::as_str),
            name: changes.name.as_ref().map(UserName::as_str),
            // A new address is one nobody has verified yet.
            email_verified: changes.email.as_ref().map(|_| false),
            // Any write of the address, or a cancel, ends a pending change.
            pending_email: (changes.email.is_some() || changes.cancel_pending_email).then_some(None),
            updated_at: Some(db_time(now)),
            ..Self::default()
        }
    }

    pub(crate) fn admin(changes: &'a AdminChanges, now: Timestamp) -> Self {
        Self {
            name: changes.name.as_ref().map(UserName::as_str),
            role: changes.role.map(Role::as_str),
            is_active: changes.is_active,
            updated_at: Some(db_time(now)),
            ..Self::default()
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub(crate) struct SessionRow {
    id: String,
    user_id: String,
    created_at: StoredTime,
    last_used_at: StoredTime,
    expires_at: StoredTime,
    revoked_at: Option<StoredTime>,
    user_agent: Option<String>,
    amr: String,
}

impl SessionRow {
    pub(crate) fn new(session: &Session) -> Self {
        Self {
            id: session.id.to_string(),
            user_id: session.user_id.to_string(),
            created_at: db_time(session.created_at),
            last_used_at: db_time(session.last_used_at),
            expires_at: db_time(session.expires_at),
            revoked_at: session.revoked_at.map(db_time),
            user_agent: session.user_agent.as_ref().map(|ua| cut(ua.as_str(), USER_AGENT_CHARS).to_owned()),
            amr: session.amr.to_stored(),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Session, InfraError> {
        Ok(Session {
            id: parse::<uuid::Uuid>("sessions.id", &self.id).map(SessionId::from_uuid)?,
            user_id: parse::<uuid::Uuid>("sessions.user_id", &self.user_id).map(UserId::from_uuid)?,
            created_at: domain_time(self.created_at),
            last_used_at: domain_time(self.last_used_at),
            expires_at: domain_time(self.expires_at),
            revoked_at: self.revoked_at.map(domain_time),
            // The stored label was cleaned on the way in; cleaning again leaves it as it is.
            user_agent: self.user_agent.as_deref().and_then(UserAgent::from_header),
            amr: Amr::from_stored(&self.amr).map_err(|_| CorruptRow::error("sessions.amr", &self.amr))?,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
pub(crate) struct NewRefreshToken<'a> {
    pub(crate) digest: &'a str,
    pub(crate) session_id: String,
    pub(crate) retired: bool,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = projects)]
pub(crate) struct ProjectRow {
    id: String,
    owner_id: String,
    name: String,
    description: String,
    created_at: StoredTime,
    updated_at: StoredTime,
}

impl ProjectRow {
    pub(crate) fn new(project: &Project) -> Self {
        Self {
            id: project.id.to_string(),
            owner_id: project.owner_id.to_string(),
            name: project.name.as_str().to_owned(),
            description: project.description.as_str().to_owned(),
            created_at: db_time(project.created_at),
            updated_at: db_time(project.updated_at),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Project, InfraError> {
        Ok(Project {
            id: parse::<uuid::Uuid>("projects.id", &self.id).map(ProjectId::from_uuid)?,
            owner_id: parse::<uuid::Uuid>("projects.owner_id", &self.owner_id).map(UserId::from_uuid)?,
            name: ProjectName::parse(&self.name).map_err(|e| CorruptRow::error("projects.name", e))?,
            description: Description::parse(&self.description).map_err(|e| CorruptRow::error("projects.description", e))?,
            created_at: domain_time(self.created_at),
            updated_at: domain_time(self.updated_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = tasks)]
pub(crate) struct TaskRow {
    id: String,
    project_id: String,
    title: String,
    description: String,
    status: String,
    priority: String,
    due_date: Option<NaiveDate>,
    created_at: StoredTime,
    updated_at: StoredTime,
}

impl TaskRow {
    pub(crate) fn new(task: &Task) -> Self {
        Self {
            id: task.id.to_string(),
            project_id: task.project_id.to_string(),
            title: task.title.as_str().to_owned(),
            description: task.description.as_str().to_owned(),
            status: task.status.as_str().to_owned(),
            priority: task.priority.as_str().to_owned(),
            due_date: task.due_date.map(|d| d.date()),
            created_at: db_time(task.created_at),
            updated_at: db_time(task.updated_at),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Task, InfraError> {
        Ok(Task {
            id: parse::<uuid::Uuid>("tasks.id", &self.id).map(TaskId::from_uuid)?,
            project_id: parse::<uuid::Uuid>("tasks.project_id", &self.project_id).map(ProjectId::from_uuid)?,
            title: TaskTitle::parse(&self.title).map_err(|e| CorruptRow::error("tasks.title", e))?,
            description: Description::parse(&self.description).map_err(|e| CorruptRow::error("tasks.description", e))?,
            status: parse("tasks.status", &self.status)?,
            priority: parse("tasks.priority", &self.priority)?,
            due_date: self.due_date.map(DueDate::from_date).transpose().map_err(|e| CorruptRow::error("tasks.due_date", e))?,
            created_at: domain_time(self.created_at),
            updated_at: domain_time(self.updated_at),
        })
    }
}

/// Every column `TaskRepository::update` writes.
/// The columns a task update names, and `updated_at`; a `None` column is left out of the
/// `UPDATE` (and `due_date: Some(None)` sets it to NULL).
#[derive(AsChangeset)]
#[diesel(table_name = tasks)]
pub(crate) struct TaskChanges<'a> {
    title: Option<&'a str>,
    description: Option<&'a str>,
    status: Option<&'static str>,
    priority: Option<&'static str>,
    due_date: Option<Option<NaiveDate>>,
    updated_at: StoredTime,
}

impl<'a> TaskChanges<'a> {
    pub(crate) fn new(patch: &'a TaskPatch, now: Timestamp) -> Self {
        Self {
            title: patch.title.as_ref().map(TaskTitle::as_str),
            description: patch.description.as_ref().map(Description::as_str),
            status: patch.status.map(TaskStatus::as_str),
            priority: patch.priority.map(TaskPriority::as_str),
            due_date: patch.due_date.map(|d| d.map(|d| d.date())),
            updated_at: db_time(now),
        }
    }
}

/// The columns a project update names, and `updated_at`.
#[derive(AsChangeset)]
#[diesel(table_name = projects)]
pub(crate) struct ProjectChanges<'a> {
    name: Option<&'a str>,
    description: Option<&'a str>,
    updated_at: StoredTime,
}

impl<'a> ProjectChanges<'a> {
    pub(crate) fn new(patch: &'a ProjectPatch, now: Timestamp) -> Self {
        Self {
            name: patch.name.as_ref().map(ProjectName::as_str),
            description: patch.description.as_ref().map(Description::as_str),
            updated_at: db_time(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_in_characters_not_bytes() {
        assert_eq!(cut("éééé", 2), "éé");
        assert_eq!(cut("ab", 5), "ab");
    }
}
