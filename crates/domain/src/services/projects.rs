//! Projects, each visible only to its owner.

use crate::model::{Page, PageRequest, Project, ProjectDraft, ProjectId, ProjectPatch};
use crate::ports::Removal;
use crate::services::{Ports, Principal, ResourceError};

/// The caller's projects.
#[derive(Debug, Clone)]
pub struct ProjectService {
    ports: Ports,
}

impl ProjectService {
    /// Wires the service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Creates a project owned by the caller.
    ///
    /// # Errors
    /// Only [`ResourceError::Infra`].
    pub fn create(&self, principal: &Principal, draft: ProjectDraft) -> Result<Project, ResourceError> {
        let now = self.ports.clock.now();
        let project = Project {
            id: ProjectId::from_uuid(self.ports.ids.new_id()),
            owner_id: principal.user_id(),
            name: draft.name,
            description: draft.description,
            created_at: now,
            updated_at: now,
        };
        self.ports.projects.insert(&project)?;
        Ok(project)
    }

    /// The caller's projects, newest first.
    ///
    /// # Errors
    /// Only [`ResourceError::Infra`].
    pub fn list(&self, principal: &Principal, page: PageRequest) -> Result<Page<Project>, ResourceError> {
        Ok(self.ports.projects.list(principal.user_id(), page)?)
    }

    /// One of the caller's projects.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing project or someone else's.
    pub fn get(&self, principal: &Principal, id: ProjectId) -> Result<Project, ResourceError> {
        self.ports.projects.find(id, principal.user_id())?.ok_or(ResourceError::NotFound)
    }

    /// Changes name and/or description; an empty patch changes nothing.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing project or someone else's.
    pub fn update(&self, principal: &Principal, id: ProjectId, patch: ProjectPatch) -> Result<Project, ResourceError> {
        let project = self.get(principal, id)?;
        let changes = project.differences(patch);
        if changes.is_empty() {
            return Ok(project);
        }
        self.ports.projects.update(id, principal.user_id(), &changes, self.ports.clock.now())?.ok_or(ResourceError::NotFound)
    }

    /// Deletes a project and its tasks.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a missing project or someone else's.
    pub fn delete(&self, principal: &Principal, id: ProjectId) -> Result<(), ResourceError> {
        match self.ports.projects.delete(id, principal.user_id())? {
            Removal::Removed => Ok(()),
            Removal::NotFound => Err(ResourceError::NotFound),
        }
    }
}
