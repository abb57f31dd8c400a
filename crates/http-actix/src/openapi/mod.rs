//! The OpenAPI 3.1 document: paths are collected from the handlers registered in
//! `routes::configure_documented`; this module adds the shared error responses, security schemes and the
//! few paths served by other means.

mod links;

use crate::edge::error::Problem;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme};
use utoipa::openapi::{Components, ContentBuilder, InfoBuilder, OpenApi, RefOr};
use utoipa::{IntoResponses, Modify};

/// 400, 413, 415, 422: what a JSON body can get wrong.
#[derive(Debug, IntoResponses)]
pub enum JsonBodyErrors {
    /// Malformed JSON, or a path parameter that is not a UUID.
    #[response(status = 400, description = "malformed JSON or path parameter", content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Body over the limit.
    #[response(status = 413, description = "body too large", content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Not `application/json`.
    #[response(status = 415, description = "wrong content type", content_type = "application/problem+json")]
    Unsupported(Problem),
    /// Well-formed but invalid fields.
    #[response(status = 422, description = "invalid fields", content_type = "application/problem+json")]
    Invalid(Problem),
}

/// 401 for a missing or bad bearer token.
#[derive(Debug, IntoResponses)]
pub enum Unauthenticated {
    /// No valid access token.
    #[response(
        status = 401,
        description = "missing, invalid, expired or revoked access token",
        content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String, description = "Bearer challenge"))
    )]
    Unauthorized(Problem),
}

/// 403 for a personal access token outside its scopes, or one managing the account.
#[derive(Debug, IntoResponses)]
pub enum InsufficientScope {
    /// RFC 6750's `insufficient_scope`.
    #[response(
        status = 403,
        description = "a personal access token without the scope this operation needs (or one managing the account, which no token may); an admin-only operation of a caller who is no admin",
        content_type = "application/problem+json",
        headers(("WWW-Authenticate" = String, description = "`Bearer error=\"insufficient_scope\", scope=\"…\"` for a token"))
    )]
    Forbidden(Problem),
}

/// 400, 413, 415: what a form body (RFC 7662, RFC 7009) can get wrong.
#[derive(Debug, IntoResponses)]
pub enum FormErrors {
    /// The form does not parse, repeats a parameter, or lacks `token`.
    #[response(
        status = 400,
        description = "malformed form, a repeated parameter, or no `token`",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    /// Body over the limit.
    #[response(status = 413, description = "body too large", content_type = "application/problem+json")]
    TooLarge(Problem),
    /// Not `application/x-www-form-urlencoded`.
    #[response(status = 415, description = "wrong content type", content_type = "application/problem+json")]
    Unsupported(Problem),
}

/// 503 when the database is unreachable.
#[derive(Debug, IntoResponses)]
pub enum Unavailable {
    /// Retry after the given seconds.
    #[response(
        status = 503,
        description = "database unreachable or too many password checks queued",
        content_type = "application/problem+json",
        headers(("Retry-After" = String))
    )]
    Unavailable(Problem),
}

/// 429 from the rate limiter.
#[derive(Debug, IntoResponses)]
pub enum RateLimited {
    /// Retry after the given seconds.
    #[response(status = 429, description = "rate limit hit", content_type = "application/problem+json", headers(("Retry-After" = String)))]
    TooMany(Problem),
}

/// 403 for a refresh cookie sent from an origin that is neither the server's nor allowed.
#[derive(Debug, IntoResponses)]
pub enum UntrustedOrigin {
    /// The cookie is not used.
    #[response(
        status = 403,
        description = "the refresh cookie came with an Origin that is neither the server's nor in cors.allowed_origins",
        content_type = "application/problem+json"
    )]
    Refused(Problem),
}

/// 404 for a missing resource or someone else's.
#[derive(Debug, IntoResponses)]
pub enum NotFound {
    /// No such resource.
    #[response(status = 404, description = "no such resource, or not the caller's", content_type = "application/problem+json")]
    NotFound(Problem),
}

/// 400 for a path parameter that is not a UUID.
#[derive(Debug, IntoResponses)]
pub enum BadPath {
    /// Malformed path parameter.
    #[response(status = 400, description = "malformed path parameter", content_type = "application/problem+json")]
    BadRequest(Problem),
}

/// 400 and 422 for query strings.
#[derive(Debug, IntoResponses)]
pub enum QueryErrors {
    /// The query string does not parse.
    #[response(status = 400, description = "malformed query string or path parameter", content_type = "application/problem+json")]
    BadRequest(Problem),
    /// A value out of range.
    #[response(status = 422, description = "query parameter out of range", content_type = "application/problem+json")]
    Invalid(Problem),
}

/// `PATCH /users/me`: changing `email` needs `current_password`. utoipa has no attribute for
/// JSON Schema's `dependentRequired`, so it goes through the object's flattened extension map.
fn require_password_with_email(components: &mut Components) {
    if let Some(RefOr::T(Schema::Object(update_me))) = components.schemas.get_mut("UpdateMe") {
        update_me
            .extensions
            .get_or_insert_with(Default::default)
            .insert("dependentRequired".to_owned(), serde_json::json!({ "email": ["current_password"] }));
    }
}

/// Adds info, security schemes and the paths not served by annotated handlers.
#[derive(Debug)]
pub struct Finish;

impl Modify for Finish {
    fn modify(&self, api: &mut OpenApi) {
        api.info = InfoBuilder::new()
            .title("Gatehouse")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some("User accounts, JWT authentication with rotating refresh tokens, and per-user projects with tasks."))
            .build();
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new("/auth/token", Scopes::new()))])),
        );
        components.add_security_scheme(
            "pat",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gatehouse_pat")
                    .description(Some(
                        "A personal access token (`gatehouse_pat_…`, from POST /users/me/tokens). An operation lists the scope it needs; \
                         one without a `pat` requirement refuses tokens with 403 insufficient_scope.",
                    ))
                    .build(),
            ),
        );
        require_password_with_email(components);
        let html = ContentBuilder::new().build();
        let docs = OperationBuilder::new()
            .tag("system")
            .summary(Some("Swagger UI, served from the binary"))
            .operation_id(Some("swagger_ui"))
            .response("200", ResponseBuilder::new().description("the Swagger UI page").content("text/html", html).build())
            .build();
        api.paths.paths.insert("/docs/".to_owned(), PathItem::new(HttpMethod::Get, docs));
        links::add(api);
        optional_bodies_are_absent_not_null(api);
        bearer_operations_refuse_tokens_out_of_scope(api);
    }
}

/// Every operation that takes a bearer credential may refuse a personal access token outside
/// its scopes (or managing the account) with 403 `insufficient_scope`: one rule documents that
/// answer where the operation has no 403 of its own.
fn bearer_operations_refuse_tokens_out_of_scope(api: &mut OpenApi) {
    let takes_bearer = |operation: &utoipa::openapi::path::Operation| {
        operation.security.iter().flatten().any(|requirement| {
            serde_json::to_value(requirement).ok().and_then(|v| v.as_object().map(|o| o.contains_key("bearer") || o.contains_key("pat")))
                == Some(true)
        })
    };
    for item in api.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten().filter(|operation| takes_bearer(operation)) {
            for (status, response) in InsufficientScope::responses() {
                operation.responses.responses.entry(status).or_insert(response);
            }
        }
    }
}

/// An optional request body (`request_body(content = Option<T>)`) is one that may be left out,
/// not one that may be JSON `null`, which the server answers like any other non-object (422):
/// the document drops the `null` alternative utoipa adds to such a body's schema.
fn optional_bodies_are_absent_not_null(api: &mut OpenApi) {
    use utoipa::openapi::Required;
    for item in api.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let Some(RefOr::T(body)) = operation.request_body.as_mut() else { continue };
            if matches!(body.required, Some(Required::True)) {
                continue;
            }
            for content in body.content.values_mut() {
                let RefOr::T(content) = content else { continue };
                let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else { continue };
                let mut others = one_of.items.iter().filter(|schema| !is_null(schema));
                if let (Some(only), None) = (others.next(), others.next()) {
                    content.schema = Some(only.clone());
                }
            }
        }
    }
}

/// `{"type": "null"}`.
fn is_null(schema: &RefOr<Schema>) -> bool {
    use utoipa::openapi::schema::{SchemaType, Type};
    matches!(schema, RefOr::T(Schema::Object(object)) if object.schema_type == SchemaType::Type(Type::Null))
}

/// States the password limit of the configured hasher in the document: the schemas of new
/// passwords (`format: password` with a `maxLength`) say what the server enforces, 72 bytes
/// under bcrypt and more under argon2id, so input valid by the schema is accepted.
pub fn set_password_limit(api: &mut OpenApi, max_bytes: usize) {
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    if max_bytes == crate::dto::field_schemas::MAX_PASSWORD_BYTES {
        return;
    }
    let Some(components) = api.components.as_mut() else { return };
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::Object(object)) = schema else { continue };
        for property in object.properties.values_mut() {
            let RefOr::T(Schema::Object(field)) = property else { continue };
            let is_new_password =
                matches!(field.format, Some(SchemaFormat::KnownFormat(KnownFormat::Password))) && field.max_length.is_some();
            if is_new_password {
                field.max_length = Some(max_bytes);
                field.description = Some(format!(
                    "8 characters to {max_bytes} bytes of UTF-8 (the configured hasher's limit; never truncated); no control characters."
                ));
            }
        }
    }
}

/// Describes where the refresh token travels under `auth.refresh_transport`: with the cookie,
/// refresh and logout bodies need no `refresh_token` (the cookie has it), and in `cookie` mode
/// token responses leave it out. The default (`body`) document is unchanged.
pub fn set_refresh_transport(api: &mut OpenApi, in_body: bool, in_cookie: bool) {
    if !in_cookie {
        return;
    }
    let Some(components) = api.components.as_mut() else { return };
    let mut optional = |schema: &str, drop: bool| {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) else { return };
        object.required.retain(|field| field != "refresh_token");
        if drop {
            object.properties.remove("refresh_token");
        }
    };
    optional("RefreshRequest", false);
    if !in_body {
        optional("Token", true);
    }
}
