//! The middleware of the per-client rate limit ([`ClientLimit`]) of `/auth/*` and the
//! password-checking endpoints, counted in the shared attempt-counter store, so every instance
//! on one store counts together.
//!
//! It wraps the route scopes it limits (`/auth` and `/users/me`, see `routes::configure`), not
//! the whole app: what is limited is decided by the route a request reached after the router
//! decoded its path, never by how the client spelled it (`/%61uth/login` is `/auth/login`).

use crate::blocking::Lane;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use domain::{Clock, CounterKey, Reservation};
use std::sync::Arc;

/// Left on a 429 of the per-client limit, so the metrics tell it from a lockout's.
#[derive(Debug, Clone, Copy)]
pub struct RateLimited;

/// Middleware of a limited scope: counts every request that writes (reads are never limited)
/// against its client's window before the handler runs, and answers 429 with `Retry-After`
/// when the window is full.
pub async fn per_client_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else { return Ok(next.call(req).await?.map_into_boxed_body()) };
    let Some(limit) = state.client_limit.as_ref().filter(|_| writes(req.method())) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(client) = state.clients.of(req.request()) else {
        return Ok(req.error_response(ApiError::bad_request("the client address is unknown")).map_into_boxed_body());
    };
    let (counter, policy, key) = (Arc::clone(&state.attempts), limit.policy(), CounterKey::client(client));
    let reserved = state.offload.run(Lane::Storage, move || counter.reserve(&key, policy, domain::system::SystemClock.now())).await;
    let refusal = match reserved {
        Ok(Reservation::Granted) => return Ok(next.call(req).await?.map_into_boxed_body()),
        Ok(Reservation::Refused { retry_after_secs }) => ApiError::too_many_requests(retry_after_secs),
        Err(e) => e,
    };
    let (request, _) = req.into_parts();
    let mut response = refusal.error_response();
    if response.status() == actix_web::http::StatusCode::TOO_MANY_REQUESTS {
        response.extensions_mut().insert(RateLimited);
    }
    Ok(ServiceResponse::new(request, response))
}

/// Whether a request can change something: everything but `GET`, `HEAD` and `OPTIONS`.
fn writes(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
