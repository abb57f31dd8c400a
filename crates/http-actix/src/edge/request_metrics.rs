//! Every answered request counted by route template, method and status, its duration observed,
//! and its 429s counted by reason. Only when `metrics.port` is set; called by the edge
//! middleware (`edges::edge`) once the answer is final.

use crate::edge::metrics::Refusal;
use crate::edge::rate_limit::RateLimited;
use crate::edge::state::AppState;
use actix_web::dev::ServiceResponse;
use actix_web::web;
use std::time::Instant;

/// Records `response`, which took since `started`. The route is the matched template
/// (`/tasks/{id}`), so ids never become label values; an unmatched path is `unmatched`.
pub fn record<B>(response: &ServiceResponse<B>, started: Instant) {
    // Borrowed from the answered request: `Metrics` is a dozen `Arc`s, whose shared counts both
    // workers would bump twice per request if it were cloned (0.34 % of cycles).
    let request = response.request();
    let Some(metrics) = request.app_data::<web::Data<AppState>>().and_then(|state| state.metrics.as_ref()) else { return };
    let status = response.status().as_u16();
    if status == 429 {
        let why = if response.response().extensions().contains::<RateLimited>() { Refusal::RateLimit } else { Refusal::Lockout };
        metrics.refusal(why);
    }
    let route = request.match_pattern();
    metrics.request(route.as_deref().unwrap_or("unmatched"), request.method(), status, started.elapsed().as_secs_f64());
}
