//! `/projects/{id}/tasks` and `/tasks/{id}`: tasks of the caller's projects.

use crate::dto::{CreateTask, PatchTask, TaskListQuery, TaskPage, TaskResponse};
use crate::edge::blocking::Lane;
use crate::edge::error::ApiError;
use crate::edge::extract::{ApiJson, ApiQuery, Caller, ReadsProjects, WritesProjects};
use crate::openapi::{BadPath, JsonBodyErrors, NotFound, QueryErrors, Unauthenticated, Unavailable};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use domain::{ProjectId, TaskId};
use uuid::Uuid;

/// Add a task to one of the caller's projects.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:write"])),
    params(("id" = Uuid, Path, description = "project id")),
    request_body = CreateTask,
    responses(
        (status = 201, description = "task created", body = TaskResponse, headers(("Location" = String, description = "/tasks/{id}"))),
        JsonBodyErrors, NotFound, Unauthenticated, Unavailable
    )
)]
#[post("/projects/{id}/tasks")]
pub async fn create_task(
    caller: Caller<WritesProjects>,
    id: web::Path<Uuid>,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<HttpResponse, ApiError> {
    let project = ProjectId::from_uuid(id.into_inner());
    let draft = body.into_draft()?;
    let task = caller.run(Lane::Storage, move |app, me| app.tasks.create(me, project, draft)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/tasks/{}", task.id))).json(TaskResponse::from(task)))
}

/// A project's tasks, oldest first, optionally of one status.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:read"])),
    params(("id" = Uuid, Path, description = "project id"), TaskListQuery),
    responses((status = 200, description = "a page of the project's tasks, oldest first", body = TaskPage), QueryErrors, NotFound, Unauthenticated, Unavailable)
)]
#[get("/projects/{id}/tasks")]
pub async fn list_tasks(
    caller: Caller<ReadsProjects>,
    id: web::Path<Uuid>,
    ApiQuery(query): ApiQuery<TaskListQuery>,
) -> Result<web::Json<TaskPage>, ApiError> {
    let project = ProjectId::from_uuid(id.into_inner());
    let (status, page) = query.into_parts()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.tasks.list(me, project, status, page)).await?.into()))
}

/// One task of the caller's.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:read"])),
    params(("id" = Uuid, Path, description = "task id")),
    responses((status = 200, description = "the task", body = TaskResponse), BadPath, NotFound, Unauthenticated, Unavailable)
)]
#[get("/tasks/{id}")]
pub async fn get_task(caller: Caller<ReadsProjects>, id: web::Path<Uuid>) -> Result<web::Json<TaskResponse>, ApiError> {
    let id = TaskId::from_uuid(id.into_inner());
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.tasks.get(me, id)).await?.into()))
}

/// Partial update: omitted fields stay, `"due_date": null` clears the date.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:write"])),
    params(("id" = Uuid, Path, description = "task id")),
    request_body = PatchTask,
    responses((status = 200, description = "the task, changed", body = TaskResponse), JsonBodyErrors, NotFound, Unauthenticated, Unavailable)
)]
#[patch("/tasks/{id}")]
pub async fn patch_task(
    caller: Caller<WritesProjects>,
    id: web::Path<Uuid>,
    ApiJson(body): ApiJson<PatchTask>,
) -> Result<web::Json<TaskResponse>, ApiError> {
    let id = TaskId::from_uuid(id.into_inner());
    let patch = body.into_patch()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.tasks.patch(me, id, patch)).await?.into()))
}

/// Full replacement: `title` required, omitted fields reset to their defaults.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:write"])),
    params(("id" = Uuid, Path, description = "task id")),
    request_body = CreateTask,
    responses((status = 200, description = "the task, replaced", body = TaskResponse), JsonBodyErrors, NotFound, Unauthenticated, Unavailable)
)]
#[put("/tasks/{id}")]
pub async fn replace_task(
    caller: Caller<WritesProjects>,
    id: web::Path<Uuid>,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<web::Json<TaskResponse>, ApiError> {
    let id = TaskId::from_uuid(id.into_inner());
    let draft = body.into_draft()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.tasks.replace(me, id, draft)).await?.into()))
}

/// Delete a task.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:write"])),
    params(("id" = Uuid, Path, description = "task id")),
    responses((status = 204, description = "task deleted"), BadPath, NotFound, Unauthenticated, Unavailable)
)]
#[delete("/tasks/{id}")]
pub async fn delete_task(caller: Caller<WritesProjects>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = TaskId::from_uuid(id.into_inner());
    caller.run(Lane::Storage, move |app, me| app.tasks.delete(me, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
