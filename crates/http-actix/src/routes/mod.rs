//! Route registration, and the fallback that answers 404 or 405 (with `Allow`) for everything
//! else. actix's route macros answer a wrong method with 404 (actix-web issue #2735), so the
//! fallback looks the path up in the [`RouteTable`](crate::edge::route_table::RouteTable) made from
//! the OpenAPI document, the one list of what exists.

pub mod audit;
pub mod auth;
pub mod links;
pub mod me;
pub mod mfa;
pub mod oidc;
pub mod pages;
pub mod passkeys;
pub mod pats;
pub mod projects;
pub mod system;
pub mod tasks;
pub mod token;
pub mod users;

use crate::edge::error::ApiError;
use crate::edge::rate_limit::PerClientLimit;
use crate::edge::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponseBuilder};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented handler on `$cfg`, with `$scope` making the two scopes: one list
/// for the server ([`configure`], plain actix) and for the document ([`configure_documented`],
/// utoipa's wrappers). `/users/me` is a scope registered before `/users/{id}`, so `me` is never
/// taken for an id. The per-client limit wraps the two scopes it applies to, so it judges the
/// route the router reached, whatever spelling of the path got there.
macro_rules! register_routes {
    ($cfg:expr, $scope:path) => {{
        let cfg = $cfg;
        // In the order requests need them most: the router tries resources in turn, and a
        // pattern with a `{segment}` costs a regex run each time it is tried.
        cfg.service(
            $scope("/users/me")
                .wrap(PerClientLimit)
                .service(me::get_me)
                .service(me::update_me)
                .service(me::delete_me)
                .service(me::change_password)
                .service(me::list_sessions)
                .service(me::list_events)
                .service(me::revoke_session)
                .service(mfa::mfa_status)
                .service(mfa::start_totp)
                .service(mfa::confirm_totp)
                .service(mfa::disable_mfa)
                .service(mfa::regenerate_recovery_codes)
                .service(pats::create_token)
                .service(pats::list_tokens)
                .service(pats::revoke_token)
                .service(oidc::link_identity)
                .service(oidc::list_identities)
                .service(oidc::unlink_identity)
                .service(passkeys::start_passkey_registration)
                .service(passkeys::register_passkey)
                .service(passkeys::list_passkeys)
                .service(passkeys::rename_passkey)
                .service(passkeys::delete_passkey),
        );
        cfg.service(system::health).service(system::ready).service(system::jwks).service(system::openapi_json);
        cfg.service(tasks::create_task)
            .service(tasks::list_tasks)
            .service(tasks::get_task)
            .service(tasks::patch_task)
            .service(tasks::replace_task)
            .service(tasks::delete_task);
        cfg.service(projects::create_project)
            .service(projects::list_projects)
            .service(projects::get_project)
            .service(projects::update_project)
            .service(projects::delete_project);
        // Before the `/auth` scope, which would take its path: resource servers call it often, with
        // a token that authenticates them, so the per-client limit is not for it.
        cfg.service(pats::introspect);
        cfg.service(
            $scope("/auth")
                .wrap(PerClientLimit)
                .service(auth::register)
                .service(auth::login)
                .service(token::token)
                .service(auth::refresh)
                .service(auth::logout)
                .service(auth::logout_all)
                .service(auth::logout_others)
                .service(mfa::login_mfa)
                .service(mfa::password_policy)
                .service(links::verify_email)
                .service(links::resend_verification)
                .service(links::request_password_reset)
                .service(links::confirm_password_reset)
                .service(links::confirm_email_change)
                .service(pats::revoke)
                .service(oidc::list_providers)
                .service(oidc::start)
                .service(oidc::callback)
                .service(passkeys::passkey_options)
                .service(passkeys::passkey_sign_in),
        );
        cfg.service(audit::list_audit);
        cfg.service(mfa::reset_mfa);
        cfg.service(users::list_users)
            .service(users::invite_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(users::delete_user)
            .service(pats::list_user_tokens)
            .service(pats::revoke_user_token);
        cfg.service(pages::verify_page).service(pages::reset_page).service(pages::email_change_page);
    }};
}

/// An answer that shows a secret (tokens, an enrolment's key, recovery codes): no cache, shared
/// or private, may keep it (RFC 6749 §5.1; `Pragma` for HTTP/1.0 caches).
pub(crate) fn uncached(mut response: HttpResponseBuilder) -> HttpResponseBuilder {
    response.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    response
}

/// Registers every handler on the server's app. Plain actix: utoipa's wrappers would build
/// the whole OpenAPI document again in every worker as it starts (megabytes of allocations
/// that the allocator then keeps), only to throw it away.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    register_routes!(cfg, actix_web::web::scope)
}

/// Registers every handler on utoipa's app, which collects the OpenAPI document from them.
pub fn configure_documented(cfg: &mut ServiceConfig<'_>) {
    register_routes!(cfg, scope)
}

/// A path parameter that does not parse. Where the path is a documented static one that a
/// parameter's route took (`PATCH /users/me/passkeys/registration` reached
/// `PATCH /users/me/passkeys/{id}`), the request named that path with a method it lacks: 405
/// with `Allow`, as the fallback answers; else 400.
pub fn path_refused(e: &actix_web::error::PathError, req: &HttpRequest) -> ApiError {
    let method = req.method().as_str();
    match AppState::of(req).ok().and_then(|s| s.routes.allowed(req.path()).map(<[&str]>::to_vec)) {
        Some(methods) if !methods.contains(&method) => ApiError::method_not_allowed(&methods),
        _ => ApiError::bad_request(format!("invalid path parameter: {e}")),
    }
}

/// The default service: 405 with `Allow` for a known path, else 404.
pub async fn fallback(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let state = AppState::of(&req)?;
    Err(match state.routes.allowed(req.path()) {
        Some(methods) => ApiError::method_not_allowed(methods),
        None => ApiError::not_found(),
    })
}
