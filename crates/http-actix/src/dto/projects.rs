use crate::dto::page::page_type;
use crate::dto::{FieldErrors, Maybe, field_schemas};
use crate::edge::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{Description, Project, ProjectDraft, ProjectName, ProjectPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /projects`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateProject {
    /// 1 to 200 characters after trimming.
    #[schema(schema_with = field_schemas::project_name)]
    pub name: String,
    /// At most 5,000 characters (default empty).
    #[serde(default)]
    #[schema(schema_with = field_schemas::description, required = false)]
    pub description: Maybe<String>,
}

impl CreateProject {
    /// Parses into a domain draft.
    pub fn into_draft(self) -> Result<ProjectDraft, ApiError> {
        let mut v = FieldErrors::default();
        let name = v.check("name", ProjectName::parse(&self.name));
        let description = v.optional("description", self.description, |d| Description::parse(&d));
        match (name, description) {
            (Some(name), Some(description)) => Ok(ProjectDraft { name, description: description.unwrap_or_default() }),
            _ => Err(v.into_error()),
        }
    }
}

/// `PATCH /projects/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateProject {
    /// A new name.
    #[serde(default)]
    #[schema(schema_with = field_schemas::project_name, required = false)]
    pub name: Maybe<String>,
    /// A new description.
    #[serde(default)]
    #[schema(schema_with = field_schemas::description, required = false)]
    pub description: Maybe<String>,
}

impl UpdateProject {
    /// Parses into a domain patch.
    pub fn into_patch(self) -> Result<ProjectPatch, ApiError> {
        let mut v = FieldErrors::default();
        let name = v.optional("name", self.name, |n| ProjectName::parse(&n));
        let description = v.optional("description", self.description, |d| Description::parse(&d));
        match (name, description) {
            (Some(name), Some(description)) => Ok(ProjectPatch { name, description }),
            _ => Err(v.into_error()),
        }
    }
}

/// A project.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Project)]
pub struct ProjectResponse {
    /// Stable id.
    pub id: Uuid,
    /// The owner's user id.
    pub owner_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its description (may be empty).
    pub description: String,
    /// Creation time (UTC).
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectResponse {
    fn from(p: Project) -> Self {
        Self {
            id: p.id.as_uuid(),
            owner_id: p.owner_id.as_uuid(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

page_type!(
    /// A page of projects.
    ProjectPage, ProjectResponse
);
