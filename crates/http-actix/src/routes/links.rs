//! The emailed flows: verify an address, ask for a new link, reset a password, confirm an
//! email change. Each answers the same for every well-formed request it must not tell apart.

use crate::dto::{EmailRequest, LinkTokenRequest, ResetConfirmRequest};
use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiJson, RequestClient};
use crate::edge::state::AppState;
use crate::openapi::{JsonBodyErrors, RateLimited, Unavailable};
use actix_web::{HttpResponse, post, web};
use domain::Deferred;
use secrecy::ExposeSecret;
use tracing::Instrument;

/// How long after its answer a reset or resend request's write starts: long enough that the
/// answer has left (a write running beside it would slow the known address's answer, the one
/// with more to write, by a measurable 10 to 15 %), short enough that the mail is not delayed.
const AFTER_THE_ANSWER: std::time::Duration = std::time::Duration::from_millis(20);

/// Writes what a reset or resend request prepared after its answer has gone, on the storage
/// threads with the request's span: the answer's time is the same for every address, and a
/// failure is logged (the person asks again).
fn complete_later(state: &web::Data<AppState>, work: Deferred) {
    let state = state.clone();
    let span = tracing::Span::current();
    actix_web::rt::spawn(
        async move {
            actix_web::rt::time::sleep(AFTER_THE_ANSWER).await;
            if let Err(e) = state.run(Lane::Storage, move |app| app.links.complete(work)).await {
                tracing::warn!(error = %e, "an emailed link could not be stored; its request is lost");
            }
        }
        .instrument(span),
    );
}

/// Mark the address a verification link was sent to as verified.
#[utoipa::path(
    tag = "auth",
    request_body = LinkTokenRequest,
    responses(
        (status = 204, description = "the address is verified"),
        JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<LinkTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    state.run(Lane::Storage, move |app| app.links.verify_email(body.token.expose_secret(), &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a new verification link, if the address has an unverified account; the same answer
/// either way, at most one message per address per `email.min_interval_secs`.
#[utoipa::path(
    tag = "auth",
    request_body = EmailRequest,
    responses((status = 202, description = "accepted: a link is on its way if the account exists and is unverified"), JsonBodyErrors, RateLimited, Unavailable)
)]
#[post("/verify-email/resend")]
pub async fn resend_verification(state: web::Data<AppState>, ApiJson(body): ApiJson<EmailRequest>) -> Result<HttpResponse, ApiError> {
    let email = body.into_email()?;
    let work = state.run(Lane::Storage, move |app| app.links.resend_verification(&email)).await?;
    complete_later(&state, work);
    Ok(HttpResponse::Accepted().finish())
}

/// Send a password-reset link, if the address has an account; the same answer in the same
/// time either way, at most one message per address per `email.min_interval_secs`.
#[utoipa::path(
    tag = "auth",
    request_body = EmailRequest,
    responses((status = 202, description = "accepted: a link is on its way if the account exists"), JsonBodyErrors, RateLimited, Unavailable)
)]
#[post("/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = body.into_email()?;
    let work = state.run(Lane::Storage, move |app| app.links.request_password_reset(&email, &client)).await?;
    complete_later(&state, work);
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password through a reset (or invite) link: every session of the account ends,
/// the address counts as verified and the lockout is cleared.
#[utoipa::path(
    tag = "auth",
    request_body = ResetConfirmRequest,
    responses(
        (status = 204, description = "the password is set; every session has ended"),
        JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<ResetConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let (token, password) = body.into_password(state.app.auth.max_password_bytes())?;
    state.run(Lane::PasswordCheck, move |app| app.links.reset_password(token.expose_secret(), &password, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Complete a pending email change: the account's address becomes the confirmed one.
#[utoipa::path(
    tag = "auth",
    request_body = LinkTokenRequest,
    responses(
        (status = 204, description = "the address changed"),
        (status = 409, description = "another account took the address meanwhile", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/email-change/confirm")]
pub async fn confirm_email_change(
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<LinkTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    state.run(Lane::Storage, move |app| app.links.confirm_email_change(body.token.expose_secret(), &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}
