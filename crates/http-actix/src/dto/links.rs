//! The bodies of the emailed flows (`/auth/verify-email*`, `/auth/password-reset*`,
//! `/auth/email-change/confirm`) and of an admin's invite (`POST /users`).

use crate::dto::{FieldErrors, Maybe, RoleDto, field_schemas};
use crate::edge::error::ApiError;
use domain::{Email, Invite, Password, Role, UserName};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::ToSchema;

/// A link's token: `POST /auth/verify-email` and `/auth/email-change/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkTokenRequest {
    /// The `token` of the emailed link's query string.
    #[schema(value_type = String)]
    pub token: SecretString,
}

/// An address to mail: `POST /auth/verify-email/resend` and `/auth/password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailRequest {
    /// The account's address (any case).
    #[schema(schema_with = field_schemas::email)]
    pub email: String,
}

impl EmailRequest {
    /// The parsed address.
    pub fn into_email(self) -> Result<Email, ApiError> {
        let mut v = FieldErrors::default();
        v.check("email", Email::parse(&self.email)).ok_or_else(|| v.into_error())
    }
}

/// `POST /auth/password-reset/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirmRequest {
    /// The `token` of the emailed reset (or invite) link.
    #[schema(value_type = String)]
    pub token: SecretString,
    /// The new password.
    #[schema(schema_with = field_schemas::new_password_for_link)]
    pub new_password: SecretString,
}

impl ResetConfirmRequest {
    /// The new password, checked against the hasher's limit; the token stays as sent.
    pub fn into_password(self, max_password_bytes: usize) -> Result<(SecretString, Password), ApiError> {
        let mut v = FieldErrors::default();
        let password = v.check("new_password", Password::new(self.new_password.expose_secret(), max_password_bytes));
        password.map(|p| (self.token, p)).ok_or_else(|| v.into_error())
    }
}

/// `POST /users` (admin): invite someone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteRequest {
    /// Where the set-password link goes.
    #[schema(schema_with = field_schemas::email)]
    pub email: String,
    /// 1 to 100 characters after trimming.
    #[schema(schema_with = field_schemas::user_name)]
    pub name: String,
    /// `user` unless named.
    #[serde(default)]
    #[schema(value_type = RoleDto, required = false)]
    pub role: Maybe<RoleDto>,
}

impl InviteRequest {
    /// Parses into a domain invite.
    pub fn into_invite(self) -> Result<Invite, ApiError> {
        let mut v = FieldErrors::default();
        let email = v.check("email", Email::parse(&self.email));
        let name = v.check("name", UserName::parse(&self.name));
        let role = v.optional("role", self.role, |r| Ok::<Role, String>(r.into()));
        match (email, name, role) {
            (Some(email), Some(name), Some(role)) => Ok(Invite { email, name, role: role.unwrap_or(Role::User) }),
            _ => Err(v.into_error()),
        }
    }
}
