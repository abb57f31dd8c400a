//! `/users/me*`: the caller's own account and sessions.

use crate::dto::{AuditPage, ChangePassword, CurrentPassword, PageQuery, SessionPage, UpdateMe, UserResponse};
use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiJson, ApiQuery, Caller, MaybeJson, ReadsProfile, RequestClient};
use crate::edge::state::AppState;
use crate::openapi::{BadPath, JsonBodyErrors, NotFound, QueryErrors, RateLimited, Unauthenticated, Unavailable};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use domain::SessionId;
use uuid::Uuid;

/// The caller's account.
#[utoipa::path(tag = "me", security(("bearer" = []), ("oauth2" = []), ("pat" = ["profile"])), responses((status = 200, description = "the caller's account", body = UserResponse), Unauthenticated, Unavailable))]
#[get("")]
pub async fn get_me(caller: Caller<ReadsProfile>) -> Result<web::Json<UserResponse>, ApiError> {
    Ok(web::Json(caller.principal().await?.user().clone().into()))
}

/// Change name and/or email (an email change needs `current_password`). With
/// `auth.email_change = "confirm"` (the default) the address stays until the new one confirms
/// through the emailed link: the answer shows it as `pending_email`, and the old address gets a notice.
#[utoipa::path(
    tag = "me",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = UpdateMe,
    responses(
        (status = 200, description = "the account, changed; a new email waits for its confirmation in `pending_email`", body = UserResponse),
        (status = 409, description = "email already registered", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, RateLimited, Unavailable
    )
)]
#[patch("")]
pub async fn update_me(
    caller: Caller,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<UpdateMe>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let update = body.into_update()?;
    let lane = Lane::checking_password_if(update.may_check_password());
    let user = caller.run(lane, move |app, me| app.accounts.update_profile(me, update, &client)).await?;
    Ok(web::Json(user.into()))
}

/// Change the password; every other session of the caller is revoked.
#[utoipa::path(
    tag = "me",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = ChangePassword,
    responses((status = 204, description = "password changed"), JsonBodyErrors, Unauthenticated, RateLimited, Unavailable)
)]
#[post("/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let (current, new) = body.into_parts(state.app.auth.max_password_bytes())?;
    caller.run(Lane::PasswordCheck, move |app, me| app.accounts.change_password(me, current.as_ref(), &new, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delete the caller's account and everything it owns.
#[utoipa::path(
    tag = "me",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CurrentPassword,
    responses(
        (status = 204, description = "account deleted"),
        (status = 409, description = "the caller is the last active admin", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, RateLimited, Unavailable
    )
)]
#[delete("")]
pub async fn delete_me(
    caller: Caller,
    RequestClient(client): RequestClient,
    MaybeJson(body): MaybeJson<CurrentPassword>,
) -> Result<HttpResponse, ApiError> {
    let current = body.unwrap_or_default().into_current_password()?;
    caller.run(Lane::PasswordCheck, move |app, me| app.accounts.delete_account(me, current.as_ref(), &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's live sessions, most recently used first.
#[utoipa::path(
    tag = "me",
    security(("bearer" = []), ("oauth2" = [])),
    params(PageQuery),
    responses((status = 200, description = "a page of the caller's live sessions", body = SessionPage), QueryErrors, Unauthenticated, Unavailable)
)]
#[get("/sessions")]
pub async fn list_sessions(caller: Caller, ApiQuery(query): ApiQuery<PageQuery>) -> Result<web::Json<SessionPage>, ApiError> {
    let page = query.into_page()?;
    let sessions = caller.run(Lane::Storage, move |app, me| app.accounts.sessions(me, page)).await?;
    Ok(web::Json(sessions.into()))
}

/// The caller's own security events, newest first.
#[utoipa::path(
    tag = "me",
    security(("bearer" = []), ("oauth2" = [])),
    params(PageQuery),
    responses((status = 200, description = "a page of the caller's security events, newest first", body = AuditPage), QueryErrors, Unauthenticated, Unavailable)
)]
#[get("/events")]
pub async fn list_events(caller: Caller, ApiQuery(query): ApiQuery<PageQuery>) -> Result<web::Json<AuditPage>, ApiError> {
    let page = query.into_page()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.accounts.events(me, page)).await?.into()))
}

/// Revoke one of the caller's sessions.
#[utoipa::path(
    tag = "me",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 204, description = "session revoked"), BadPath, NotFound, Unauthenticated, Unavailable)
)]
#[delete("/sessions/{id}")]
pub async fn revoke_session(caller: Caller, RequestClient(client): RequestClient, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = SessionId::from_uuid(id.into_inner());
    caller.run(Lane::Storage, move |app, me| app.accounts.revoke_session(me, id, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}
