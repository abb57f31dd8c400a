//! Probes, key publication and API documentation.

use crate::dto::HealthResponse;
use crate::edge::blocking::Lane;
use crate::edge::error::ApiError;
use crate::edge::state::AppState;
use crate::openapi::Unavailable;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

/// Liveness: answers without touching anything.
#[utoipa::path(tag = "system", responses((status = 200, description = "the process is alive (touches nothing else)", body = HealthResponse)))]
#[get("/health")]
pub async fn health() -> web::Json<HealthResponse> {
    web::Json(HealthResponse { status: "ok" })
}

/// Readiness: 200 when the database answers, else 503.
#[utoipa::path(tag = "system", responses((status = 200, description = "the database answers", body = HealthResponse), Unavailable))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<HealthResponse>, ApiError> {
    state.run(Lane::Storage, |app| app.maintenance.check_storage()).await?;
    Ok(web::Json(HealthResponse { status: "ok" }))
}

/// The public keys that verify access tokens (`{"keys": []}` under HS256).
#[utoipa::path(
    tag = "system",
    path = "/.well-known/jwks.json",
    responses((status = 200, description = "JSON Web Key Set", body = Object, content_type = "application/json"))
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=300")).json(state.jwks.as_ref())
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    tag = "system",
    path = "/openapi.json",
    responses((status = 200, description = "the OpenAPI document", body = Object, content_type = "application/json"))
)]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(state.openapi_json.as_str().to_owned())
}

/// `/docs` without the slash: a permanent redirect to the Swagger UI.
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}
