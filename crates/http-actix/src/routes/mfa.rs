//! Two-step sign-in: `/users/me/mfa*` (the caller's second factors), the second step of a
//! sign-in (`POST /auth/login/mfa`), an admin's reset of another account's factors
//! (`DELETE /users/{id}/mfa`), and the password policy (`GET /auth/password-policy`).

use crate::dto::{
    CodeRequest, ConfirmTotpRequest, FreshRequest, MfaStatusResponse, PasswordPolicyResponse, RecoveryCodesResponse, SecondStepRequest,
    TokenResponse, TotpEnrolmentResponse,
};
use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiJson, Caller, MaybeJson, RequestClient};
use crate::edge::state::AppState;
use crate::openapi::{BadPath, JsonBodyErrors, NotFound, RateLimited, Unauthenticated, Unavailable, UntrustedOrigin};
use crate::routes::auth::token_response;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use domain::UserId;
use secrecy::ExposeSecret;
use uuid::Uuid;

/// The caller's second factors.
#[utoipa::path(
    tag = "mfa",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 200, description = "what the account has", body = MfaStatusResponse), Unauthenticated, Unavailable)
)]
#[get("/mfa")]
pub async fn mfa_status(caller: Caller) -> Result<web::Json<MfaStatusResponse>, ApiError> {
    let status = caller.run(Lane::Storage, |app, me| app.mfa.status(me)).await?;
    Ok(web::Json(status.into()))
}

/// Start (or restart) an enrolment in TOTP: the secret, its `otpauth://` URI and a QR code of
/// it, shown this once. It waits 10 minutes for a confirming code. Needs a fresh session or
/// `current_password`.
#[utoipa::path(
    tag = "mfa",
    security(("bearer" = []), ("oauth2" = [])),
    request_body(content = Option<FreshRequest>, description = "may be left out right after a sign-in"),
    responses(
        (status = 201, description = "the enrolment, waiting for a code", body = TotpEnrolmentResponse, headers(("Cache-Control" = String))),
        (status = 409, description = "two-step sign-in is already on", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, RateLimited, Unavailable
    )
)]
#[post("/mfa/totp")]
pub async fn start_totp(caller: Caller, MaybeJson(body): MaybeJson<FreshRequest>) -> Result<HttpResponse, ApiError> {
    let current = body.unwrap_or_default().into_current_password()?;
    let lane = Lane::checking_password_if(current.is_some());
    let enrolment = caller.run(lane, move |app, me| app.mfa.start_totp(me, current.as_ref())).await?;
    Ok(super::uncached(HttpResponse::Created()).json(TotpEnrolmentResponse::from(enrolment)))
}

/// Confirm the enrolment with a code of the authenticator app: two-step sign-in is on, and ten
/// recovery codes are shown this once. Every other session of the account is signed out.
#[utoipa::path(
    tag = "mfa",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = ConfirmTotpRequest,
    responses(
        (status = 200, description = "on; the recovery codes", body = RecoveryCodesResponse, headers(("Cache-Control" = String))),
        (status = 409, description = "no enrolment waits for a code (none, or it expired)", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, RateLimited, Unavailable
    )
)]
#[post("/mfa/totp/confirm")]
pub async fn confirm_totp(
    caller: Caller,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<ConfirmTotpRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = body.into_code()?;
    let codes = caller.run(Lane::Storage, move |app, me| app.mfa.confirm_totp(me, &code, &client)).await?;
    Ok(super::uncached(HttpResponse::Ok()).json(RecoveryCodesResponse::from(codes)))
}

/// Turn two-step sign-in off with a current code or an unused recovery code: the TOTP secret
/// and the recovery codes are deleted, and the owner is told by mail. Needs a fresh session or
/// `current_password`.
#[utoipa::path(
    tag = "mfa",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CodeRequest,
    responses(
        (status = 204, description = "off"),
        (status = 409, description = "two-step sign-in is off", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, RateLimited, Unavailable
    )
)]
#[delete("/mfa")]
pub async fn disable_mfa(
    caller: Caller,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (current, code) = body.into_parts()?;
    let lane = Lane::checking_password_if(current.is_some());
    caller.run(lane, move |app, me| app.mfa.disable(me, current.as_ref(), &code, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ten new recovery codes for a current code or an unused recovery code; the old ones die.
/// Needs a fresh session or `current_password`.
#[utoipa::path(
    tag = "mfa",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "the new codes, shown this once", body = RecoveryCodesResponse, headers(("Cache-Control" = String))),
        (status = 409, description = "two-step sign-in is off", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, Unauthenticated, RateLimited, Unavailable
    )
)]
#[post("/mfa/recovery-codes")]
pub async fn regenerate_recovery_codes(
    caller: Caller,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (current, code) = body.into_parts()?;
    let lane = Lane::checking_password_if(current.is_some());
    let codes = caller.run(lane, move |app, me| app.mfa.regenerate_recovery_codes(me, current.as_ref(), &code, &client)).await?;
    Ok(super::uncached(HttpResponse::Ok()).json(RecoveryCodesResponse::from(codes)))
}

/// The second step of a sign-in: the `mfa_token` of the `mfa-required` answer and a code of the
/// authenticator app (or an unused recovery code), or a passkey's answer to the options of
/// `POST /auth/passkey/options` with that `mfa_token`. A wrong code or answer is 401; five of them, or 300
/// seconds, end the `mfa_token`, and every code counts against the account's lockout.
#[utoipa::path(
    tag = "auth",
    request_body = SecondStepRequest,
    responses(
        (status = 200, description = "signed in", body = TokenResponse, headers(("Cache-Control" = String))),
        (status = 401, description = "wrong code, or an mfa_token that is invalid, used or expired", body = Problem, content_type = "application/problem+json"),
        UntrustedOrigin, JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/login/mfa")]
pub async fn login_mfa(
    req: HttpRequest,
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<SecondStepRequest>,
) -> Result<HttpResponse, ApiError> {
    let writer = state.refresh_cookie.writer(&req)?;
    let (token, proof) = body.into_parts()?;
    let pair = state.run(Lane::Storage, move |app| app.auth.second_step(token.expose_secret(), &proof, &client)).await?;
    Ok(token_response(&pair, writer))
}

/// The rules a new password meets, for clients to show before they send one.
#[utoipa::path(tag = "auth", responses((status = 200, description = "the rules", body = PasswordPolicyResponse)))]
#[get("/password-policy")]
pub async fn password_policy(state: web::Data<AppState>) -> web::Json<PasswordPolicyResponse> {
    web::Json(state.app.auth.password_rules().into())
}

/// Remove every second factor of another account (TOTP, recovery codes, passkeys) for a person
/// locked out of it: its sessions end and its owner is told by mail. Admins only; not the
/// caller's own account (403).
#[utoipa::path(
    tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = Uuid, Path, description = "the account's id")),
    responses(
        (status = 204, description = "every second factor removed"),
        (status = 403, description = "not an admin, the caller's own account, or (with auth.require_mfa_for_admins) an admin session without two-step sign-in", body = Problem, content_type = "application/problem+json"),
        BadPath, NotFound, Unauthenticated, Unavailable
    )
)]
#[delete("/users/{id}/mfa")]
pub async fn reset_mfa(caller: Caller, RequestClient(client): RequestClient, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = UserId::from_uuid(id.into_inner());
    caller.run(Lane::Storage, move |app, me| app.admin.reset_second_factors(me, id, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}
