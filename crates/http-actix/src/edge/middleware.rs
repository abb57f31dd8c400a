//! The one middleware at the edge of the app ([`edge`]), for what no handler sees: the request
//! id and span with its log line, `HEAD` on every `GET` route, the token judged before anything
//! else about a request, a problem+json body for the bare error answers of the layers around the
//! handlers (a missing file under `/docs/`, a CORS preflight that is refused), `nosniff`, and
//! the request metrics.
//!
//! One layer instead of one per concern: every `from_fn` layer costs every request an async
//! state machine, a boxed inner service and a body re-boxing whether it does anything or not
//! (six of them were about 2.5k instructions of each `GET /users/me`, callgrind). Each concern
//! stays a function of its own module; this only calls them in order.

use crate::edge::error::ApiError;
use crate::edge::extract::{JudgeLater, judge};
use crate::edge::request_log;
use crate::edge::request_metrics;
use crate::edge::state::AppState;
use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

/// The middleware: wraps everything else the app does (CORS included, so its refusals get a
/// problem body too).
pub async fn edge(mut req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request_log::RequestId::of(&req);
    let span = request_log::request_span(&id, &req);
    let started = Instant::now();
    // actix's HTTP/1 codec noted the method when it read the request, so it still writes the
    // `GET` answer's status and headers without the body.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let result = next.call(req).instrument(span.clone()).await;
    let _entered = span.enter();
    let response = result.inspect_err(|e| tracing::error!(error = %e, "request failed in middleware"))?.map_into_boxed_body();
    let response = token_judged_first(response).await;
    let mut response = problem_for_bare_errors(response);
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(request_log::REQUEST_ID, id.header());
    request_metrics::record(&response, started);
    request_log::log_finished(&response, started);
    Ok(response)
}

/// A protected endpoint judges the token first: a request refused for its body, query or path
/// (400, 413, 415, 422) whose token passed the signature check but no longer grants access
/// (logged out, revoked, account gone) gets the token's 401 instead. The session is read only
/// on this error path, so a successful request still makes one trip to storage; and no use
/// case ran, since `Caller::run` authenticates before it.
async fn token_judged_first(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    if ![400, 413, 415, 422].contains(&response.status().as_u16()) {
        return response;
    }
    let Some(JudgeLater(credential)) = response.request().extensions().get::<JudgeLater>().cloned() else { return response };
    let Some(state) = response.request().app_data::<actix_web::web::Data<AppState>>().cloned() else { return response };
    match judge(&state, credential).await {
        Ok(()) => response,
        Err(refusal) => {
            let (request, refused) = response.into_parts();
            let mut answer = actix_web::ResponseError::error_response(&refusal);
            keep_headers(&refused, &mut answer);
            ServiceResponse::new(request, answer)
        }
    }
}

/// Gives an error answer that has no content type (a bare status, or plain text from a
/// library layer) the problem+json body every other error has, keeping its status and headers.
fn problem_for_bare_errors(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let detail = match status.as_u16() {
        404 => "no such resource".to_owned(),
        400 if response.request().method() == Method::OPTIONS => "this cross-origin request is not allowed".to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let (request, bare) = response.into_parts();
    let mut problem = actix_web::ResponseError::error_response(&ApiError::from_status(status, detail));
    keep_headers(&bare, &mut problem);
    ServiceResponse::new(request, problem)
}

/// Carries the headers of a replaced answer (CORS, `Allow`, `Retry-After`) onto its
/// replacement, but not those that describe the old body.
fn keep_headers(old: &actix_web::HttpResponse, new: &mut actix_web::HttpResponse) {
    for (name, value) in old.headers() {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE && !new.headers().contains_key(name) {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
}
