use crate::dto::page::page_type;
use crate::dto::{FieldErrors, Maybe, TaskPriorityDto, TaskStatusDto, field_schemas};
use crate::edge::error::{ApiError, FieldError};
use chrono::{DateTime, Utc};
use domain::{Description, DueDate, Task, TaskDraft, TaskPatch, TaskPriority, TaskStatus, TaskTitle};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `POST /projects/{id}/tasks` and `PUT /tasks/{id}` (full replacement: omitted fields take
/// their defaults).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTask {
    /// 1 to 200 characters after trimming.
    #[schema(schema_with = field_schemas::task_title)]
    pub title: String,
    /// At most 5,000 characters (default empty).
    #[serde(default)]
    #[schema(schema_with = field_schemas::description, required = false)]
    pub description: Maybe<String>,
    /// Default `todo`.
    #[serde(default)]
    #[schema(value_type = TaskStatusDto, required = false)]
    pub status: Maybe<TaskStatusDto>,
    /// Default `medium`.
    #[serde(default)]
    #[schema(value_type = TaskPriorityDto, required = false)]
    pub priority: Maybe<TaskPriorityDto>,
    /// `YYYY-MM-DD` with a year from 1000 to 9999, or null (the default).
    #[serde(default)]
    #[schema(schema_with = field_schemas::due_date, required = false)]
    pub due_date: Maybe<String>,
}

/// The fields every task write may carry besides its title, parsed once for POST, PUT and
/// PATCH: `None` when absent; `due_date: Some(None)` when `null`.
type TaskFields = (Option<Description>, Option<TaskStatus>, Option<TaskPriority>, Option<Option<DueDate>>);

fn task_fields(
    v: &mut FieldErrors,
    description: Maybe<String>,
    status: Maybe<TaskStatusDto>,
    priority: Maybe<TaskPriorityDto>,
    due_date: Maybe<String>,
) -> Option<TaskFields> {
    let description = v.optional("description", description, |d| Description::parse(&d));
    let status = v.optional("status", status, Ok::<_, String>);
    let priority = v.optional("priority", priority, Ok::<_, String>);
    let due_date = v.clearable("due_date", due_date, |d| DueDate::parse(&d));
    Some((description?, status?.map(Into::into), priority?.map(Into::into), due_date?))
}

impl CreateTask {
    /// Parses into a full domain draft; absent fields take their defaults.
    pub fn into_draft(self) -> Result<TaskDraft, ApiError> {
        let mut v = FieldErrors::default();
        let title = v.check("title", TaskTitle::parse(&self.title));
        let fields = task_fields(&mut v, self.description, self.status, self.priority, self.due_date);
        match (title, fields) {
            (Some(title), Some((description, status, priority, due_date))) => Ok(TaskDraft {
                title,
                description: description.unwrap_or_default(),
                status: status.unwrap_or_default(),
                priority: priority.unwrap_or_default(),
                due_date: due_date.flatten(),
            }),
            _ => Err(v.into_error()),
        }
    }
}

/// `PATCH /tasks/{id}`: omitted fields are unchanged; `"due_date": null` clears the date.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchTask {
    /// A new title.
    #[serde(default)]
    #[schema(schema_with = field_schemas::task_title, required = false)]
    pub title: Maybe<String>,
    /// A new description.
    #[serde(default)]
    #[schema(schema_with = field_schemas::description, required = false)]
    pub description: Maybe<String>,
    /// A new status.
    #[serde(default)]
    #[schema(value_type = TaskStatusDto, required = false)]
    pub status: Maybe<TaskStatusDto>,
    /// A new priority.
    #[serde(default)]
    #[schema(value_type = TaskPriorityDto, required = false)]
    pub priority: Maybe<TaskPriorityDto>,
    /// A new due date, or null to clear it.
    #[serde(default)]
    #[schema(schema_with = field_schemas::due_date, required = false)]
    pub due_date: Maybe<String>,
}

impl PatchTask {
    /// Parses into a domain patch.
    pub fn into_patch(self) -> Result<TaskPatch, ApiError> {
        let mut v = FieldErrors::default();
        let title = v.optional("title", self.title, |t| TaskTitle::parse(&t));
        let fields = task_fields(&mut v, self.description, self.status, self.priority, self.due_date);
        match (title, fields) {
            (Some(title), Some((description, status, priority, due_date))) => {
                Ok(TaskPatch { title, description, status, priority, due_date })
            }
            _ => Err(v.into_error()),
        }
    }
}

/// `GET /projects/{id}/tasks` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskListQuery {
    /// Only tasks with this status.
    #[param(value_type = Option<TaskStatusDto>)]
    pub status: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub offset: Option<i64>,
}

impl TaskListQuery {
    /// The status filter (422 for an unknown status) and the page request.
    pub fn into_parts(self) -> Result<(Option<TaskStatus>, domain::PageRequest), ApiError> {
        let status = match self.status {
            None => None,
            Some(s) => Some(s.parse::<TaskStatus>().map_err(|e| ApiError::invalid_query(vec![FieldError::new("status", e)]))?),
        };
        let page = crate::dto::PageQuery { limit: self.limit, offset: self.offset }.into_page()?;
        Ok((status, page))
    }
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Task)]
pub struct TaskResponse {
    /// Stable id.
    pub id: Uuid,
    /// The project it belongs to.
    pub project_id: Uuid,
    /// Its title.
    pub title: String,
    /// Its description (may be empty).
    pub description: String,
    /// Its status.
    pub status: TaskStatusDto,
    /// Its priority.
    pub priority: TaskPriorityDto,
    /// Its due date, or null.
    #[schema(value_type = Option<chrono::NaiveDate>, format = Date)]
    pub due_date: Option<String>,
    /// Creation time (UTC).
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<Task> for TaskResponse {
    fn from(t: Task) -> Self {
        Self {
            id: t.id.as_uuid(),
            project_id: t.project_id.as_uuid(),
            title: t.title.as_str().to_owned(),
            description: t.description.as_str().to_owned(),
            status: t.status.into(),
            priority: t.priority.into(),
            due_date: t.due_date.map(|d| d.to_string()),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

page_type!(
    /// A page of tasks.
    TaskPage, TaskResponse
);
