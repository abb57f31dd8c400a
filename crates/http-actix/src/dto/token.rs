//! The error body of `/auth/token` (RFC 6749 §5.2); its success is the token pair of
//! [`auth`](super::auth).

use serde::Serialize;
use utoipa::ToSchema;

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
