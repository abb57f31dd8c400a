//! What every handler shares, and the one way handlers run use cases off the async workers.

use crate::edge::blocking::{Lane, Offload};
use crate::edge::client_limit::{ClientIp, ClientLimit};
use crate::edge::error::ApiError;
use crate::edge::metrics::Metrics;
use crate::edge::refresh_cookie::RefreshCookie;
use crate::edge::route_table::RouteTable;
use actix_web::{HttpRequest, web};
use domain::{AttemptCounter, Gatehouse};
use std::sync::Arc;

/// The application's shared state, behind `web::Data`.
#[derive(Clone)]
pub struct AppState {
    /// The use cases. Behind an `Arc` so that a job takes them to a pool thread with one
    /// reference count, not a dozen (cloning them showed in the profile of every request).
    pub app: Arc<Gatehouse>,
    /// The storage threads and the password-check gate.
    pub offload: Offload,
    /// The attempt counters (the lockout's, through the use cases, and the per-client limit's).
    pub attempts: Arc<dyn AttemptCounter>,
    /// Who a request comes from, behind `server.trusted_proxies`.
    pub clients: ClientIp,
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
    /// What is recorded for `GET /metrics`; `None` when `metrics.port` is not set.
    pub metrics: Option<Metrics>,
    /// Where the refresh token travels (`auth.refresh_transport`).
    pub refresh_cookie: RefreshCookie,
    /// The `iss` and `aud` of access tokens, for introspection's answer.
    pub token_names: Arc<TokenNames>,
}

/// The `iss` and `aud` access tokens carry (`auth.issuer`, `auth.audience`).
#[derive(Debug, Clone)]
pub struct TokenNames {
    /// `iss`.
    pub issuer: String,
    /// `aud`.
    pub audience: String,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("offload", &self.offload).field("body_limit", &self.body_limit).finish_non_exhaustive()
    }
}

impl AppState {
    /// The state registered on the app.
    ///
    /// # Errors
    /// 500 if the app was built without it (a bug).
    pub fn of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
        req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| ApiError::internal("application state missing"))
    }

    /// Runs a use case on `lane`'s threads with the request's span; its error becomes the
    /// answer it maps to.
    ///
    /// # Errors
    /// `f`'s error, mapped once; 503 when the lane is full or the server is stopping.
    pub async fn run<T, E, F>(&self, lane: Lane, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Gatehouse) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let app = Arc::clone(&self.app);
        self.offload.run(lane, move || f(&app)).await
    }
}
