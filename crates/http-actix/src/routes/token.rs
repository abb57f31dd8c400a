//! `POST /auth/token`: the OAuth2 token endpoint (RFC 6749) behind Swagger UI's Authorize
//! button. Every client error answers in RFC 6749 §5.2's shape; 429, 503 and 500 stay problems.

use crate::dto::{OAuthErrorResponse, TokenResponse};
use crate::edge::blocking::Lane;
use crate::edge::error::ApiError;
use crate::edge::extract::{client, form_fields, is_form, read_body};
use crate::edge::state::AppState;
use crate::openapi::{RateLimited, Unavailable, UntrustedOrigin};
use crate::routes::auth::{login_with, refresh_with, token_response};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, post, web};
use domain::{LoginError, PkceVerifier, RedeemError, RefreshError, SecondProof, SecondStepCode, SecondStepError, SignInOutcome};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use utoipa::ToSchema;

/// The form fields; `scope`, `client_id` and HTTP Basic client credentials are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    /// `password` or `refresh_token`.
    #[schema(example = "password")]
    pub grant_type: GrantType,
    /// The account's email (password grant).
    pub username: Option<String>,
    /// The account's password (password grant).
    #[schema(format = Password)]
    pub password: Option<String>,
    /// A refresh token (refresh_token grant).
    pub refresh_token: Option<String>,
    /// The `mfa_token` of an `mfa_required` answer (mfa grant).
    pub mfa_token: Option<String>,
    /// A code of the authenticator app or a recovery code (mfa grant), or the one-time code of a
    /// provider's sign-in (authorization_code grant).
    pub code: Option<String>,
    /// The one-time code of a provider's sign-in (authorization_code grant), or a second step's
    /// code (mfa grant).
    /// The app's PKCE `code_verifier` (authorization_code grant).
    pub code_verifier: Option<String>,
    /// The `redirect_uri` the sign-in started with (authorization_code grant).
    pub redirect_uri: Option<String>,
    /// Ignored.
    pub scope: Option<String>,
    /// Ignored.
    pub client_id: Option<String>,
}

/// The supported grants.
#[derive(Debug, Deserialize, ToSchema)]
pub enum GrantType {
    /// Resource-owner password credentials.
    #[serde(rename = "password")]
    Password,
    /// Refresh-token rotation.
    #[serde(rename = "refresh_token")]
    RefreshToken,
    /// The second step of a sign-in: `mfa_token` and `code`.
    #[serde(rename = "urn:gatehouse:grant-type:mfa")]
    Mfa,
    /// A provider's sign-in: the one-time `code`, the app's `code_verifier` and `redirect_uri`.
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
}

/// An error of the token endpoint.
#[derive(Debug)]
pub enum TokenError {
    /// RFC 6749 §5.2: 400 with `error` and `error_description`.
    OAuth(&'static str, String),
    /// 403 `mfa_required`: the password was right, a second step is needed.
    MfaRequired(domain::SecondStepRequired),
    /// 429, 503 or 500: answered like every other endpoint.
    Api(ApiError),
}

impl TokenError {
    fn invalid_request(description: impl Into<String>) -> Self {
        Self::OAuth("invalid_request", description.into())
    }

    fn invalid_grant(description: &str) -> Self {
        Self::OAuth("invalid_grant", description.to_owned())
    }
}

impl From<ApiError> for TokenError {
    fn from(e: ApiError) -> Self {
        // Every other client error is reshaped as RFC 6749 requires.
        if e.status().is_client_error() && e.status() != StatusCode::TOO_MANY_REQUESTS {
            Self::invalid_request(e.problem().detail)
        } else {
            Self::Api(e)
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OAuth(code, description) => write!(f, "{code}: {description}"),
            Self::MfaRequired(_) => f.write_str("mfa_required"),
            Self::Api(e) => e.fmt(f),
        }
    }
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::OAuth(..) => StatusCode::BAD_REQUEST,
            Self::MfaRequired(_) => StatusCode::FORBIDDEN,
            Self::Api(e) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::OAuth(code, description) => super::uncached(HttpResponse::BadRequest()).json(OAuthErrorResponse { error: code, error_description: description.clone() }),
            Self::MfaRequired(second) => super::uncached(HttpResponse::Forbidden()).json(serde_json::json!({
                "error": "mfa_required",
                "error_description": "the password was right; finish the sign-in with grant_type=urn:gatehouse:grant-type:mfa, the mfa_token and a code",
                "mfa_token": second.mfa_token.expose(),
                "methods": second.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                "expires_in": second.expires_in,
            })),
            Self::Api(e) => e.error_response(),
        }
    }
}

/// The parameters of the grants; any other is ignored (RFC 6749 §3.2).
const PARAMETERS: &[&str] =
    &["grant_type", "username", "password", "refresh_token", "mfa_token", "code", "code_verifier", "redirect_uri", "scope", "client_id"];

/// Parses the form; a parameter given twice is an error (RFC 6749 §3.2).
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, TokenError> {
    form_fields(body, PARAMETERS).map_err(TokenError::invalid_request)
}

fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, TokenError> {
    form.get(name).map(String::as_str).ok_or_else(|| TokenError::invalid_request(format!("parameter {name} is required")))
}

/// OAuth2 token endpoint: the password grant, the refresh_token grant, the second step of a
/// two-step sign-in (`urn:gatehouse:grant-type:mfa` with `mfa_token` and `code`), and the end of
/// a provider's sign-in (`authorization_code` with `code`, `code_verifier` and `redirect_uri`).
#[utoipa::path(
    tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "token pair", body = TokenResponse, headers(("Cache-Control" = String))),
        (status = 400, description = "RFC 6749 error: invalid_request, invalid_grant or unsupported_grant_type", body = OAuthErrorResponse),
        (status = 403, description = "`mfa_required`: the password (or provider sign-in) was right and two-step sign-in is on; `mfa_token`, `methods` and `expires_in` finish it with the mfa grant (or an untrusted Origin in cookie mode, as a problem)", body = OAuthErrorResponse),
        UntrustedOrigin, RateLimited, Unavailable
    )
)]
#[post("/token")]
pub async fn token(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse, TokenError> {
    if !is_form(&req) {
        return Err(TokenError::invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    // A cross-site form may post here too: in cookie mode nothing is signed in for it.
    let writer = state.refresh_cookie.writer(&req).map_err(TokenError::Api)?;
    let body = read_body(&req, &mut payload.into_inner(), state.body_limit).await?;
    let form = parse_form(&body)?;
    match required(&form, "grant_type")? {
        "password" => {
            let email = required(&form, "username")?.to_owned();
            let password = secrecy::SecretString::from(required(&form, "password")?);
            match login_with(&state, email, password, client(&req, &state)).await? {
                Ok(SignInOutcome::Complete(pair)) => Ok(token_response(&pair, writer)),
                Ok(SignInOutcome::SecondStep(second)) => Err(TokenError::MfaRequired(second)),
                Err(LoginError::InvalidCredentials) => Err(TokenError::invalid_grant("invalid username or password")),
                Err(LoginError::EmailNotVerified) => Err(TokenError::invalid_grant("the email address must be verified before signing in")),
                // 429 stays 429 (RFC 6749 §5.2 has no error for it).
                Err(locked @ LoginError::Locked { .. }) => Err(TokenError::Api(locked.into())),
                Err(LoginError::Infra(e)) => Err(TokenError::Api(e.into())),
            }
        }
        "refresh_token" => {
            // In cookie mode a form without the token uses the refresh cookie (its Origin checked).
            let refresh_token = match form.get("refresh_token").filter(|t| !t.is_empty()) {
                Some(token) => secrecy::SecretString::from(token.as_str()),
                None => match state.refresh_cookie.token(&req).map_err(TokenError::Api)? {
                    Some(token) => token,
                    None => secrecy::SecretString::from(required(&form, "refresh_token")?),
                },
            };
            match refresh_with(&state, refresh_token, client(&req, &state)).await? {
                Ok(pair) => Ok(token_response(&pair, writer)),
                Err(RefreshError::InvalidToken | RefreshError::Reused) => {
                    Err(TokenError::invalid_grant("the refresh token is invalid, expired or revoked"))
                }
                Err(RefreshError::Infra(e)) => Err(TokenError::Api(e.into())),
            }
        }
        "urn:gatehouse:grant-type:mfa" => {
            let mfa_token = required(&form, "mfa_token")?.to_owned();
            let code = SecondStepCode::parse(required(&form, "code")?).map_err(|e| TokenError::invalid_request(format!("code {e}")))?;
            let client = client(&req, &state);
            let outcome = state
                .run(Lane::Storage, move |app| Ok::<_, ApiError>(app.auth.second_step(&mfa_token, &SecondProof::Code(code), &client)))
                .await?;
            match outcome {
                Ok(pair) => Ok(token_response(&pair, writer)),
                Err(SecondStepError::InvalidToken) => Err(TokenError::invalid_grant("the mfa_token is invalid, used or expired")),
                Err(SecondStepError::WrongCode) => Err(TokenError::invalid_grant("the code is wrong or was used before")),
                Err(locked @ SecondStepError::Locked { .. }) => Err(TokenError::Api(locked.into())),
                Err(SecondStepError::Infra(e)) => Err(TokenError::Api(e.into())),
            }
        }
        "authorization_code" => {
            let code = required(&form, "code")?.to_owned();
            let redirect_uri = required(&form, "redirect_uri")?.to_owned();
            // A malformed verifier is a wrong one: the code is used up all the same.
            let verifier = PkceVerifier::parse(required(&form, "code_verifier")?).ok();
            let client = client(&req, &state);
            let outcome = state
                .run(Lane::Storage, move |app| Ok::<_, ApiError>(app.oidc.redeem(&code, verifier.as_ref(), &redirect_uri, &client)))
                .await?;
            match outcome {
                Ok(SignInOutcome::Complete(pair)) => Ok(token_response(&pair, writer)),
                Ok(SignInOutcome::SecondStep(second)) => Err(TokenError::MfaRequired(second)),
                Err(RedeemError::InvalidGrant) => Err(TokenError::invalid_grant(
                    "the code is invalid, used or expired, or the code_verifier or redirect_uri do not match",
                )),
                Err(RedeemError::EmailNotVerified) => {
                    Err(TokenError::invalid_grant("the email address must be verified before signing in"))
                }
                Err(RedeemError::Infra(e)) => Err(TokenError::Api(e.into())),
            }
        }
        other => Err(TokenError::OAuth("unsupported_grant_type", format!("grant type {other:?} is not supported"))),
    }
}
