//! The bodies of `/users/me*`: profile and password changes, account deletion, and the
//! session list.

use crate::dto::page::page_type;
use crate::dto::{FieldErrors, Maybe, field_schemas};
use crate::edge::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{CandidatePassword, Email, Password, ProfileUpdate, SessionView, UserName};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `PATCH /users/me`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMe {
    /// A new display name.
    #[serde(default)]
    #[schema(schema_with = field_schemas::user_name, required = false)]
    pub name: Maybe<String>,
    /// A new email; requires `current_password`.
    #[serde(default)]
    #[schema(schema_with = field_schemas::email, required = false)]
    pub email: Maybe<String>,
    /// The current password, required to change `email`.
    #[serde(default)]
    #[schema(value_type = String, required = false, format = Password)]
    pub current_password: Maybe<SecretString>,
}

impl UpdateMe {
    /// Parses into a domain update.
    pub fn into_update(self) -> Result<ProfileUpdate, ApiError> {
        let mut v = FieldErrors::default();
        let name = v.optional("name", self.name, |n| UserName::parse(&n));
        let email = v.optional("email", self.email, |e| Email::parse(&e));
        let current_password =
            v.optional("current_password", self.current_password, |p| Ok::<_, String>(CandidatePassword::new(p.expose_secret())));
        match (name, email, current_password) {
            (Some(name), Some(email), Some(current_password)) => Ok(ProfileUpdate { name, email, current_password }),
            _ => Err(v.into_error()),
        }
    }
}

/// `POST /users/me/password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePassword {
    /// The current password (an account without one, made by an invite or a provider's
    /// sign-in, leaves it out and needs a fresh session instead).
    #[serde(default)]
    #[schema(value_type = String, format = Password, required = true)]
    pub current_password: Maybe<SecretString>,
    /// The new password: 8 characters to 72 bytes.
    #[schema(schema_with = field_schemas::new_password)]
    pub new_password: SecretString,
}

impl ChangePassword {
    /// Parses into the current password and a length-checked new one.
    pub fn into_parts(self, max_password_bytes: usize) -> Result<(Option<CandidatePassword>, Password), ApiError> {
        let mut v = FieldErrors::default();
        let current = crate::dto::mfa::current_password(&mut v, self.current_password);
        let new = v.check("new_password", Password::new(self.new_password.expose_secret(), max_password_bytes));
        match (current, new) {
            (Some(current), Some(new)) => Ok((current, new)),
            _ => Err(v.into_error()),
        }
    }
}

/// `DELETE /users/me`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CurrentPassword {
    /// The current password (an account without one leaves it out and needs a fresh session).
    #[serde(default)]
    #[schema(value_type = String, format = Password, required = true)]
    pub current_password: Maybe<SecretString>,
}

impl CurrentPassword {
    /// The current password, if given.
    pub fn into_current_password(self) -> Result<Option<CandidatePassword>, ApiError> {
        let mut v = FieldErrors::default();
        crate::dto::mfa::current_password(&mut v, self.current_password).ok_or_else(|| v.into_error())
    }
}

/// A live login session of the caller.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionResponse {
    /// The session id (the access token's `sid`).
    pub id: Uuid,
    /// The login that opened it.
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// The last login or refresh.
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub last_used_at: DateTime<Utc>,
    /// Absolute expiry, fixed at login.
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    /// The client's `User-Agent` at login, if it sent one.
    pub user_agent: Option<String>,
    /// Whether the caller's access token belongs to this session.
    pub current: bool,
}

impl From<SessionView> for SessionResponse {
    fn from(v: SessionView) -> Self {
        let s = v.session;
        Self {
            id: s.id.as_uuid(),
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            user_agent: s.user_agent.map(|ua| ua.as_str().to_owned()),
            current: v.current,
        }
    }
}

page_type!(
    /// A page of sessions.
    SessionPage, SessionResponse
);
