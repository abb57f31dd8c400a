//! The one HTTP error type. Every domain and extractor error is mapped to it exactly once and
//! rendered as an RFC 9457 problem document. A 5xx logs its cause chain and says nothing
//! internal to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::error::Error as StdError;
use std::fmt;
use utoipa::ToSchema;

/// The problem type of a first step that needs a second.
pub const MFA_REQUIRED: &str = "urn:gatehouse:mfa-required";

/// The problem type of an admin operation that needs a two-factor session.
pub const MFA_ENROLMENT_REQUIRED: &str = "urn:gatehouse:mfa-enrolment-required";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name (a dotted path for nested fields).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// An error on `field`.
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self { field: field.into(), message: message.to_string() }
    }
}

/// An RFC 9457 problem document, as every error (but `/auth/token`'s) is answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank` (the status says what kind of problem it is), or one of Gatehouse's own
    /// types: `urn:gatehouse:mfa-required`, `urn:gatehouse:mfa-enrolment-required`.
    #[schema(example = "about:blank")]
    pub r#type: &'static str,
    /// The status's reason phrase.
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422, minimum = 400, maximum = 599)]
    pub status: u16,
    /// A human-readable explanation.
    #[schema(example = "request body failed validation")]
    pub detail: String,
    /// The invalid fields, on 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// What a problem type of Gatehouse's own adds (`mfa_token`, `methods`, `expires_in`).
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// An error answered as problem+json.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    /// Boxed: rare (only `mfa-required` has any), and every `Result<_, ApiError>` pays for its size.
    extensions: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    detail: String,
    errors: Vec<FieldError>,
    headers: Vec<(HeaderName, HeaderValue)>,
    cause: Option<Box<dyn StdError + Send + Sync>>,
}

impl ApiError {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self { status, kind: "about:blank", extensions: None, detail: detail.into(), errors: Vec::new(), headers: Vec::new(), cause: None }
    }

    fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// Any error status, for answers another layer decided (see `edges`).
    pub fn from_status(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::new(status, detail)
    }

    /// 400: the request could not be read (bad JSON, query or path).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 401 with `WWW-Authenticate: Bearer`, naming `invalid_token` when a token was presented.
    pub fn unauthorized(token_presented: bool) -> Self {
        let (detail, challenge) = if token_presented {
            ("the access token is invalid, expired or revoked", r#"Bearer error="invalid_token""#)
        } else {
            ("an access token is required", "Bearer")
        };
        Self::new(StatusCode::UNAUTHORIZED, detail).with_header(header::WWW_AUTHENTICATE, challenge)
    }

    /// 403 (RFC 6750 §3.1): a personal access token outside its scopes, or managing the account,
    /// which no token may. `scope` names what the operation needs, when a scope would do.
    pub fn insufficient_scope(detail: impl Into<String>, scope: Option<&str>) -> Self {
        let challenge = match scope {
            Some(scope) => format!(r#"Bearer error="insufficient_scope", scope="{scope}""#),
            None => r#"Bearer error="insufficient_scope""#.to_owned(),
        };
        Self::new(StatusCode::FORBIDDEN, detail).with_header(header::WWW_AUTHENTICATE, &challenge)
    }

    /// 401 for credentials or refresh tokens sent in a body (no bearer challenge applies).
    pub fn invalid_credentials(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403: authenticated, but the role does not allow it.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "this operation requires the admin role")
    }

    /// 403: the right password, but the address must be verified first.
    pub fn email_not_verified() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "the email address must be verified before signing in: use the link that was emailed, or ask for a new one",
        )
    }

    /// 403 `urn:gatehouse:mfa-required`: the first step proved one factor and the account has
    /// two-step sign-in on. The answer carries the `mfa_token` (its one showing), what may
    /// finish the sign-in, and for how long; no token pair.
    pub fn mfa_required(mfa_token: &str, methods: &[&str], expires_in: i64) -> Self {
        let mut error =
            Self::new(StatusCode::FORBIDDEN, "the password was right; the second step of two-step sign-in is needed: POST /auth/login/mfa");
        error.kind = MFA_REQUIRED;
        let mut extensions = serde_json::Map::new();
        extensions.insert("mfa_token".into(), mfa_token.into());
        extensions.insert("methods".into(), methods.into());
        extensions.insert("expires_in".into(), expires_in.into());
        error.extensions = Some(Box::new(extensions));
        error.headers.push((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        error
    }

    /// 403 `urn:gatehouse:mfa-enrolment-required`: an admin whose session is not two-factor,
    /// while `auth.require_mfa_for_admins` is on.
    pub fn mfa_enrolment_required() -> Self {
        let mut error = Self::new(
            StatusCode::FORBIDDEN,
            "admin operations need a session signed in with two-step sign-in: turn it on, then sign in again",
        );
        error.kind = MFA_ENROLMENT_REQUIRED;
        error
    }

    /// 404: no such resource, or someone else's.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "no such resource")
    }

    /// 405 with the `Allow` header.
    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "this path does not support the method").with_header(header::ALLOW, &allowed.join(", "))
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    /// 413: the body is over the configured limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {limit} bytes"))
    }

    /// 415: the body has the wrong content type.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, format!("the request body must be {expected}"))
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self { errors, ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "request body failed validation") }
    }

    /// 422 for query parameters.
    pub fn invalid_query(errors: Vec<FieldError>) -> Self {
        Self { errors, ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "query parameters failed validation") }
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "too many requests; retry later")
            .with_header(header::RETRY_AFTER, &retry_after_secs.max(1).to_string())
    }

    /// 503 with `Retry-After`: the database is unreachable or password checks are saturated.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, detail).with_header(header::RETRY_AFTER, "1")
    }

    /// 500; the cause is logged, never shown.
    pub fn internal(cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { cause: Some(cause.into()), ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "an unexpected error occurred") }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The problem document this error answers with.
    pub fn problem(&self) -> Problem {
        Problem {
            r#type: self.kind,
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            extensions: self.extensions.as_deref().cloned().unwrap_or_default(),
        }
    }
}

impl From<domain::InfraError> for ApiError {
    fn from(e: domain::InfraError) -> Self {
        match e.kind() {
            domain::InfraErrorKind::Unavailable => {
                tracing::warn!(error = %display_chain(&e), "database unavailable");
                Self::unavailable("the database is unreachable; retry shortly")
            }
            domain::InfraErrorKind::Internal => Self::internal(e),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(error = %display_chain(cause.as_ref()), "request failed");
        }
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/problem+json");
        for (name, value) in &self.headers {
            response.insert_header((name.clone(), value.clone()));
        }
        response.json(self.problem())
    }
}

/// `outer: inner: innermost`, for logs.
pub fn display_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
