//! The OpenAPI document as served: collected from the handlers, finished, and given the
//! configured hasher's password limit.

use crate::edge::refresh_cookie::RefreshCookie;
use crate::edge::route_table::RouteTable;
use crate::openapi::{Finish, set_password_limit, set_refresh_transport};
use crate::routes;
use actix_web::App;
use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::AppExt;

/// The OpenAPI document: collected from the handlers, then finished.
pub fn openapi() -> OpenApi {
    let (_, mut api) = App::new().into_utoipa_app().configure(routes::configure_documented).split_for_parts();
    Finish.modify(&mut api);
    api
}

/// The OpenAPI document as served with a hasher that takes passwords of up to
/// `max_password_bytes` and the refresh token where `cookie` puts it.
pub fn openapi_for(max_password_bytes: usize, cookie: &RefreshCookie) -> OpenApi {
    let mut api = openapi();
    set_password_limit(&mut api, max_password_bytes);
    set_refresh_transport(&mut api, cookie.in_body(), cookie.in_cookie());
    api
}

/// The served OpenAPI JSON and the route table derived from the document. Built on a thread
/// of its own that ends with it: building the document allocates megabytes that are garbage a
/// moment later, and the allocator keeps freed pages with the thread that freed them, here the
/// main thread, asleep until shutdown (measured: idle RSS after start-up 21.7 → 21.0 MB).
///
/// # Errors
/// The serialiser's message (a bug).
pub fn document(max_password_bytes: usize, cookie: &RefreshCookie) -> Result<(String, RouteTable), String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let api = openapi_for(max_password_bytes, cookie);
                let json = api.to_json().map_err(|e| e.to_string())?;
                Ok((json, RouteTable::from_openapi(&api)))
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
