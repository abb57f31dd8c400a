//! Machine access: the caller's personal access tokens (`/users/me/tokens`), an admin's view of
//! another account's (`/users/{id}/tokens`), introspection (`POST /auth/introspect`, RFC 7662)
//! and revocation (`POST /auth/revoke`, RFC 7009).

use crate::dto::{CreateTokenRequest, CreatedPatResponse, PatList};
use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiJson, Caller, Introspects, RequestClient, TokenParametersForm};
use crate::edge::state::AppState;
use crate::openapi::{BadPath, FormErrors, InsufficientScope, JsonBodyErrors, NotFound, RateLimited, Unauthenticated, Unavailable};
use actix_web::{HttpResponse, delete, get, post, web};
use domain::{Introspection, PatId, UserId};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Create a personal access token for scripts and services: its text is in this answer only
/// (stored as a hash), and the owner is told by mail. At most 50 live per account. Needs a fresh
/// session or `current_password`; a token cannot create another.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CreateTokenRequest,
    responses(
        (status = 201, description = "the token, its text shown this once", body = CreatedPatResponse, headers(("Cache-Control" = String))),
        (status = 409, description = "the account holds 50 live tokens already", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, InsufficientScope, RateLimited, Unavailable
    )
)]
#[post("/tokens")]
pub async fn create_token(
    caller: Caller,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let (current, request) = body.into_parts()?;
    let lane = Lane::checking_password_if(current.is_some());
    let (token, text) = caller.run(lane, move |app, me| app.tokens.create(me, current.as_ref(), request, &client)).await?;
    Ok(super::uncached(HttpResponse::Created()).json(CreatedPatResponse::new(token, &text)))
}

/// The caller's live personal access tokens, newest first (never their text).
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 200, description = "the live tokens", body = PatList), Unauthenticated, InsufficientScope, Unavailable)
)]
#[get("/tokens")]
pub async fn list_tokens(caller: Caller) -> Result<web::Json<PatList>, ApiError> {
    Ok(web::Json(caller.run(Lane::Storage, |app, me| app.tokens.list(me)).await?.into()))
}

/// Revoke one of the caller's personal access tokens: it is refused from now on.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "token id")),
    responses((status = 204, description = "revoked"), BadPath, NotFound, Unauthenticated, InsufficientScope, Unavailable)
)]
#[delete("/tokens/{id}")]
pub async fn revoke_token(caller: Caller, RequestClient(client): RequestClient, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = PatId::from_uuid(id.into_inner());
    caller.run(Lane::Storage, move |app, me| app.tokens.revoke(me, id, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An admin's view of another account's live personal access tokens.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, description = "the account's live tokens", body = PatList), BadPath, NotFound, Unauthenticated, InsufficientScope, Unavailable)
)]
#[get("/users/{id}/tokens")]
pub async fn list_user_tokens(caller: Caller, id: web::Path<Uuid>) -> Result<web::Json<PatList>, ApiError> {
    let user = UserId::from_uuid(id.into_inner());
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.tokens.list_of(me, user)).await?.into()))
}

/// An admin revokes another account's personal access token.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "user id"), ("token_id" = Uuid, Path, description = "token id")),
    responses((status = 204, description = "revoked"), BadPath, NotFound, Unauthenticated, InsufficientScope, Unavailable)
)]
#[delete("/users/{id}/tokens/{token_id}")]
pub async fn revoke_user_token(
    caller: Caller,
    RequestClient(client): RequestClient,
    ids: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (user, token) = ids.into_inner();
    let (user, token) = (UserId::from_uuid(user), PatId::from_uuid(token));
    caller.run(Lane::Storage, move |app, me| app.tokens.revoke_of_user(me, user, token, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// RFC 7662's answer: `{"active": false}` alone for anything not live; the members of the
/// token's kind otherwise.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct IntrospectionResponse {
    /// Whether the token grants access now (its session or account as stored now, not only its
    /// signature and expiry).
    pub active: bool,
    /// `access_token`, `refresh_token` or `personal_access_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// The account's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<Uuid>,
    /// The session's id (access and refresh tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// Expiry, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the epoch (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The issuer (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The audience (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// How the session signed in, RFC 8176 (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<&'static str>>,
    /// The account's email (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The token's scopes, space-separated (personal access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl IntrospectionResponse {
    fn new(found: Introspection, state: &AppState) -> Self {
        match found {
            Introspection::Inactive => Self::default(),
            Introspection::Access { claims, user } => Self {
                active: true,
                token_type: Some("access_token"),
                sub: Some(claims.user_id.as_uuid()),
                sid: Some(claims.session_id.as_uuid()),
                exp: Some(claims.expires_at.timestamp()),
                iat: Some(claims.issued_at.timestamp()),
                iss: Some(state.token_names.issuer.clone()),
                aud: Some(state.token_names.audience.clone()),
                amr: Some(claims.amr.methods().map(|m| m.as_str()).collect()),
                username: Some(user.email.as_str().to_owned()),
                scope: None,
            },
            Introspection::Refresh { session } => Self {
                active: true,
                token_type: Some("refresh_token"),
                sub: Some(session.user_id.as_uuid()),
                sid: Some(session.id.as_uuid()),
                exp: Some(session.expires_at.timestamp()),
                ..Self::default()
            },
            Introspection::Personal { token } => Self {
                active: true,
                token_type: Some("personal_access_token"),
                sub: Some(token.user_id.as_uuid()),
                exp: Some(token.expires_at.timestamp()),
                scope: Some(token.scopes.to_space_separated()),
                ..Self::default()
            },
        }
    }
}

/// The request of RFC 7662 and RFC 7009: `token`, and `token_type_hint`, which may be left out
/// and is only a hint (every kind is tried whatever it says).
#[derive(Debug, ToSchema)]
pub struct TokenParameters {
    /// An access token, a refresh token or a personal access token.
    #[schema(min_length = 1)]
    pub token: String,
    /// `access_token`, `refresh_token` or `personal_access_token`.
    pub token_type_hint: Option<String>,
}

/// The form's `token`: 400 without one.
fn token_of(mut form: HashMap<String, String>) -> Result<String, ApiError> {
    form.remove("token").filter(|t| !t.is_empty()).ok_or_else(|| ApiError::bad_request("parameter token is required"))
}

/// Whether a token is live (RFC 7662), for resource servers: an access token of a logged-out
/// session or a deactivated account is `{"active": false}` although its signature and `exp` are
/// fine. The caller is a service holding a personal access token with the `introspect` scope
/// (anything else: 401; a token without the scope: 403). Not under the per-client limit.
#[utoipa::path(
    tag = "tokens",
    security(("pat" = ["introspect"])),
    request_body(content = TokenParameters, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "RFC 7662: `{\"active\": false}` alone, or the live token's members", body = IntrospectionResponse, headers(("Cache-Control" = String))),
        FormErrors, Unauthenticated, InsufficientScope, Unavailable
    )
)]
#[post("/auth/introspect")]
pub async fn introspect(
    state: web::Data<AppState>,
    caller: Caller<Introspects>,
    TokenParametersForm(form): TokenParametersForm,
) -> Result<HttpResponse, ApiError> {
    let token = token_of(form)?;
    let found = caller.run(Lane::Storage, move |app, _| app.tokens.introspect(&token)).await?;
    Ok(super::uncached(HttpResponse::Ok()).json(IntrospectionResponse::new(found, &state)))
}

/// Revoke a token (RFC 7009): a refresh or an access token ends its session, a personal access
/// token itself. 200 with an empty body for every well-formed request, known token or not.
#[utoipa::path(
    tag = "tokens",
    request_body(content = TokenParameters, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "revoked, or nothing to revoke"), FormErrors, RateLimited, Unavailable)
)]
#[post("/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    TokenParametersForm(form): TokenParametersForm,
) -> Result<HttpResponse, ApiError> {
    let token = token_of(form)?;
    state.run(Lane::Storage, move |app| app.tokens.revoke_any(&token, &client)).await?;
    Ok(HttpResponse::Ok().finish())
}
