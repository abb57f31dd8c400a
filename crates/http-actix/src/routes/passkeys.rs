//! Passkeys: registering one (options, then the authenticator's answer), the account's list,
//! renaming and deleting, and signing in with one (a discoverable sign-in, or the second step of
//! a sign-in, whose answer goes to `POST /auth/login/mfa`). The options are WebAuthn's JSON
//! form; the challenges stay in the database.

use crate::dto::{
    CeremonyResponse, FreshRequest, MfaRequiredProblem, PasskeyList, PasskeyOptionsRequest, PasskeyResponse, PasskeySignInRequest,
    RegisterPasskeyRequest, RenamePasskeyRequest, TokenResponse,
};
use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiJson, Caller, MaybeJson, RequestClient};
use crate::edge::state::AppState;
use crate::openapi::{BadPath, JsonBodyErrors, NotFound, RateLimited, Unauthenticated, Unavailable};
use crate::routes::auth::{mfa_required, token_response};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use domain::{PasskeyId, SignInOutcome};
use secrecy::ExposeSecret;
use uuid::Uuid;

/// Start registering a passkey (a fresh operation): creation options for
/// `navigator.credentials.create()` (resident key required, user verification preferred, the
/// account's passkeys excluded).
#[utoipa::path(
    tag = "passkeys",
    security(("bearer" = []), ("oauth2" = [])),
    request_body(content = Option<FreshRequest>, description = "may be left out when the session is fresh"),
    responses(
        (status = 200, description = "the options and their challenge", body = CeremonyResponse, headers(("Cache-Control" = String))),
        (status = 409, description = "the account holds 20 passkeys already", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, RateLimited, Unavailable
    )
)]
#[post("/passkeys/registration")]
pub async fn start_passkey_registration(caller: Caller, MaybeJson(body): MaybeJson<FreshRequest>) -> Result<HttpResponse, ApiError> {
    let current = body.unwrap_or_default().into_current_password()?;
    let lane = Lane::checking_password_if(current.is_some());
    let options = caller.run(lane, move |app, me| app.passkeys.start_registration(me, current.as_ref())).await?;
    Ok(super::uncached(HttpResponse::Ok()).json(CeremonyResponse::try_from(options)?))
}

/// Finish registering a passkey: the authenticator's answer to the registration's options. The
/// challenge is used up by this request, whatever the answer.
#[utoipa::path(
    tag = "passkeys",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = RegisterPasskeyRequest,
    responses(
        (status = 201, description = "registered", body = PasskeyResponse, headers(("Location" = String))),
        (status = 401, description = "an unknown, used or expired challenge, or an answer that does not verify (another challenge, origin or relying party, a bad signature); or no valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the account holds 20 passkeys already, or this passkey is registered already", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/passkeys")]
pub async fn register_passkey(
    caller: Caller,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<RegisterPasskeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let (challenge_id, answer, name) = body.into_parts()?;
    let passkey = caller.run(Lane::Storage, move |app, me| app.passkeys.register(me, challenge_id, &answer, name, &client)).await?;
    let location = format!("/users/me/passkeys/{}", passkey.id.as_uuid());
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(PasskeyResponse::from(passkey)))
}

/// The account's passkeys, oldest first.
#[utoipa::path(
    tag = "passkeys",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 200, description = "the passkeys", body = PasskeyList), Unauthenticated, Unavailable)
)]
#[get("/passkeys")]
pub async fn list_passkeys(caller: Caller) -> Result<web::Json<PasskeyList>, ApiError> {
    Ok(web::Json(caller.run(Lane::Storage, |app, me| app.passkeys.list(me)).await?.into()))
}

/// Rename a passkey.
#[utoipa::path(
    tag = "passkeys",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "passkey id")),
    request_body = RenamePasskeyRequest,
    responses((status = 200, description = "renamed", body = PasskeyResponse), BadPath, JsonBodyErrors, NotFound, Unauthenticated, RateLimited, Unavailable)
)]
#[patch("/passkeys/{id}")]
pub async fn rename_passkey(
    caller: Caller,
    id: web::Path<Uuid>,
    ApiJson(body): ApiJson<RenamePasskeyRequest>,
) -> Result<web::Json<PasskeyResponse>, ApiError> {
    let name = body.into_name()?;
    let id = PasskeyId::from_uuid(id.into_inner());
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.passkeys.rename(me, id, &name)).await?.into()))
}

/// Delete a passkey (a fresh operation); never the account's last way to sign in.
#[utoipa::path(
    tag = "passkeys",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "passkey id")),
    request_body(content = Option<FreshRequest>, description = "may be left out when the session is fresh"),
    responses(
        (status = 204, description = "deleted"),
        (status = 409, description = "the account's last way to sign in (no password, no other passkey, no linked identity)", body = Problem, content_type = "application/problem+json"),
        BadPath, JsonBodyErrors, NotFound, Unauthenticated, RateLimited, Unavailable
    )
)]
#[delete("/passkeys/{id}")]
pub async fn delete_passkey(
    caller: Caller,
    RequestClient(client): RequestClient,
    id: web::Path<Uuid>,
    MaybeJson(body): MaybeJson<FreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let current = body.unwrap_or_default().into_current_password()?;
    let id = PasskeyId::from_uuid(id.into_inner());
    let lane = Lane::checking_password_if(current.is_some());
    caller.run(lane, move |app, me| app.passkeys.remove(me, current.as_ref(), id, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Request options for `navigator.credentials.get()`: without a body (or `mfa_token`) a
/// discoverable sign-in (no `allowCredentials`: the person picks a passkey, no email typed);
/// with the `mfa_token` of an `mfa-required` answer, the second step of that sign-in, listing
/// its account's passkeys (its answer goes to `POST /auth/login/mfa`).
#[utoipa::path(
    tag = "passkeys",
    request_body(content = Option<PasskeyOptionsRequest>, description = "may be left out for a discoverable sign-in"),
    responses(
        (status = 200, description = "the options and their challenge", body = CeremonyResponse, headers(("Cache-Control" = String))),
        (status = 401, description = "an mfa_token that is invalid, used or expired, or whose sign-in a passkey cannot finish (none registered, or the first step was a passkey)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/passkey/options")]
pub async fn passkey_options(
    state: web::Data<AppState>,
    MaybeJson(body): MaybeJson<PasskeyOptionsRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.unwrap_or_default().into_token()?;
    let options = state.run(Lane::Storage, move |app| app.passkeys.sign_in_options(token.as_ref().map(|t| t.expose_secret()))).await?;
    Ok(super::uncached(HttpResponse::Ok()).json(CeremonyResponse::try_from(options)?))
}

/// Sign in with a passkey: the answer to a discoverable sign-in's options. With user
/// verification the sign-in is complete (`amr` `hwk user mfa`); without, it is one factor
/// (`hwk`), and an account with two-step sign-in on answers `mfa-required`.
#[utoipa::path(
    tag = "passkeys",
    request_body = PasskeySignInRequest,
    responses(
        (status = 200, description = "signed in", body = TokenResponse, headers(("Cache-Control" = String))),
        (status = 401, description = "an unknown, used or expired challenge, an answer that does not verify, a passkey nobody has, a signature counter that went backwards, or a deactivated account", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "two-step sign-in is on and the passkey did not verify the user: `urn:gatehouse:mfa-required` with the `mfa_token` (no token pair); with auth.require_verified_email, the address must be verified first; in cookie mode, an `Origin` that is neither the server's own nor allowed", body = MfaRequiredProblem, content_type = "application/problem+json"),
        JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/passkey")]
pub async fn passkey_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<PasskeySignInRequest>,
) -> Result<HttpResponse, ApiError> {
    let writer = state.refresh_cookie.writer(&req)?;
    let (challenge_id, answer) = body.into_parts()?;
    match state.run(Lane::Storage, move |app| app.passkeys.sign_in(challenge_id, &answer, &client)).await? {
        SignInOutcome::Complete(pair) => Ok(token_response(&pair, writer)),
        SignInOutcome::SecondStep(second) => Err(mfa_required(&second)),
    }
}
