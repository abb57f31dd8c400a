//! `/audit`: the admin's view of the security events.

use crate::dto::{AuditPage, AuditQuery};
use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, Problem};
use crate::edge::extract::{ApiQuery, Caller, ReadsAccounts};
use crate::openapi::{QueryErrors, Unauthenticated, Unavailable};
use actix_web::{get, web};

/// Security events of every account (admin only), newest first, filtered by account, type and
/// time (`since` inclusive, `until` exclusive).
#[utoipa::path(
    tag = "audit",
    security(("bearer" = []), ("oauth2" = []), ("pat" = ["admin:read"])),
    params(AuditQuery),
    responses(
        (status = 200, description = "a page of security events, newest first", body = AuditPage),
        (status = 403, description = "admin role required", body = Problem, content_type = "application/problem+json"),
        QueryErrors, Unauthenticated, Unavailable
    )
)]
#[get("/audit")]
pub async fn list_audit(caller: Caller<ReadsAccounts>, ApiQuery(query): ApiQuery<AuditQuery>) -> Result<web::Json<AuditPage>, ApiError> {
    let (filter, page) = query.into_parts()?;
    Ok(web::Json(caller.run(Lane::Storage, move |app, me| app.admin.audit(me, &filter, page)).await?.into()))
}
