//! The user resource (`/users/*`, `/users/me` and registration answer with it) and the
//! admin's update.

use crate::dto::page::page_type;
use crate::dto::{FieldErrors, Maybe, RoleDto, field_schemas};
use crate::edge::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{AdminUpdate, Role, User, UserName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user account. Never carries a password or a hash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserResponse {
    /// Stable id.
    pub id: Uuid,
    /// Normalised email.
    #[schema(format = Email)]
    pub email: String,
    /// Display name.
    pub name: String,
    /// Current role.
    pub role: RoleDto,
    /// Whether the account may log in.
    pub is_active: bool,
    /// Whether the owner verified the address through an emailed link.
    pub email_verified: bool,
    /// The address a requested change waits to confirm, or null.
    #[schema(format = Email, required = true)]
    pub pending_email: Option<String>,
    /// Creation time (UTC).
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email.as_str().to_owned(),
            name: u.name.as_str().to_owned(),
            role: u.role.into(),
            is_active: u.is_active,
            email_verified: u.email_verified,
            pending_email: u.pending_email.map(|e| e.as_str().to_owned()),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// `PATCH /users/{id}` (admin).
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdminUpdateUser {
    /// A new display name.
    #[serde(default)]
    #[schema(schema_with = field_schemas::user_name, required = false)]
    pub name: Maybe<String>,
    /// A new role.
    #[serde(default)]
    #[schema(value_type = RoleDto, required = false)]
    pub role: Maybe<RoleDto>,
    /// Activate or deactivate (deactivation revokes every session).
    #[serde(default)]
    #[schema(value_type = bool, required = false)]
    pub is_active: Maybe<bool>,
}

impl AdminUpdateUser {
    /// Parses into a domain update.
    pub fn into_update(self) -> Result<AdminUpdate, ApiError> {
        let mut v = FieldErrors::default();
        let name = v.optional("name", self.name, |n| UserName::parse(&n));
        let role = v.optional("role", self.role, |r| Ok::<Role, String>(r.into()));
        let is_active = v.optional("is_active", self.is_active, Ok::<bool, String>);
        match (name, role, is_active) {
            (Some(name), Some(role), Some(is_active)) => Ok(AdminUpdate { name, role, is_active }),
            _ => Err(v.into_error()),
        }
    }
}

page_type!(
    /// A page of users.
    UserPage, UserResponse
);
