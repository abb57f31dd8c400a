//! Extractors whose every failure is a problem+json answer: JSON bodies (415, 413, 400, 422),
//! query strings (400), and the bearer-token principal (401).

use crate::edge::blocking::Lane;
use crate::edge::error::{ApiError, FieldError};
use crate::edge::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::{AuthenticateError, Gatehouse, Need, PatText, Principal, VerifiedToken};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::sync::Arc;

/// A JSON body, checked for content type and size, parsed so that syntax errors are 400 and
/// shape errors are 422 naming the field.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// Whether the request declares a JSON body (`application/json` or any `+json` type).
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.type_() == mime::APPLICATION && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON)))
}

/// Whether the request declares a form body (`application/x-www-form-urlencoded`).
pub(crate) fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.essence_str() == "application/x-www-form-urlencoded")
}

/// A form's `known` parameters; the message when it does not parse or repeats one of them. As
/// RFC 6749 §3.2 asks (and RFC 7662 and RFC 7009 with it), unrecognised parameters are ignored,
/// repeated or not.
pub(crate) fn form_fields(body: &[u8], known: &[&str]) -> Result<std::collections::HashMap<String, String>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| "the form does not parse".to_owned())?;
    let mut form = std::collections::HashMap::new();
    for (name, value) in pairs.into_iter().filter(|(name, _)| known.contains(&name.as_str())) {
        if form.insert(name.clone(), value).is_some() {
            return Err(format!("parameter {name} is repeated"));
        }
    }
    Ok(form)
}

/// The form of RFC 7662's and RFC 7009's requests, `token` and `token_type_hint`: 415 for
/// another content type, 413 over the limit, 400 when it does not parse or repeats one of them.
#[derive(Debug)]
pub struct TokenParametersForm(pub std::collections::HashMap<String, String>);

impl FromRequest for TokenParametersForm {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = typed_body(req, payload, is_form, "application/x-www-form-urlencoded");
        Box::pin(
            async move { form_fields(&body.await?, &["token", "token_type_hint"]).map(TokenParametersForm).map_err(ApiError::bad_request) },
        )
    }
}

/// No body at all: no content type, no transfer encoding, no or a zero content length.
fn has_no_body(req: &HttpRequest) -> bool {
    let headers = req.headers();
    !headers.contains_key(header::CONTENT_TYPE)
        && !headers.contains_key(header::TRANSFER_ENCODING)
        && headers.get(header::CONTENT_LENGTH).is_none_or(|len| len.as_bytes() == b"0")
}

/// Reads the whole body, refusing more than `limit` bytes.
pub(crate) async fn read_body(req: &HttpRequest, payload: &mut Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses JSON: a syntax error is 400; a type mismatch, missing field or bad enum value is 422
/// with the field's path. Messages never echo the offending value, which may be a password.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON at line {} column {}", e.line(), e.column())))?;
    if !value.is_object() {
        return Err(ApiError::validation(vec![FieldError::new("body", "must be a JSON object")]));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        ApiError::validation(vec![field_error(&path, &message)])
    })
}

/// Turns serde's message into a field error without the offending value.
fn field_error(path: &str, message: &str) -> FieldError {
    let parent = if path == "." { String::new() } else { format!("{path}.") };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return FieldError::new(format!("{parent}{name}"), "is required");
    }
    let field = if path == "." { "body".to_owned() } else { path.to_owned() };
    if message.starts_with("invalid type: null") {
        return FieldError::new(field, "must not be null");
    }
    if message.starts_with("unknown variant") {
        let allowed = message.split_once("expected ").map_or("", |(_, e)| e).replace('`', "");
        return FieldError::new(field, format!("must be {allowed}"));
    }
    match message.split_once(", expected ") {
        Some((_, expected)) => FieldError::new(field, format!("must be {expected}")),
        None => FieldError::new(field, "is invalid"),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.method() == actix_web::http::Method::DELETE && has_no_body(req) {
            // Clients send a DELETE without a body as a matter of course; what it lacks is its
            // fields (422 naming them), not a content type.
            return Box::pin(std::future::ready(parse_json(b"{}").map(ApiJson)));
        }
        let body = typed_body(req, payload, is_json, "application/json");
        Box::pin(async move { parse_json(&body.await?).map(ApiJson) })
    }
}

/// The whole body of a request whose content type `accepts` (415 naming `expected` otherwise),
/// up to the configured limit (413).
fn typed_body(
    req: &HttpRequest,
    payload: &mut Payload,
    accepts: fn(&HttpRequest) -> bool,
    expected: &'static str,
) -> LocalBoxFuture<'static, Result<web::BytesMut, ApiError>> {
    let req = req.clone();
    let mut payload = payload.take();
    Box::pin(async move {
        if !accepts(&req) {
            return Err(ApiError::unsupported_media_type(expected));
        }
        let limit = AppState::of(&req)?.body_limit;
        read_body(&req, &mut payload, limit).await
    })
}

/// A JSON body that may be absent altogether (no content type, no length): `None` then, else
/// what [`ApiJson`] makes of it. For refresh and logout, whose token may be in the cookie.
#[derive(Debug)]
pub struct MaybeJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for MaybeJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if has_no_body(req) {
            return Box::pin(std::future::ready(Ok(MaybeJson(None))));
        }
        let json = ApiJson::<T>::from_request(req, payload);
        Box::pin(async move { json.await.map(|ApiJson(body)| MaybeJson(Some(body))) })
    }
}

/// A query string; one that does not parse (`limit=abc`) is 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            serde_urlencoded::from_str(req.query_string())
                .map(ApiQuery)
                .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}"))),
        )
    }
}

/// What an operation needs of its caller's credential, named in the handler's signature
/// (`Caller<ReadsProjects>`): the one place a route says what a personal access token must hold.
/// The decision itself is the domain's ([`Principal::may`]).
pub trait Needs: 'static {
    /// The need.
    const NEED: Need;
}

macro_rules! needs {
    ($($(#[$doc:meta])* $name:ident => $need:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl Needs for $name {
            const NEED: Need = $need;
        }
    )*};
}

needs! {
    /// Managing the account: sessions only (the default, so a new route refuses tokens until it
    /// says otherwise).
    ManagesAccount => Need::AccountManagement;
    /// Reading the caller's own account (`profile`).
    ReadsProfile => Need::Profile;
    /// Reading projects and tasks (`projects:read`).
    ReadsProjects => Need::ProjectsRead;
    /// Writing projects and tasks (`projects:write`).
    WritesProjects => Need::ProjectsWrite;
    /// An admin's reading of accounts and the audit log (`admin:read`).
    ReadsAccounts => Need::AdminRead;
    /// Asking about tokens (`introspect`; personal access tokens only).
    Introspects => Need::Introspect;
}

/// The credential a request presented, checked as far as it can be without storage.
#[derive(Clone)]
pub(crate) enum Credential {
    /// An access token whose signature and expiry passed.
    Access(VerifiedToken),
    /// A personal access token whose checksum passed.
    Pat(Arc<PatText>),
}

impl Credential {
    /// The caller, as stored now: a live session or token of an active account.
    fn authenticate(&self, app: &Gatehouse) -> Result<Principal, ApiError> {
        match self {
            Self::Access(token) => app.auth.authenticate_verified(token),
            Self::Pat(text) => app.tokens.authenticate(text),
        }
        .map_err(refused)
    }
}

/// The caller, from `Authorization: Bearer` only (never a query string): an access token or a
/// personal access token. An access token's signature and expiry, or a personal access token's
/// checksum, are checked as the request is extracted, so a missing, forged or expired token is
/// 401 before anything else about the request is (and a mistyped personal access token costs no
/// database read); the session or token is checked against storage together with the use case,
/// in the same trip to the storage threads ([`Caller::run`]), so revocation is immediate and
/// costs no extra hop. `N` says what the operation needs of the credential.
pub struct Caller<N: Needs = ManagesAccount> {
    credential: Credential,
    state: web::Data<AppState>,
    need: PhantomData<N>,
}

impl<N: Needs> Caller<N> {
    /// Runs a use case as the caller on `lane`'s threads: authenticates the credential against
    /// storage, asks the principal whether it may do what `N` needs, then runs `f` with it, all
    /// in one job.
    ///
    /// # Errors
    /// 401 when the credential no longer grants access, 403 when a token lacks the scope; `f`'s
    /// error mapped to its answer.
    pub async fn run<T, E, F>(self, lane: Lane, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Gatehouse, &Principal) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let credential = self.credential;
        self.state
            .run(lane, move |app| {
                let me = credential.authenticate(app)?;
                me.may(N::NEED)?;
                f(app, &me).map_err(Into::into)
            })
            .await
    }

    /// The caller's principal alone.
    ///
    /// # Errors
    /// 401 when the credential no longer grants access, 403 when a token lacks the scope.
    pub async fn principal(self) -> Result<Principal, ApiError> {
        self.run(Lane::Storage, |_, me| Ok::<_, ApiError>(me.clone())).await
    }
}

impl<N: Needs> std::fmt::Debug for Caller<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.credential {
            Credential::Access(token) => f.debug_struct("Caller").field("user_id", &token.claims().user_id).finish_non_exhaustive(),
            Credential::Pat(_) => f.debug_struct("Caller").field("credential", &"personal access token").finish_non_exhaustive(),
        }
    }
}

/// A credential that passed its checks without storage while its session or token is not
/// checked yet: left on the request by the [`Caller`] extractor.
#[derive(Clone)]
pub(crate) struct JudgeLater(pub(crate) Credential);

/// Whether the credential left on a refused request still grants access: checked against
/// storage, so a logged-out token gets its 401 even when the body, query or path was wrong too.
///
/// # Errors
/// 401 when the credential no longer grants access.
pub(crate) async fn judge(state: &web::Data<AppState>, credential: Credential) -> Result<(), ApiError> {
    state.run(Lane::Storage, move |app| credential.authenticate(app).map(drop)).await
}

/// The answer to a token that does not grant access (the reason is logged, not told).
fn refused(e: AuthenticateError) -> ApiError {
    match e {
        AuthenticateError::Rejected(reason) => {
            tracing::debug!(%reason, "access token refused");
            ApiError::unauthorized(true)
        }
        AuthenticateError::Infra(e) => e.into(),
    }
}

/// The bearer token: `None` when no bearer credentials were sent at all. Read from the header's
/// bytes: `HeaderValue::to_str` checks a token of several hundred bytes one byte at a time,
/// which was 5 % of `GET /users/me`'s instructions; a token that is not UTF-8 (and so not a
/// token) is refused by its verification like any other bad token.
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = match value.iter().position(|b| *b == b' ') {
        Some(space) => (&value[..space], &value[space + 1..]),
        None => (value, &[][..]),
    };
    scheme.eq_ignore_ascii_case(b"bearer").then(|| std::str::from_utf8(token).unwrap_or_default().trim())
}

impl<N: Needs> FromRequest for Caller<N> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(bearer_token(req).ok_or_else(|| ApiError::unauthorized(false)).and_then(|token| {
            let state = AppState::of(req)?;
            let credential = if PatText::claims_to_be_one(token) {
                // The checksum only: a typo or a forgery is refused without a database read.
                let text = PatText::parse(token).map_err(|reason| {
                    tracing::debug!(%reason, "personal access token refused");
                    ApiError::unauthorized(true)
                })?;
                Credential::Pat(Arc::new(text))
            } else {
                // Signature and expiry only: CPU work of microseconds (HS256), no storage.
                Credential::Access(state.app.auth.verify_access_token(token).map_err(refused)?)
            };
            // For `edges::token_judged_first`, should a later extractor refuse the request.
            req.extensions_mut().insert(JudgeLater(credential.clone()));
            Ok(Caller { credential, state, need: PhantomData })
        }))
    }
}

/// The client's `User-Agent`, cleaned for the session list. Bytes beyond ASCII (HTTP's
/// obs-text) are read as ISO-8859-1, as HTTP/1.1 historically defined them, instead of
/// dropping the whole header; the domain then drops control characters. (A DEL or another
/// control byte in a header never gets here: actix's HTTP/1 parser answers 400 first, as
/// RFC 9110 §5.5 allows.)
pub fn user_agent(req: &HttpRequest) -> Option<domain::UserAgent> {
    let value = req.headers().get(header::USER_AGENT)?;
    match value.to_str() {
        Ok(text) => domain::UserAgent::from_header(text),
        Err(_) => domain::UserAgent::from_header(&value.as_bytes().iter().map(|b| char::from(*b)).collect::<String>()),
    }
}

/// Who sent the request, as its security events record it: the address after
/// `server.trusted_proxies` and the `User-Agent`.
pub fn client(req: &HttpRequest, state: &AppState) -> domain::Client {
    domain::Client { ip: state.clients.of(req), user_agent: user_agent(req) }
}

/// The request's [`client`], as an extractor for handlers that record events.
#[derive(Debug)]
pub struct RequestClient(pub domain::Client);

impl FromRequest for RequestClient {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(AppState::of(req).map(|state| Self(client(req, &state))))
    }
}
