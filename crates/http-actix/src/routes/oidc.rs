//! Sign-in through an OpenID Connect provider: the providers for buttons, the start (a 302 to
//! the provider), the provider's callback (a 302 back to the app with a one-time `code`), and
//! the caller's linked identities. The code is redeemed at `POST /auth/token`
//! (`grant_type=authorization_code`). Calls to a provider run on the outbound lane, never on a
//! storage thread or an async worker.

use crate::dto::{AuthorizationUrlResponse, CallbackQuery, FreshRequest, IdentityList, LinkIdentityRequest, ProviderList, StartQuery};
use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiJson, ApiQuery, Caller, MaybeJson, RequestClient};
use crate::edge::state::AppState;
use crate::openapi::{BadPath, JsonBodyErrors, NotFound, QueryErrors, RateLimited, Unauthenticated, Unavailable};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use domain::{Callback, IdentityId, ProviderId};
use uuid::Uuid;

/// A configured provider's id from the path; anything else is no provider (404).
fn provider_of(path: &str) -> Result<ProviderId, ApiError> {
    ProviderId::parse(path).map_err(|_| ApiError::not_found())
}

/// A 302 to `location` that no cache keeps (it carries a one-time secret).
fn found(location: &str) -> HttpResponse {
    super::uncached(HttpResponse::Found()).insert_header((header::LOCATION, location)).finish()
}

/// The providers people may sign in with, for sign-in buttons.
#[utoipa::path(tag = "oidc", responses((status = 200, description = "the configured providers", body = ProviderList)))]
#[get("/oidc/providers")]
pub async fn list_providers(state: web::Data<AppState>) -> web::Json<ProviderList> {
    web::Json(state.app.oidc.providers().into())
}

/// Start a sign-in with a provider: a 302 to the provider's sign-in page. The app passes its own
/// PKCE challenge (S256) and a `redirect_uri` from the allowed list; it gets `?code=…` there and
/// redeems it at `POST /auth/token` with its `code_verifier`.
#[utoipa::path(
    tag = "oidc",
    params(("provider" = String, Path, description = "the provider's id"), StartQuery),
    responses(
        (status = 302, description = "to the provider's sign-in page", headers(("Location" = String), ("Cache-Control" = String))),
        (status = 400, description = "a redirect_uri that is not allowed, or a missing or malformed code_challenge", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such provider", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "the provider's discovery document or keys cannot be read now (or the server is overloaded)", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = String))),
        RateLimited
    )
)]
#[get("/oidc/{provider}/start")]
pub async fn start(
    state: web::Data<AppState>,
    provider: web::Path<String>,
    ApiQuery(query): ApiQuery<StartQuery>,
) -> Result<HttpResponse, ApiError> {
    let provider = provider_of(&provider)?;
    let (redirect_uri, challenge) = query.into_parts()?;
    let url = state.run(Lane::Outbound, move |app| app.oidc.start(&provider, &redirect_uri, challenge)).await?;
    Ok(found(&url))
}

/// Where the provider sends the browser back. Once the `state` names a live flow, every outcome
/// is a 302 to the app's `redirect_uri`: `?code=…` (sign-in), `?linked={provider}` (linking), or
/// `?error=…&error_description=…` (RFC 6749 §4.1.2.1 codes, `account_exists`,
/// `signup_disabled`, `identity_in_use`).
#[utoipa::path(
    tag = "oidc",
    params(("provider" = String, Path, description = "the provider's id"), CallbackQuery),
    responses(
        (status = 302, description = "back to the app's redirect_uri", headers(("Location" = String), ("Cache-Control" = String))),
        (status = 400, description = "an unknown, used or expired state: no redirect", body = Problem, content_type = "application/problem+json"),
        QueryErrors, RateLimited, Unavailable
    )
)]
#[get("/oidc/{provider}/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    provider: web::Path<String>,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let unknown = || ApiError::bad_request("the state is unknown, used or expired");
    let provider = ProviderId::parse(&provider).map_err(|_| unknown())?;
    let state_param = query.state;
    let redirect = state
        .run(Lane::Outbound, move |app| {
            let answer =
                Callback { state: &state_param, code: query.code.as_deref(), error: query.error.as_deref(), iss: query.iss.as_deref() };
            app.oidc.callback(&provider, answer, &client)
        })
        .await?;
    if let Some(failure) = &redirect.failure {
        tracing::warn!(reason = %failure, "a sign-in through a provider failed");
    }
    let query = serde_urlencoded::to_string(&redirect.params).map_err(ApiError::internal)?;
    let separator = if redirect.redirect_uri.contains('?') { '&' } else { '?' };
    Ok(found(&format!("{}{separator}{query}", redirect.redirect_uri)))
}

/// Link an identity of a provider to this account (a fresh operation): send the browser to
/// `authorization_url`; it returns to `redirect_uri?linked={provider}` (or `?error=…`).
#[utoipa::path(
    tag = "oidc",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = LinkIdentityRequest,
    responses(
        (status = 200, description = "where to send the browser", body = AuthorizationUrlResponse, headers(("Cache-Control" = String))),
        (status = 400, description = "a redirect_uri that is not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such provider", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, RateLimited, Unavailable
    )
)]
#[post("/identities")]
pub async fn link_identity(caller: Caller, ApiJson(body): ApiJson<LinkIdentityRequest>) -> Result<HttpResponse, ApiError> {
    let (current, provider, redirect_uri) = body.into_parts()?;
    let lane = if current.is_some() { Lane::PasswordCheck } else { Lane::Outbound };
    let url = caller.run(lane, move |app, me| app.oidc.start_link(me, current.as_ref(), &provider, &redirect_uri)).await?;
    Ok(super::uncached(HttpResponse::Ok()).json(AuthorizationUrlResponse { authorization_url: url }))
}

/// The provider identities linked to this account.
#[utoipa::path(
    tag = "oidc",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 200, description = "the linked identities", body = IdentityList), Unauthenticated, Unavailable)
)]
#[get("/identities")]
pub async fn list_identities(caller: Caller) -> Result<web::Json<IdentityList>, ApiError> {
    Ok(web::Json(caller.run(Lane::Storage, |app, me| app.oidc.identities(me)).await?.into()))
}

/// Unlink a provider identity (a fresh operation); never the account's last way to sign in.
#[utoipa::path(
    tag = "oidc",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "identity id")),
    request_body(content = Option<FreshRequest>, description = "may be left out when the session is fresh"),
    responses(
        (status = 204, description = "unlinked"),
        (status = 409, description = "the account's last way to sign in", body = Problem, content_type = "application/problem+json"),
        BadPath, JsonBodyErrors, NotFound, Unauthenticated, RateLimited, Unavailable
    )
)]
#[delete("/identities/{id}")]
pub async fn unlink_identity(
    caller: Caller,
    RequestClient(client): RequestClient,
    id: web::Path<Uuid>,
    MaybeJson(body): MaybeJson<FreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let current = body.unwrap_or_default().into_current_password()?;
    let id = IdentityId::from_uuid(id.into_inner());
    let lane = Lane::checking_password_if(current.is_some());
    caller.run(lane, move |app, me| app.oidc.unlink(me, current.as_ref(), id, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}
