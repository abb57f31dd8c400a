//! The middleware of the per-client rate limit ([`ClientLimit`](crate::edge::client_limit::ClientLimit))
//! of `/auth/*` and the password-checking endpoints, counted in the shared attempt-counter store,
//! so every instance on one store counts together.
//!
//! It wraps the route scopes it limits (`/auth` and `/users/me`, see `routes::configure`), not
//! the whole app: what is limited is decided by the route a request reached after the router
//! decoded its path, never by how the client spelled it (`/%61uth/login` is `/auth/login`).
//! Reads pass straight through to the handler, with no boxing or extra state machine, since
//! `GET /users/me` is one of the hottest requests there are.

use crate::edge::blocking::Lane;
use crate::edge::error::ApiError;
use crate::edge::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::Method;
use actix_web::{ResponseError, web};
use domain::{Clock, CounterKey, Reservation};
use futures_util::TryFutureExt;
use futures_util::future::{Either, LocalBoxFuture, MapOk, Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

/// Left on a 429 of the per-client limit, so the metrics tell it from a lockout's.
#[derive(Debug, Clone, Copy)]
pub struct RateLimited;

/// Middleware of a limited scope: counts every request that writes (reads are never limited)
/// against its client's window before the handler runs, and answers 429 with `Retry-After`
/// when the window is full.
#[derive(Debug, Clone, Copy, Default)]
pub struct PerClientLimit;

impl<S, B> Transform<S, ServiceRequest> for PerClientLimit
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = PerClientLimitService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(PerClientLimitService { service: Rc::new(service) }))
    }
}

/// The service [`PerClientLimit`] wraps a scope in.
#[derive(Debug)]
pub struct PerClientLimitService<S> {
    service: Rc<S>,
}

type Passed<S, B> = MapOk<<S as Service<ServiceRequest>>::Future, fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>>;

impl<S, B> Service<ServiceRequest> for PerClientLimitService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Either<Passed<S, B>, LocalBoxFuture<'static, Result<Self::Response, Self::Error>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let limited = writes(req.method()) && req.app_data::<web::Data<AppState>>().is_some_and(|state| state.client_limit.is_some());
        if !limited {
            return Either::Left(self.service.call(req).map_ok(ServiceResponse::map_into_left_body as fn(_) -> _));
        }
        let service = Rc::clone(&self.service);
        Either::Right(Box::pin(async move {
            match reserve(&req).await {
                Ok(()) => service.call(req).await.map(ServiceResponse::map_into_left_body),
                Err(refusal) => {
                    let (request, _) = req.into_parts();
                    let mut response = refusal.error_response();
                    if response.status() == actix_web::http::StatusCode::TOO_MANY_REQUESTS {
                        response.extensions_mut().insert(RateLimited);
                    }
                    Ok(ServiceResponse::new(request, response).map_into_right_body())
                }
            }
        }))
    }
}

/// Counts the request against its client's window: `Err` with the 429 (or the store's 503,
/// or a 400 for a client whose address is unknown) when it may not go on.
async fn reserve(req: &ServiceRequest) -> Result<(), ApiError> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else { return Ok(()) };
    let Some(limit) = state.client_limit.as_ref() else { return Ok(()) };
    let Some(client) = state.clients.of(req.request()) else { return Err(ApiError::bad_request("the client address is unknown")) };
    let (counter, policy, key) = (Arc::clone(&state.attempts), limit.policy(), CounterKey::client(client));
    match state.offload.run(Lane::Storage, move || counter.reserve(&key, policy, domain::system::SystemClock.now())).await? {
        Reservation::Granted => Ok(()),
        Reservation::Refused { retry_after_secs } => Err(ApiError::too_many_requests(retry_after_secs)),
    }
}

/// Whether a request can change something: everything but `GET`, `HEAD` and `OPTIONS`.
fn writes(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
