//! Logging, and the per-request span with its request id. Only method, path (never the query
//! string), status and latency are logged: no header, body, token or password.

use crate::config::{LogFormat, LogSettings};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// The request-id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber (once; later calls are ignored, which tests rely on).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// An incoming id is kept when it is a plain token (letters, digits, `-`, `_`, `.`, at most
/// 128), so it cannot inject anything into logs or headers; otherwise a new UUID is used.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Middleware: one span per request carrying its id, one log line when it ends, and the id on
/// the response. (Handler and extractor errors arrive here as responses; only a failing inner
/// middleware yields `Err`, which actix renders after us.)
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let _entered = span.enter();
    let mut response = result.inspect_err(|e| tracing::error!(error = %e, "request failed in middleware"))?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1_000.0;
    if status.is_server_error() {
        let error = response.response().error().map(ToString::to_string);
        tracing::error!(status = status.as_u16(), elapsed_ms, error, "request finished");
    } else {
        tracing::info!(status = status.as_u16(), elapsed_ms, "request finished");
    }
    Ok(response)
}
