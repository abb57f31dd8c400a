use chrono::{DateTime, Utc};
use domain::{Page, Role, SessionView, TokenPair, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user's role.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[schema(as = Role)]
pub enum RoleDto {
    /// An ordinary account.
    User,
    /// Manages other accounts.
    Admin,
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> Self {
        match role {
            Role::User => Self::User,
            Role::Admin => Self::Admin,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::User => Self::User,
            RoleDto::Admin => Self::Admin,
        }
    }
}

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
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
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

macro_rules! page_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            /// The items of this page.
            pub items: Vec<$item>,
            /// The size of the whole collection.
            #[schema(minimum = 0)]
            pub total: u64,
            /// The page size applied.
            #[schema(minimum = 1, maximum = 100)]
            pub limit: u32,
            /// The offset applied.
            #[schema(minimum = 0)]
            pub offset: u64,
        }

        impl<T: Into<$item>> From<Page<T>> for $name {
            fn from(page: Page<T>) -> Self {
                Self { items: page.items.into_iter().map(Into::into).collect(), total: page.total, limit: page.limit, offset: page.offset }
            }
        }
    };
}

page_type!(
    /// A page of users.
    UserPage, UserResponse
);
page_type!(
    /// A page of sessions.
    SessionPage, SessionResponse
);
page_type!(
    /// A page of projects.
    ProjectPage, crate::dto::ProjectResponse
);
page_type!(
    /// A page of tasks.
    TaskPage, crate::dto::TaskResponse
);

/// What login, `/auth/token` and refresh return.
#[derive(Serialize, ToSchema)]
#[schema(as = Token)]
pub struct TokenResponse {
    /// A signed JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    /// An opaque, single-use token for `/auth/refresh`.
    pub refresh_token: String,
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

impl From<TokenPair> for TokenResponse {
    fn from(t: TokenPair) -> Self {
        Self {
            access_token: t.access_token.expose().to_owned(),
            refresh_token: t.refresh_token.expose().to_owned(),
            token_type: "bearer",
            expires_in: t.expires_in,
            refresh_expires_in: t.refresh_expires_in,
        }
    }
}

/// `GET /health` and `GET /ready`.
#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// An RFC 6749 §5.2 error of `/auth/token`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OAuthError)]
pub struct OAuthErrorResponse {
    /// The error code.
    #[schema(example = "invalid_grant")]
    pub error: &'static str,
    /// A human-readable explanation.
    pub error_description: String,
}
