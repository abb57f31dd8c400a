//! The bodies of the probes.

use serde::Serialize;
use utoipa::ToSchema;

/// `GET /health` and `GET /ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}
