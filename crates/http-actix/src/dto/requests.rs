use crate::dto::{Maybe, Validator, rules};
use crate::error::ApiError;
use domain::{AdminUpdate, CandidatePassword, Email, PageRequest, Password, ProfileUpdate, Registration, Role, UserName};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// `POST /auth/register`.
#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// A valid address; stored lower-case.
    #[schema(schema_with = rules::email)]
    pub email: String,
    /// 8 characters to 72 bytes (bcrypt's limit; never truncated).
    #[schema(schema_with = rules::new_password)]
    pub password: String,
    /// 1 to 100 characters after trimming.
    #[schema(schema_with = rules::user_name)]
    pub name: String,
}

impl RegisterRequest {
    /// Parses into a domain command; `max_password_bytes` comes from the configured hasher.
    pub fn into_registration(self, max_password_bytes: usize) -> Result<Registration, ApiError> {
        let mut v = Validator::default();
        let email = v.check("email", Email::parse(&self.email));
        let password = v.check("password", Password::new(&self.password, max_password_bytes));
        let name = v.check("name", UserName::parse(&self.name));
        match (email, password, name) {
            (Some(email), Some(password), Some(name)) => Ok(Registration { email, password, name }),
            _ => Err(v.into_error()),
        }
    }
}

/// `POST /auth/login`. No password policy applies: a wrong password of any shape is a 401.
#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The account's email (any case).
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// The account's password.
    #[schema(format = Password, example = "correct horse battery")]
    pub password: String,
}

/// `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// A refresh token from a token response.
    pub refresh_token: String,
}

/// `PATCH /users/me`.
#[derive(Deserialize, ToSchema)]
pub struct UpdateMe {
    /// A new display name.
    #[serde(default)]
    #[schema(schema_with = rules::user_name, required = false)]
    pub name: Maybe<String>,
    /// A new email; requires `current_password`.
    #[serde(default)]
    #[schema(schema_with = rules::email, required = false)]
    pub email: Maybe<String>,
    /// The current password, required to change `email`.
    #[serde(default)]
    #[schema(value_type = String, required = false, format = Password)]
    pub current_password: Maybe<String>,
}

impl UpdateMe {
    /// Parses into a domain update.
    pub fn into_update(self) -> Result<ProfileUpdate, ApiError> {
        let mut v = Validator::default();
        let name = v.optional("name", self.name, |n| UserName::parse(&n));
        let email = v.optional("email", self.email, |e| Email::parse(&e));
        let current_password = v.optional("current_password", self.current_password, |p| Ok::<_, String>(CandidatePassword::new(&p)));
        match (name, email, current_password) {
            (Some(name), Some(email), Some(current_password)) => Ok(ProfileUpdate { name, email, current_password }),
            _ => Err(v.into_error()),
        }
    }
}

/// `POST /users/me/password`.
#[derive(Deserialize, ToSchema)]
pub struct ChangePassword {
    /// The current password.
    #[schema(format = Password)]
    pub current_password: String,
    /// The new password: 8 characters to 72 bytes.
    #[schema(schema_with = rules::new_password)]
    pub new_password: String,
}

impl ChangePassword {
    /// Parses into the current password and a policy-checked new one.
    pub fn into_parts(self, max_password_bytes: usize) -> Result<(CandidatePassword, Password), ApiError> {
        let mut v = Validator::default();
        let new = v.check("new_password", Password::new(&self.new_password, max_password_bytes));
        match new {
            Some(new) => Ok((CandidatePassword::new(&self.current_password), new)),
            None => Err(v.into_error()),
        }
    }
}

/// `DELETE /users/me`.
#[derive(Deserialize, ToSchema)]
pub struct CurrentPassword {
    /// The current password.
    #[schema(format = Password)]
    pub current_password: String,
}

/// `PATCH /users/{id}` (admin).
#[derive(Deserialize, ToSchema)]
pub struct AdminUpdateUser {
    /// A new display name.
    #[serde(default)]
    #[schema(schema_with = rules::user_name, required = false)]
    pub name: Maybe<String>,
    /// A new role.
    #[serde(default)]
    #[schema(value_type = crate::dto::responses::RoleDto, required = false)]
    pub role: Maybe<crate::dto::responses::RoleDto>,
    /// Activate or deactivate (deactivation revokes every session).
    #[serde(default)]
    #[schema(value_type = bool, required = false)]
    pub is_active: Maybe<bool>,
}

impl AdminUpdateUser {
    /// Parses into a domain update.
    pub fn into_update(self) -> Result<AdminUpdate, ApiError> {
        let mut v = Validator::default();
        let name = v.optional("name", self.name, |n| UserName::parse(&n));
        let role = v.optional("role", self.role, |r| Ok::<Role, String>(r.into()));
        let is_active = v.optional("is_active", self.is_active, Ok::<bool, String>);
        match (name, role, is_active) {
            (Some(name), Some(role), Some(is_active)) => Ok(AdminUpdate { name, role, is_active }),
            _ => Err(v.into_error()),
        }
    }
}

/// `?limit&offset` of every list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub offset: Option<i64>,
}

impl PageQuery {
    /// Checks the bounds (422 when out of range).
    pub fn into_page(self) -> Result<PageRequest, ApiError> {
        PageRequest::new(self.limit, self.offset).map_err(|e| {
            let field = match e {
                domain::PageError::Limit => "limit",
                domain::PageError::Offset => "offset",
            };
            ApiError::invalid_query(vec![crate::error::FieldError::new(field, e)])
        })
    }
}
