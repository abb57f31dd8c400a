//! The bodies of `/auth/*`: registration, login, refresh and logout, and the token pair they
//! answer with (also `/auth/token`'s).

use crate::dto::{FieldErrors, field_schemas};
use crate::edge::error::ApiError;
use domain::{Email, Password, Registration, TokenPair, UserName};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// A valid address; stored lower-case.
    #[schema(schema_with = field_schemas::email)]
    pub email: String,
    /// 8 characters to 72 bytes (bcrypt's limit; never truncated).
    #[schema(schema_with = field_schemas::new_password)]
    pub password: SecretString,
    /// 1 to 100 characters after trimming.
    #[schema(schema_with = field_schemas::user_name)]
    pub name: String,
}

impl RegisterRequest {
    /// Parses into a domain command; `max_password_bytes` comes from the configured hasher.
    pub fn into_registration(self, max_password_bytes: usize) -> Result<Registration, ApiError> {
        let mut v = FieldErrors::default();
        let email = v.check("email", Email::parse(&self.email));
        let password = v.check("password", Password::new(self.password.expose_secret(), max_password_bytes));
        let name = v.check("name", UserName::parse(&self.name));
        match (email, password, name) {
            (Some(email), Some(password), Some(name)) => Ok(Registration { email, password, name }),
            _ => Err(v.into_error()),
        }
    }
}

/// `POST /auth/login`. No password policy applies: a wrong password of any shape is a 401.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The account's email (any case).
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// The account's password.
    #[schema(value_type = String, format = Password, example = "correct horse battery")]
    pub password: SecretString,
}

/// `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// A refresh token from a token response. With `auth.refresh_transport` `cookie` or `both`
    /// it may be left out: the refresh cookie is read instead.
    #[schema(value_type = String, required = true)]
    pub refresh_token: Option<SecretString>,
}

/// What login, `/auth/token` and refresh return.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Token)]
pub struct TokenResponse {
    /// A signed JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    /// An opaque, single-use token for `/auth/refresh` (left out, and in the `HttpOnly`
    /// refresh cookie instead, with `auth.refresh_transport = "cookie"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = true)]
    pub refresh_token: Option<String>,
    /// Always `bearer`.
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Seconds until the session, and so the refresh token, expires.
    #[schema(example = 1209600)]
    pub refresh_expires_in: i64,
}

impl TokenResponse {
    /// The pair as JSON, the refresh token included only when `with_refresh_token`.
    pub fn new(t: &TokenPair, with_refresh_token: bool) -> Self {
        Self {
            access_token: t.access_token.expose().to_owned(),
            refresh_token: with_refresh_token.then(|| t.refresh_token.expose().to_owned()),
            token_type: "bearer",
            expires_in: t.expires_in,
            refresh_expires_in: t.refresh_expires_in,
        }
    }
}
