//! `/projects*`: the caller's projects.

use crate::dto::{CreateProject, PageQuery, ProjectPage, ProjectResponse, UpdateProject};
use crate::edge::blocking::Lane;
use crate::edge::error::ApiError;
use crate::edge::extract::{ApiJson, ApiQuery, Caller, ReadsProjects, WritesProjects};
use crate::openapi::{BadPath, JsonBodyErrors, NotFound, QueryErrors, Unauthenticated, Unavailable};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::ProjectId;
use uuid::Uuid;

/// Create a project owned by the caller.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:write"])),
    request_body = CreateProject,
    responses(
        (status = 201, description = "project created", body = ProjectResponse, headers(("Location" = String, description = "/projects/{id}"))),
        JsonBodyErrors, Unauthenticated, Unavailable
    )
)]
#[post("/projects")]
pub async fn create_project(caller: Caller<WritesProjects>, ApiJson(body): ApiJson<CreateProject>) -> Result<HttpResponse, ApiError> {
    let draft = body.into_draft()?;
    let project = caller.run(Lane::Storage, move |app, me| app.projects.create(me, draft)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/projects/{}", project.id))).json(ProjectResponse::from(project)))
}

/// The caller's projects, newest first.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:read"])),
    params(PageQuery),
    responses((status = 200, description = "a page of the caller's projects, newest first", body = ProjectPage), QueryErrors, Unauthenticated, Unavailable)
)]
#[get("/projects")]
pub async fn list_projects(
    caller: Caller<ReadsProjects>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<web::Json<ProjectPage>, ApiError> {
    let page = query.into_page()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.projects.list(me, page)).await?.into()))
}

/// One of the caller's projects.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:read"])),
    params(("id" = Uuid, Path, description = "project id")),
    responses((status = 200, description = "the project", body = ProjectResponse), BadPath, NotFound, Unauthenticated, Unavailable)
)]
#[get("/projects/{id}")]
pub async fn get_project(caller: Caller<ReadsProjects>, id: web::Path<Uuid>) -> Result<web::Json<ProjectResponse>, ApiError> {
    let id = ProjectId::from_uuid(id.into_inner());
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.projects.get(me, id)).await?.into()))
}

/// Change a project's name and/or description.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:write"])),
    params(("id" = Uuid, Path, description = "project id")),
    request_body = UpdateProject,
    responses((status = 200, description = "the project, changed", body = ProjectResponse), JsonBodyErrors, NotFound, Unauthenticated, Unavailable)
)]
#[patch("/projects/{id}")]
pub async fn update_project(
    caller: Caller<WritesProjects>,
    id: web::Path<Uuid>,
    ApiJson(body): ApiJson<UpdateProject>,
) -> Result<web::Json<ProjectResponse>, ApiError> {
    let id = ProjectId::from_uuid(id.into_inner());
    let patch = body.into_patch()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.projects.update(me, id, patch)).await?.into()))
}

/// Delete a project and its tasks.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["projects:write"])),
    params(("id" = Uuid, Path, description = "project id")),
    responses((status = 204, description = "project deleted"), BadPath, NotFound, Unauthenticated, Unavailable)
)]
#[delete("/projects/{id}")]
pub async fn delete_project(caller: Caller<WritesProjects>, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = ProjectId::from_uuid(id.into_inner());
    caller.run(Lane::Storage, move |app, me| app.projects.delete(me, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
