//! Tasks, reached through a project the caller owns.

use crate::model::{Page, PageRequest, ProjectId, Task, TaskDraft, TaskId, TaskPatch, TaskStatus};
use crate::services::{Ports, Principal, ResourceError};

/// The tasks of the caller's projects.
#[derive(Clone)]
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
        if self.ports.tasks.insert(&task)? { Ok(task) } else { Err(ResourceError::NotFound) }
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
        let mut task = self.get(principal, id)?;
        let changed = task.apply(patch, self.ports.clock.now());
        self.save_if(changed, task)
    }

    /// Full replacement (PUT): every field takes the draft's value, defaults included.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing task or someone else's.
    pub fn replace(&self, principal: &Principal, id: TaskId, draft: TaskDraft) -> Result<Task, ResourceError> {
        let mut task = self.get(principal, id)?;
        let changed = task.replace(draft, self.ports.clock.now());
        self.save_if(changed, task)
    }

    /// Deletes a task.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing task or someone else's.
    pub fn delete(&self, principal: &Principal, id: TaskId) -> Result<(), ResourceError> {
        if self.ports.tasks.delete(id, principal.user_id())? { Ok(()) } else { Err(ResourceError::NotFound) }
    }

    fn ensure_owned(&self, principal: &Principal, project: ProjectId) -> Result<(), ResourceError> {
        match self.ports.projects.find(project, principal.user_id())? {
            Some(_) => Ok(()),
            None => Err(ResourceError::NotFound),
        }
    }

    fn save_if(&self, changed: bool, task: Task) -> Result<Task, ResourceError> {
        if changed && !self.ports.tasks.update(&task)? {
            return Err(ResourceError::NotFound);
        }
        Ok(task)
    }
}
