//! The bodies of personal access tokens (`/users/me/tokens`, `/users/{id}/tokens`) and of
//! introspection (`POST /auth/introspect`).

use crate::dto::mfa::current_password;
use crate::dto::wire_enum::PatScopeDto;
use crate::dto::{FieldErrors, Maybe, field_schemas};
use crate::edge::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{CandidatePassword, PatName, PatRequest, PatScopes, PatText, PersonalAccessToken};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /users/me/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTokenRequest {
    /// The account's current password (not needed right after a sign-in).
    #[serde(default)]
    #[schema(value_type = String, required = false, format = Password)]
    pub current_password: Maybe<SecretString>,
    /// What the token is for, to recognise it in the list.
    #[schema(schema_with = field_schemas::token_name)]
    pub name: String,
    /// What it may do: at least one scope.
    #[schema(min_items = 1)]
    pub scopes: Vec<PatScopeDto>,
    /// Days until it expires: 1 to `auth.pat_max_days` (366 unless configured), 30 when left out.
    #[serde(default)]
    #[schema(value_type = i64, required = false, minimum = 1, maximum = 366, example = 30)]
    pub expires_in_days: Maybe<serde_json::Number>,
}

impl CreateTokenRequest {
    /// The current password, if given, and the token's fields, parsed.
    pub fn into_parts(self) -> Result<(Option<CandidatePassword>, PatRequest), ApiError> {
        let mut v = FieldErrors::default();
        let current = current_password(&mut v, self.current_password);
        let name = v.check("name", PatName::parse(&self.name));
        let scopes = v.check("scopes", PatScopes::parse(self.scopes.iter().map(|scope| scope.0.as_str())));
        let days = v.optional("expires_in_days", self.expires_in_days, whole_days);
        match (current, name, scopes, days) {
            (Some(current), Some(name), Some(scopes), Some(expires_in_days)) => Ok((current, PatRequest { name, scopes, expires_in_days })),
            _ => Err(v.into_error()),
        }
    }
}

/// A number of days: a whole number of at least 1. JSON Schema counts `35.0` as an integer, so
/// it is one here too; the upper bound is the policy's to judge.
fn whole_days(days: serde_json::Number) -> Result<u32, &'static str> {
    if days.as_f64().is_some_and(|d| d < 1.0) {
        return Err("must be at least 1");
    }
    let whole = days.as_u64().or_else(|| days.as_f64().filter(|d| d.fract() == 0.0).map(|d| d as u64)).ok_or("must be a whole number")?;
    // Beyond u32 is beyond every policy, which then says what the bound is.
    Ok(u32::try_from(whole).unwrap_or(u32::MAX))
}

/// A personal access token, never its text.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PersonalAccessToken)]
pub struct PatResponse {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<PatScopeDto>,
    /// When it was made.
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTime<Utc>,
    /// When it was last used, to the minute; null before its first use.
    #[serde(serialize_with = "crate::dto::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<PersonalAccessToken> for PatResponse {
    fn from(t: PersonalAccessToken) -> Self {
        Self {
            id: t.id.as_uuid(),
            name: t.name.as_str().to_owned(),
            scopes: t.scopes.iter().map(PatScopeDto).collect(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// `POST /users/me/tokens`: the new token, its text shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CreatedPersonalAccessToken)]
pub struct CreatedPatResponse {
    /// The token's fields.
    #[serde(flatten)]
    pub fields: PatResponse,
    /// `gatehouse_pat_` + 32 base62 characters + a 6-character CRC32 checksum: shown only now.
    #[serde(rename = "token")]
    #[schema(example = "gatehouse_pat_0123456789abcdefghijABCDEFGHIJxy1a2b3c")]
    pub text: String,
}

impl CreatedPatResponse {
    /// The token and its text.
    pub fn new(token: PersonalAccessToken, text: &PatText) -> Self {
        Self { fields: token.into(), text: text.expose().to_owned() }
    }
}

/// A list of personal access tokens.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PersonalAccessTokenList)]
pub struct PatList {
    /// The live tokens, newest first.
    pub items: Vec<PatResponse>,
}

impl From<Vec<PersonalAccessToken>> for PatList {
    fn from(tokens: Vec<PersonalAccessToken>) -> Self {
        Self { items: tokens.into_iter().map(PatResponse::from).collect() }
    }
}
