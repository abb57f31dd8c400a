//! `/users` and `/users/{id}`: administration (and self-lookup by id).

use crate::dto::{AdminUpdateUser, InviteRequest, PageQuery, UserPage, UserResponse};
use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiJson, ApiQuery, Caller, ReadsAccounts, RequestClient};
use crate::openapi::{BadPath, JsonBodyErrors, NotFound, QueryErrors, Unauthenticated, Unavailable};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::UserId;
use uuid::Uuid;

/// List every account (admin only), oldest first.
#[utoipa::path(
    tag = "users",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["admin:read"])),
    params(PageQuery),
    responses(
        (status = 200, description = "a page of accounts, oldest first", body = UserPage),
        (status = 403, description = "admin role required", body = Problem, content_type = "application/problem+json"),
        QueryErrors, Unauthenticated, Unavailable
    )
)]
#[get("/users")]
pub async fn list_users(caller: Caller<ReadsAccounts>, ApiQuery(query): ApiQuery<PageQuery>) -> Result<web::Json<UserPage>, ApiError> {
    let page = query.into_page()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.admin.list_users(me, page)).await?.into()))
}

/// Invite someone (admin only): an unverified account without a usable password, whose owner
/// sets one through the emailed link (valid `auth.invite_ttl_secs`).
#[utoipa::path(
    tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = InviteRequest,
    responses(
        (status = 201, description = "account created and invited", body = UserResponse, headers(("Location" = String, description = "/users/{id}"))),
        (status = 403, description = "admin role required", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "email already registered", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, Unavailable
    )
)]
#[post("/users")]
pub async fn invite_user(
    caller: Caller,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    let invite = body.into_invite()?;
    let user = caller.run(Lane::PasswordCheck, move |app, me| app.admin.invite(me, invite, &client)).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/users/{}", user.id))).json(UserResponse::from(user)))
}

/// One account: admins see anyone, others only themselves (else 404).
#[utoipa::path(
    tag = "users",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["admin:read"])),
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, description = "the account", body = UserResponse), BadPath, NotFound, Unauthenticated, Unavailable)
)]
#[get("/users/{id}")]
pub async fn get_user(caller: Caller<ReadsAccounts>, id: web::Path<Uuid>) -> Result<web::Json<UserResponse>, ApiError> {
    let id = UserId::from_uuid(id.into_inner());
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.admin.get_user(me, id)).await?.into()))
}

/// Change an account's name, role or activity (admin only).
#[utoipa::path(
    tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "user id")),
    request_body = AdminUpdateUser,
    responses(
        (status = 200, description = "the account, changed", body = UserResponse),
        (status = 403, description = "admin role required", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "would remove the last active admin", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, NotFound, Unauthenticated, Unavailable
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    caller: Caller,
    RequestClient(client): RequestClient,
    id: web::Path<Uuid>,
    ApiJson(body): ApiJson<AdminUpdateUser>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let id = UserId::from_uuid(id.into_inner());
    let update = body.into_update()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.admin.update_user(me, id, update, &client)).await?.into()))
}

/// Delete an account and everything it owns (admin only).
#[utoipa::path(
    tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "user id")),
    responses(
        (status = 204, description = "account deleted"),
        (status = 403, description = "admin role required", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "would remove the last active admin", body = Problem, content_type = "application/problem+json"),
        BadPath, NotFound, Unauthenticated, Unavailable
    )
)]
#[delete("/users/{id}")]
pub async fn delete_user(caller: Caller, RequestClient(client): RequestClient, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = UserId::from_uuid(id.into_inner());
    caller.run(Lane::Storage, move |app, me| app.admin.delete_user(me, id, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}
