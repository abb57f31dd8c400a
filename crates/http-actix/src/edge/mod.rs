//! The HTTP edge every request crosses on its way to a handler and back, below the routes: the
//! state each request is served with (`state`) and the one way off the async workers
//! (`blocking`); the middleware (`middleware`, `rate_limit`, `request_log`, `request_metrics`);
//! the extractors that turn a request into domain input (`extract`); the per-client limit's and
//! the refresh cookie's rules; the 404/405 fallback's view of the routes (`route_table`); the
//! metrics; and the errors (`error`, and `error_map` from every domain error to its answer). It
//! knows the domain and nothing above it: the routes, the DTOs and the application do.

pub mod blocking;
pub mod client_limit;
pub mod error;
mod error_map;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod rate_limit;
pub mod refresh_cookie;
pub mod request_log;
pub mod request_metrics;
pub mod route_table;
pub mod state;
