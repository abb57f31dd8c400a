//! Each request's id, its span and its log line. Only method, path (never the query string),
//! status and latency are logged: no header, body, token or password.

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use std::time::Instant;

/// The request-id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id: the incoming `X-Request-Id` when it is a plain token (letters, digits, `-`,
/// `_`, `.`, at most 128), so it cannot inject anything into logs or headers; otherwise a new
/// UUID. Kept as the header value it is answered with.
#[derive(Debug, Clone)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The id of `req`.
    pub fn of(req: &ServiceRequest) -> Self {
        let plain = |v: &[u8]| !v.is_empty() && v.len() <= 128 && v.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b));
        if let Some(incoming) = req.headers().get(&REQUEST_ID).filter(|v| plain(v.as_bytes())) {
            return Self(incoming.clone());
        }
        // Formatted into a buffer, not through `Display` and a `String`.
        let mut buffer = [0_u8; uuid::fmt::Hyphenated::LENGTH];
        let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
        Self(HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("unknown")))
    }

    /// The header value to answer with.
    pub fn header(&self) -> HeaderValue {
        self.0.clone()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only plain ASCII gets here (checked, or a UUID).
        f.write_str(std::str::from_utf8(self.0.as_bytes()).unwrap_or("?"))
    }
}

/// The span of a request: its id, method and path (never the query string). Its fields are
/// formatted only when the span is recorded (an `info` level enabled).
pub fn request_span(id: &RequestId, req: &ServiceRequest) -> tracing::Span {
    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path())
}

/// The request's log line once its answer is final: `error` with the cause for a 5xx, else
/// `info`. (Handler and extractor errors arrive as responses; only a failing inner middleware
/// yields `Err`, which the edge logs itself.)
pub fn log_finished<B>(response: &ServiceResponse<B>, started: Instant) {
    let status = response.status();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1_000.0;
    if status.is_server_error() {
        let error = response.response().error().map(ToString::to_string);
        tracing::error!(status = status.as_u16(), elapsed_ms, error, "request finished");
    } else {
        tracing::info!(status = status.as_u16(), elapsed_ms, "request finished");
    }
}
