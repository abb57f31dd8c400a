//! Tasks, reached through a project the caller owns.

use crate::model::{Page, PageRequest, ProjectId, Task, TaskDraft, TaskId, TaskPatch, TaskStatus};
use crate::ports::{Removal, TaskInsert};
use crate::services::{Ports, Principal, ResourceError};

/// The tasks of the caller's projects.
#[derive(Debug, Clone)]
pub struct TaskService {
    ports: Ports,
}

impl TaskService {
    /// Wires the service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Adds a task to one of the caller's projects.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing project or someone else's.
    pub fn create(&self, principal: &Principal, project: ProjectId, draft: TaskDraft) -> Result<Task, ResourceError> {
        self.ensure_owned(principal, project)?;
        let now = self.ports.clock.now();
        let task = Task {
            id: TaskId::from_uuid(self.ports.ids.new_id()),
            project_id: project,
            title: draft.title,
            description: draft.description,
            status: draft.status,
            priority: draft.priority,
            due_date: draft.due_date,
            created_at: now,
            updated_at: now,
        };
        // `false`: the project was deleted between the check and the insert.
        match self.ports.tasks.insert(&task)? {
            TaskInsert::Inserted => Ok(task),
            TaskInsert::ProjectGone => Err(ResourceError::NotFound),
        }
    }

    /// A project's tasks, oldest first, optionally of one status.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing project or someone else's.
    pub fn list(
        &self,
        principal: &Principal,
        project: ProjectId,
        status: Option<TaskStatus>,
        page: PageRequest,
    ) -> Result<Page<Task>, ResourceError> {
        self.ensure_owned(principal, project)?;
        Ok(self.ports.tasks.list(project, status, page)?)
    }

    /// One task of the caller's.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing task or someone else's.
    pub fn get(&self, principal: &Principal, id: TaskId) -> Result<Task, ResourceError> {
        self.ports.tasks.find(id, principal.user_id())?.ok_or(ResourceError::NotFound)
    }

    /// Partial update (PATCH): omitted fields stay, `due_date: Some(None)` clears the date.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing task or someone else's.
    pub fn patch(&self, principal: &Principal, id: TaskId, patch: TaskPatch) -> Result<Task, ResourceError> {
        let task = self.get(principal, id)?;
        let changes = task.differences(patch);
        self.save(principal, task, changes)
    }

    /// Full replacement (PUT): every field takes the draft's value, defaults included.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing task or someone else's.
    pub fn replace(&self, principal: &Principal, id: TaskId, draft: TaskDraft) -> Result<Task, ResourceError> {
        let task = self.get(principal, id)?;
        // A replacement writes every field (when any differs), so a field changed meanwhile
        // takes the value the replacement names.
        let replacement = TaskPatch::replacing_with(draft);
        let changes = if task.differences(replacement.clone()).is_empty() { TaskPatch::default() } else { replacement };
        self.save(principal, task, changes)
    }

    /// Deletes a task.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing task or someone else's.
    pub fn delete(&self, principal: &Principal, id: TaskId) -> Result<(), ResourceError> {
        match self.ports.tasks.delete(id, principal.user_id())? {
            Removal::Removed => Ok(()),
            Removal::NotFound => Err(ResourceError::NotFound),
        }
    }

    fn ensure_owned(&self, principal: &Principal, project: ProjectId) -> Result<(), ResourceError> {
        match self.ports.projects.find(project, principal.user_id())? {
            Some(_) => Ok(()),
            None => Err(ResourceError::NotFound),
        }
    }

    /// Writes `changes` (only the fields they name); none is no write.
    fn save(&self, principal: &Principal, task: Task, changes: TaskPatch) -> Result<Task, ResourceError> {
        if changes.is_empty() {
            return Ok(task);
        }
        self.ports.tasks.update(task.id, principal.user_id(), &changes, self.ports.clock.now())?.ok_or(ResourceError::NotFound)
    }
}
