//! Middleware: every answered request counted by route template, method and status, its
//! duration observed, and its 429s counted by reason. Only when `metrics.port` is set.

use crate::metrics::Refusal;
use crate::rate_limit::RateLimited;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use std::time::Instant;

/// Records the request once its answer is ready. The route is the matched template
/// (`/tasks/{id}`), so ids never become label values; an unmatched path is `unmatched`.
pub async fn record_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.app_data::<web::Data<AppState>>().is_none_or(|state| state.metrics.is_none()) {
        return next.call(req).await;
    }
    let started = Instant::now();
    let response = next.call(req).await?;
    // Borrowed from the answered request, not cloned before the call: `Metrics` is a dozen
    // `Arc`s, whose shared counts both workers bumped twice per request (0.34 % of cycles).
    let request = response.request();
    if let Some(metrics) = request.app_data::<web::Data<AppState>>().and_then(|state| state.metrics.as_ref()) {
        let status = response.status().as_u16();
        if status == 429 {
            let why = if response.response().extensions().contains::<RateLimited>() { Refusal::RateLimit } else { Refusal::Lockout };
            metrics.refusal(why);
        }
        let route = request.match_pattern();
        metrics.request(route.as_deref().unwrap_or("unmatched"), request.method(), status, started.elapsed().as_secs_f64());
    }
    Ok(response)
}
