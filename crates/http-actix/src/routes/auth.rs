//! `/auth/*`: registration, login, refresh, logout.

use crate::dto::{LoginRequest, MfaRequiredProblem, RefreshRequest, RegisterRequest, TokenResponse, UserResponse};
use crate::edge::blocking::Lane;
use crate::edge::error::FieldError;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiJson, Caller, MaybeJson, RequestClient};
use crate::edge::metrics::{LoginOutcome, RefreshOutcome};
use crate::edge::refresh_cookie::CookieWriter;
use crate::edge::state::AppState;
use crate::openapi::{JsonBodyErrors, RateLimited, Unauthenticated, Unavailable, UntrustedOrigin};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use domain::{CandidatePassword, LoginError, RefreshError, RegisterError, SecondFactor, SignInOutcome, TokenPair};
use secrecy::{ExposeSecret, SecretString};

/// A token response: never cached (RFC 6749 §5.1); the refresh token in the JSON, the
/// cookie, or both, as `auth.refresh_transport` says. The [`CookieWriter`] is taken before
/// the sign-in runs, so a request from an untrusted origin signs nobody in.
pub(crate) fn token_response(pair: &TokenPair, writer: CookieWriter<'_>) -> HttpResponse {
    let mut response = super::uncached(HttpResponse::Ok());
    writer.set(&mut response, pair.refresh_token.expose(), pair.refresh_expires_in);
    response.json(TokenResponse::new(pair, writer.in_body()))
}

/// The `mfa-required` answer of a first step that needs a second.
pub(crate) fn mfa_required(second: &domain::SecondStepRequired) -> ApiError {
    let methods: Vec<&str> = second.methods.iter().map(|m: &SecondFactor| m.as_str()).collect();
    ApiError::mfa_required(second.mfa_token.expose(), &methods, second.expires_in)
}

/// The refresh token of a refresh or logout: the body's, else (in cookie mode) the cookie's,
/// whose `Origin` must be trusted. `None` when there is neither.
///
/// # Errors
/// 403 for a cookie from an untrusted origin; in body mode, what v1 answered to a missing
/// body (415) or field (422).
fn presented_token(req: &HttpRequest, state: &AppState, body: Option<RefreshRequest>) -> Result<Option<SecretString>, ApiError> {
    let cookie = &state.refresh_cookie;
    match body {
        Some(RefreshRequest { refresh_token: Some(token) }) => Ok(Some(token)),
        _ if cookie.in_cookie() => cookie.token(req),
        None => Err(ApiError::unsupported_media_type("application/json")),
        Some(_) => Err(ApiError::validation(vec![FieldError::new("refresh_token", "is required")])),
    }
}

/// Runs a login on the password-check lane (the domain counts it against the account's lockout
/// before the password is checked). The login's own outcome is returned as it is, for
/// `/auth/token` to answer in RFC 6749's words.
pub(crate) async fn login_with(
    state: &AppState,
    email: String,
    password: SecretString,
    client: domain::Client,
) -> Result<Result<SignInOutcome, LoginError>, ApiError> {
    let outcome = state
        .run(Lane::PasswordCheck, move |app| {
            Ok::<_, ApiError>(app.auth.login(&email, &CandidatePassword::new(password.expose_secret()), &client))
        })
        .await;
    if let Some(metrics) = &state.metrics {
        metrics.login(match &outcome {
            Ok(Ok(SignInOutcome::Complete(_))) => LoginOutcome::Succeeded,
            Ok(Ok(SignInOutcome::SecondStep(_))) => LoginOutcome::SecondStep,
            Ok(Err(LoginError::InvalidCredentials | LoginError::EmailNotVerified)) => LoginOutcome::Failed,
            Ok(Err(LoginError::Locked { .. })) => LoginOutcome::Locked,
            Ok(Err(LoginError::Infra(_))) | Err(_) => LoginOutcome::Error,
        });
    }
    outcome
}

/// Runs a refresh on the storage lane, counted by outcome; the outcome is returned as it is,
/// for `/auth/token` to answer in RFC 6749's words.
pub(crate) async fn refresh_with(
    state: &AppState,
    refresh_token: SecretString,
    client: domain::Client,
) -> Result<Result<TokenPair, RefreshError>, ApiError> {
    let outcome = state.run(Lane::Storage, move |app| Ok::<_, ApiError>(app.auth.refresh(refresh_token.expose_secret(), &client))).await;
    if let Some(metrics) = &state.metrics {
        metrics.refresh(match &outcome {
            Ok(Ok(_)) => RefreshOutcome::Succeeded,
            Ok(Err(RefreshError::InvalidToken)) => RefreshOutcome::Invalid,
            Ok(Err(RefreshError::Reused)) => RefreshOutcome::Reused,
            Ok(Err(RefreshError::Infra(_))) | Err(_) => RefreshOutcome::Error,
        });
    }
    outcome
}

/// Create an account.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "account created; a verification link is on its way", body = UserResponse, headers(("Location" = String, description = "/users/{id}"))),
        (status = 202, description = "with `auth.conceal_registration`: accepted, whether or not the address had an account (its owner is told by mail)"),
        (status = 409, description = "email already registered", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/register")]
pub async fn register(
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let registration = body.into_registration(state.app.auth.max_password_bytes())?;
    let registered = state.run(Lane::PasswordCheck, move |app| Ok::<_, ApiError>(app.auth.register(registration, &client))).await?;
    if state.app.links.policy().conceal_registration {
        // The same answer whether the address was free or taken: nobody learns which.
        return match registered {
            Ok(_) | Err(RegisterError::EmailTaken) => Ok(HttpResponse::Accepted().finish()),
            Err(e) => Err(e.into()),
        };
    }
    let user = registered?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/users/{}", user.id))).json(UserResponse::from(user)))
}

/// Log in with email and password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "signed in", body = TokenResponse, headers(("Cache-Control" = String))),
        (status = 401, description = "invalid email or password", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "two-step sign-in is on: `urn:gatehouse:mfa-required` with the `mfa_token` for `POST /auth/login/mfa` (no token pair); with `auth.require_verified_email`, the address must be verified first; in cookie mode, an `Origin` that is neither the server's own nor allowed", body = MfaRequiredProblem, content_type = "application/problem+json"),
        JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let writer = state.refresh_cookie.writer(&req)?;
    match login_with(&state, body.email, body.password, client).await?? {
        SignInOutcome::Complete(pair) => Ok(token_response(&pair, writer)),
        SignInOutcome::SecondStep(second) => Err(mfa_required(&second)),
    }
}

/// Exchange a refresh token for a new pair; the presented token is retired.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "new token pair", body = TokenResponse),
        (status = 401, description = "invalid, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
        UntrustedOrigin, JsonBodyErrors, RateLimited, Unavailable
    )
)]
#[post("/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    MaybeJson(body): MaybeJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let writer = state.refresh_cookie.writer(&req)?;
    let Some(token) = presented_token(&req, &state, body)? else {
        return Err(ApiError::invalid_credentials("no refresh token: neither in the body nor in the refresh cookie"));
    };
    let pair = refresh_with(&state, token, client).await??;
    Ok(token_response(&pair, writer))
}

/// End the session a refresh token belongs to. Unknown or dead tokens also get 204.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "session ended (and the refresh cookie cleared)"), UntrustedOrigin, JsonBodyErrors, RateLimited, Unavailable)
)]
#[post("/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    RequestClient(client): RequestClient,
    MaybeJson(body): MaybeJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = presented_token(&req, &state, body)? {
        state.run(Lane::Storage, move |app| app.auth.logout(token.expose_secret(), &client)).await?;
    }
    let mut response = HttpResponse::NoContent();
    state.refresh_cookie.clear(&mut response);
    Ok(response.finish())
}

/// End every session of the caller but the one making the request ("sign out other devices").
#[utoipa::path(
    tag = "auth",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 204, description = "every other session ended"), Unauthenticated, RateLimited, Unavailable)
)]
#[post("/logout-others")]
pub async fn logout_others(caller: Caller, RequestClient(client): RequestClient) -> Result<HttpResponse, ApiError> {
    caller.run(Lane::Storage, move |app, me| app.auth.logout_others(me, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of the caller.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = []), ("oauth2" = [])),
    responses((status = 204, description = "every session ended"), Unauthenticated, RateLimited, Unavailable)
)]
#[post("/logout-all")]
pub async fn logout_all(caller: Caller, RequestClient(client): RequestClient) -> Result<HttpResponse, ApiError> {
    caller.run(Lane::Storage, move |app, me| app.auth.logout_all(me, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}
