//! Middleware for the edges of HTTP that no handler sees: `HEAD` on every `GET` route, the
//! token judged before anything else about a request, and a problem+json body for the bare
//! error answers of the layers around the handlers (a missing file under `/docs/`, a CORS
//! preflight that is refused).

use crate::error::ApiError;
use crate::extract::{JudgeLater, judge};
use crate::state::AppState;
use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;

/// Serves `HEAD` as the `GET` of the same path. actix's HTTP/1 codec noted the method when it
/// read the request, so it still writes the `GET` answer's status and headers without the body.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// A protected endpoint judges the token first: a request refused for its body, query or path
/// (400, 413, 415, 422) whose token passed the signature check but no longer grants access
/// (logged out, revoked, account gone) gets the token's 401 instead. The session is read only
/// on this error path, so a successful request still makes one trip to storage; and no use
/// case ran, since `Caller::run` authenticates before it.
pub async fn token_judged_first(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    if ![400, 413, 415, 422].contains(&response.status().as_u16()) {
        return Ok(response);
    }
    let Some(JudgeLater(token)) = response.request().extensions().get::<JudgeLater>().cloned() else { return Ok(response) };
    let Some(state) = response.request().app_data::<actix_web::web::Data<AppState>>().cloned() else { return Ok(response) };
    match judge(&state, token).await {
        Ok(()) => Ok(response),
        Err(refusal) => {
            let (request, _) = response.into_parts();
            Ok(ServiceResponse::new(request, actix_web::ResponseError::error_response(&refusal)))
        }
    }
}

/// Gives an error answer that has no content type (a bare status, or plain text from a
/// library layer) the problem+json body every other error has, keeping its status and headers.
pub async fn problem_for_bare_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || response.headers().contains_key(header::CONTENT_TYPE) {
        return Ok(response);
    }
    let detail = match status.as_u16() {
        404 => "no such resource".to_owned(),
        400 if response.request().method() == Method::OPTIONS => "this cross-origin request is not allowed".to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let (request, bare) = response.into_parts();
    let mut problem = actix_web::ResponseError::error_response(&ApiError::from_status(status, detail));
    for (name, value) in bare.headers() {
        if name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, problem))
}
