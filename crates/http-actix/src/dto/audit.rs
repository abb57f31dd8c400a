//! The security-event resource (`GET /audit`, `GET /users/me/events`) and the admin's query.

use crate::dto::page::page_type;
use crate::dto::{AuditKindDto, PageQuery};
use crate::edge::error::{ApiError, FieldError};
use chrono::{DateTime, Utc};
use domain::{AuditEvent, AuditFilter, AuditKind, PageRequest, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One security event. `detail` never holds a password, hash, token or secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEvent)]
pub struct AuditEventResponse {
    /// Stable id.
    pub id: Uuid,
    /// When it happened (UTC).
    #[serde(serialize_with = "crate::dto::time::rfc3339")]
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: AuditKindDto,
    /// The account it happened to (null for a failed login of an unknown email).
    pub user_id: Option<Uuid>,
    /// Who did it, when not the account itself (an admin).
    pub actor_id: Option<Uuid>,
    /// The session involved.
    pub session_id: Option<Uuid>,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// What else is worth knowing (roles, flags, counts).
    #[schema(value_type = Object)]
    pub detail: Map<String, Value>,
}

impl From<AuditEvent> for AuditEventResponse {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            at: e.at,
            kind: e.kind.into(),
            user_id: e.user_id.map(|u| u.as_uuid()),
            actor_id: e.actor_id.map(|u| u.as_uuid()),
            session_id: e.session_id.map(|s| s.as_uuid()),
            ip: e.ip.map(|ip| ip.to_string()),
            user_agent: e.user_agent.map(|ua| ua.as_str().to_owned()),
            detail: e.detail.to_json(),
        }
    }
}

page_type!(
    /// A page of security events, newest first.
    AuditPage, AuditEventResponse
);

/// `GET /audit`'s filters and page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this account's events.
    #[param(value_type = Option<Uuid>)]
    pub user_id: Option<String>,
    /// Only events of this type.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<AuditKindDto>)]
    pub kind: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub until: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub offset: Option<i64>,
}

impl AuditQuery {
    /// The filter and page (422 naming every field that does not parse).
    pub fn into_parts(self) -> Result<(AuditFilter, PageRequest), ApiError> {
        let mut errors = Vec::new();
        let mut field = |name: &str, message: &str| errors.push(FieldError::new(name, message));
        let user_id =
            self.user_id.and_then(|raw| Uuid::try_parse(&raw).map(UserId::from_uuid).map_err(|_| field("user_id", "must be a UUID")).ok());
        let kind = self.kind.and_then(|raw| raw.parse::<AuditKind>().map_err(|_| field("type", "must be an event type")).ok());
        let mut time = |name: &str, raw: Option<String>| {
            raw.and_then(|raw| {
                // RFC 3339 lets `T` and `Z` be lower-case; chrono wants them upper-case.
                DateTime::parse_from_rfc3339(&raw.to_ascii_uppercase())
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| field(name, "must be an RFC 3339 time"))
                    .ok()
            })
        };
        let (since, until) = (time("since", self.since), time("until", self.until));
        if !errors.is_empty() {
            return Err(ApiError::invalid_query(errors));
        }
        let page = PageQuery { limit: self.limit, offset: self.offset }.into_page()?;
        Ok((AuditFilter { user_id, kind, since, until }, page))
    }
}
