//! The refresh token for browser apps (`auth.refresh_transport`): an `HttpOnly` cookie scoped
//! to `/auth`, read by refresh, logout and the token endpoint when the request carries no
//! token of its own, and the `Origin` checks that make it CSRF-safe both ways: a cookie is
//! read only for a trusted origin, and written only in answer to one ([`CookieWriter`]).

use crate::edge::error::ApiError;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponseBuilder};
use secrecy::SecretString;

/// `auth.refresh_transport`: where token responses put the refresh token, and where refresh
/// and logout read it.
#[derive(Debug, Clone, Copy, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RefreshTransport {
    /// In the JSON body only (v1).
    Body,
    /// In an `HttpOnly` cookie only, out of JavaScript's reach.
    Cookie,
    /// In both.
    Both,
}

/// The cookie's name.
pub const COOKIE_NAME: &str = "gatehouse_refresh";

/// The cookie's path: every endpoint that takes a refresh token is under it, nothing else is.
const COOKIE_PATH: &str = "/auth";

/// How token responses carry the refresh token, and which origins may present the cookie.
#[derive(Debug, Clone)]
pub struct RefreshCookie {
    transport: RefreshTransport,
    secure: bool,
    /// The server's own origin and `cors.allowed_origins`.
    trusted_origins: Vec<String>,
}

impl RefreshCookie {
    /// From `auth.refresh_transport`, `server.public_url` and `cors.allowed_origins`.
    pub fn new(transport: RefreshTransport, public_url: &str, allowed_origins: &[String]) -> Self {
        let own = origin_of(public_url);
        // Plain HTTP only on the developer's own machine; anywhere else the cookie is `Secure`.
        let local = ["http://localhost", "http://127.0.0.1"].iter().any(|host| own == *host || own.starts_with(&format!("{host}:")));
        let mut trusted_origins = vec![own];
        trusted_origins.extend(allowed_origins.iter().map(|o| o.trim_end_matches('/').to_owned()));
        Self { transport, secure: !local, trusted_origins }
    }

    /// Whether the JSON of a token response carries the refresh token.
    pub fn in_body(&self) -> bool {
        self.transport != RefreshTransport::Cookie
    }

    /// Whether the refresh token travels in the cookie.
    pub fn in_cookie(&self) -> bool {
        self.transport != RefreshTransport::Body
    }

    /// The only way to a token response: in cookie or both mode, a request whose `Origin` is
    /// neither the server's own nor allowed may not be answered with a refresh cookie, so it
    /// is refused before anything is signed in (a cross-site form posted to a sign-in endpoint
    /// would otherwise sign the browser into the attacker's account: login CSRF). A request
    /// without `Origin` is no browser's cross-site request and is answered.
    ///
    /// # Errors
    /// 403 for an untrusted `Origin` in cookie or both mode.
    pub fn writer(&self, req: &HttpRequest) -> Result<CookieWriter<'_>, ApiError> {
        if self.in_cookie() && origin(req).is_some() {
            self.check_origin(req)?;
        }
        Ok(CookieWriter { cookie: self })
    }

    /// Clears the cookie (logout).
    pub fn clear(&self, response: &mut HttpResponseBuilder) {
        if self.in_cookie() {
            response.cookie(self.cookie(String::new(), Duration::ZERO));
        }
    }

    fn cookie(&self, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build(COOKIE_NAME, value)
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Strict)
            .path(COOKIE_PATH)
            .max_age(max_age)
            .finish()
    }

    /// The refresh token the request's cookie holds, in cookie mode, once the request's
    /// `Origin` proved trusted (the server's own, or in `cors.allowed_origins`): a browser sends
    /// the cookie whoever made the page, so only trusted origins may have it used.
    ///
    /// # Errors
    /// 403 when the cookie comes from an origin that is neither the server's nor allowed.
    pub fn token(&self, req: &HttpRequest) -> Result<Option<SecretString>, ApiError> {
        if !self.in_cookie() {
            return Ok(None);
        }
        let Some(cookie) = req.cookie(COOKIE_NAME).filter(|c| !c.value().is_empty()) else { return Ok(None) };
        self.check_origin(req)?;
        Ok(Some(SecretString::from(cookie.value())))
    }

    /// Refuses a cookie-borne call unless `Origin` is the server's own or an allowed one. No
    /// `Origin` at all is refused too: browsers send it on every POST, so only a client that
    /// is not a browser lacks it, and such a client has no reason to send the cookie.
    fn check_origin(&self, req: &HttpRequest) -> Result<(), ApiError> {
        match origin(req) {
            Some(origin) if self.trusted_origins.iter().any(|trusted| trusted == origin) => Ok(()),
            _ => Err(ApiError::from_status(
                actix_web::http::StatusCode::FORBIDDEN,
                "the refresh cookie is accepted only from the server's own origin or an allowed one",
            )),
        }
    }
}

/// Leave to set the refresh cookie on one answer, from [`RefreshCookie::writer`] once the
/// request's `Origin` passed.
#[derive(Debug, Clone, Copy)]
pub struct CookieWriter<'a> {
    cookie: &'a RefreshCookie,
}

impl CookieWriter<'_> {
    /// Whether the JSON of the token response carries the refresh token.
    pub fn in_body(&self) -> bool {
        self.cookie.in_body()
    }

    /// Sets the cookie to `token` for the session's remaining `max_age_secs` (in cookie or both
    /// mode; nothing in body mode).
    pub fn set(&self, response: &mut HttpResponseBuilder, token: &str, max_age_secs: i64) {
        if self.cookie.in_cookie() {
            response.cookie(self.cookie.cookie(token.to_owned(), Duration::seconds(max_age_secs.max(0))));
        }
    }
}

/// The request's `Origin` header, when it has a readable one.
fn origin(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// `scheme://host[:port]` of a URL (what an `Origin` header holds).
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie_at(public_url: &str) -> RefreshCookie {
        RefreshCookie::new(RefreshTransport::Cookie, public_url, &[])
    }

    #[test]
    fn the_cookie_is_secure_except_on_plain_local_http() {
        assert!(!cookie_at("http://127.0.0.1:8080").secure);
        assert!(!cookie_at("http://localhost").secure);
        assert!(cookie_at("https://auth.example.com/").secure);
        assert!(cookie_at("http://localhost.example.com").secure);
        assert!(cookie_at("http://10.0.0.5:8080").secure);
    }

    #[test]
    fn the_own_origin_is_the_public_urls_scheme_host_and_port() {
        let cookie = cookie_at("https://auth.example.com/base/");
        assert_eq!(cookie.trusted_origins, ["https://auth.example.com"]);
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
