//! What every handler shares.

use crate::blocking::{HashGate, StorageThreads};
use crate::error::ApiError;
use crate::rate_limit::ClientLimit;
use crate::routes::RouteTable;
use actix_web::{HttpRequest, web};
use domain::AttemptCounter;
use domain::Gatehouse;
use infra_diesel::Database;
use std::sync::Arc;

/// The application's shared state, behind `web::Data`.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: Gatehouse,
    /// For the readiness probe.
    pub database: Database,
    /// Where storage use cases run.
    pub storage: StorageThreads,
    /// Bounds concurrent password checks.
    pub hash_gate: HashGate,
    /// The attempt counters (the lockout's, through the use cases, and the per-client limit's).
    pub attempts: Arc<dyn AttemptCounter>,
    /// The per-client limit; `None` when `rate_limit.enabled` is false.
    pub client_limit: Option<ClientLimit>,
    /// The largest JSON or form body accepted, in bytes.
    pub body_limit: usize,
    /// The JWKS document (empty under HS256).
    pub jwks: Arc<serde_json::Value>,
    /// The OpenAPI document, serialised once.
    pub openapi_json: Arc<String>,
    /// Known paths and their methods, for 405 answers.
    pub routes: Arc<RouteTable>,
}

impl AppState {
    /// The state registered on the app.
    ///
    /// # Errors
    /// 500 if the app was built without it (a bug).
    pub fn of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
        req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| ApiError::internal("application state missing"))
    }
}
