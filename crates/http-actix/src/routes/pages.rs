//! The pages an emailed link opens, served from the binary: static HTML whose script reads the
//! token from the address and posts it only when the person confirms, so opening a link (as
//! mail scanners do) uses nothing up. No CDN, no inline script, a CSP that allows only this
//! origin, and no `Referer` that could carry the token elsewhere.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

/// Scripts, styles and calls only from this origin; no frames, plugins, forms posting
/// elsewhere or `<base>`.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; \
                   form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// A page: never cached (it is one link's), never framed, never a referrer.
fn page(html: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(html)
}

/// The link's token, read by the page's script and never by the server on `GET`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the query string; the server never reads it")]
struct LinkQuery {
    /// The emailed link's token.
    token: Option<String>,
}

/// The page a verification link opens: a button that verifies the address.
#[utoipa::path(
    tag = "account pages",
    params(LinkQuery),
    responses((status = 200, description = "the page (HTML); the token is used only when the person confirms", content_type = "text/html"))
)]
#[get("/account/verify")]
pub async fn verify_page() -> HttpResponse {
    page(include_str!("../pages/verify.html"))
}

/// The page a reset or invite link opens: the new password, typed twice.
#[utoipa::path(
    tag = "account pages",
    params(LinkQuery),
    responses((status = 200, description = "the page (HTML); the token is used only when the person submits", content_type = "text/html"))
)]
#[get("/account/reset")]
pub async fn reset_page() -> HttpResponse {
    page(include_str!("../pages/reset.html"))
}

/// The page an email-change link opens: a button that confirms the new address.
#[utoipa::path(
    tag = "account pages",
    params(LinkQuery),
    responses((status = 200, description = "the page (HTML); the token is used only when the person confirms", content_type = "text/html"))
)]
#[get("/account/email-change")]
pub async fn email_change_page() -> HttpResponse {
    page(include_str!("../pages/email_change.html"))
}

/// The pages' script and style (not in the API document: they are the pages' parts).
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match name.as_str() {
        "account.js" => (include_str!("../pages/account.js"), "text/javascript; charset=utf-8"),
        "account.css" => (include_str!("../pages/account.css"), "text/css; charset=utf-8"),
        _ => return actix_web::ResponseError::error_response(&crate::edge::error::ApiError::not_found()),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .body(body)
}
