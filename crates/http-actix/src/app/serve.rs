//! Serving a built [`AppState`]: the middleware stack, CORS, the listener, and the periodic
//! purge. What is served is decided by the composition root (`compose`); this module only serves it.

use crate::app::config::ServerSettings;
use crate::edge::blocking::Lane;
use crate::edge::metrics::Metrics;
use crate::edge::state::AppState;
use crate::routes;
use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpServer, web};
use domain::PurgeRun;
use std::net::TcpListener;
use std::time::Duration;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

/// How often expired and revoked sessions are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// The listening socket cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {address}: {source}")]
pub struct BindError {
    /// host:port.
    address: String,
    /// What went wrong.
    source: std::io::Error,
}

/// A server bound to its port, not yet running.
#[expect(missing_debug_implementations, reason = "actix's Server has no Debug")]
pub struct Application {
    port: u16,
    server: Server,
    /// `GET /metrics` on its own port, when `metrics.port` is set.
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// The port it listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `GET /metrics` listens on, when metrics are on.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    ///
    /// # Errors
    /// An I/O error of either server.
    pub async fn run(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => futures_util::future::try_join(self.server, metrics).await.map(drop),
            None => self.server.await,
        }
    }
}

/// Binds the listener of `server` and builds the server around `state` (not yet running),
/// with `cores` workers unless configured; CORS for `origins` when there are any; `GET
/// /metrics` on `metrics_port` of the same host when it is set.
///
/// # Errors
/// A [`BindError`] when an address cannot be listened on.
pub fn bind(
    state: AppState,
    server: &ServerSettings,
    origins: &[String],
    metrics_port: Option<u16>,
    cores: usize,
) -> Result<Application, BindError> {
    let state = web::Data::new(state);
    let origins = origins.to_vec();
    // The refresh cookie crosses origins only to the allowed ones, and only with credentials.
    let credentials = state.refresh_cookie.in_cookie();
    let workers = server.workers.map_or(cores, |n| n.max(1));
    let address = format!("{}:{}", server.host, server.port);
    let listener = TcpListener::bind(&address).map_err(|source| BindError { address: address.clone(), source })?;
    let port = listener.local_addr().map_err(|source| BindError { address, source })?.port();
    let server_state = state.clone();
    let http = HttpServer::new(move || {
        App::new()
            .app_data(server_state.clone())
            .app_data(web::PathConfig::default().error_handler(|e, req| routes::path_refused(&e, req).into()))
            .configure(routes::configure)
            .service(web::resource("/docs").route(web::get().to(routes::system::docs_redirect)))
            .service(web::resource("/account/assets/{name}").route(web::get().to(routes::pages::asset)))
            .service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::from("/openapi.json").persist_authorization(true)))
            .default_service(web::to(routes::fallback))
            .wrap(Condition::new(!origins.is_empty(), cors(&origins, credentials)))
            .wrap(from_fn(crate::edge::middleware::edge))
    })
    // Storage and hashing have their own threads (crate::edge::blocking); nothing of the server's
    // uses actix's blocking pool, whose default is 512 threads per process.
    .worker_max_blocking_threads(workers)
    .listen(listener)
    .map_err(|source| BindError { address: format!("port {port}"), source })?
    .shutdown_timeout(10)
    .workers(workers);
    let metrics = match (metrics_port, state.metrics.clone()) {
        (Some(metrics_port), Some(metrics)) => Some(serve_metrics(&server.host, metrics_port, metrics)?),
        _ => None,
    };
    spawn_purge(state.clone());
    spawn_sender(state);
    Ok(Application { port, server: http.run(), metrics })
}

/// `GET /metrics` (Prometheus text, version 0.0.4) on its own listener and one worker: never
/// on the API port, so it needs no exemption from the API's middleware and can be firewalled
/// apart.
fn serve_metrics(host: &str, port: u16, metrics: Metrics) -> Result<(u16, Server), BindError> {
    let address = format!("{host}:{port}");
    let listener = TcpListener::bind(&address).map_err(|source| BindError { address: address.clone(), source })?;
    let port = listener.local_addr().map_err(|source| BindError { address: address.clone(), source })?.port();
    let metrics = web::Data::new(metrics);
    let server = HttpServer::new(move || {
        App::new().app_data(metrics.clone()).route(
            "/metrics",
            web::get().to(|metrics: web::Data<Metrics>| async move {
                actix_web::HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(metrics.render())
            }),
        )
    })
    .workers(1)
    .worker_max_blocking_threads(1)
    .listen(listener)
    .map_err(|source| BindError { address, source })?
    .shutdown_timeout(1)
    .run();
    Ok((port, server))
}

fn cors(origins: &[String], credentials: bool) -> Cors {
    let cors = origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(["authorization", "content-type", "x-request-id"])
        .expose_headers(["location", "x-request-id", "retry-after", "www-authenticate"])
        .max_age(600);
    if credentials { cors.supports_credentials() } else { cors }
}

/// How often the outbox sender looks for due messages.
const SEND_EVERY: Duration = Duration::from_secs(2);

/// How long the sender's lease lasts: long enough for a turn's SMTP conversations (each at most
/// 10 s) and renewed every turn, short enough that a dead holder is replaced soon.
const SENDER_LEASE_SECS: i64 = 120;

/// Every [`SEND_EVERY`], on whichever instance holds the sender's lease: delivers the due
/// messages of the outbox on a blocking thread (SMTP blocks), under a span of its own, and
/// updates the outbox series.
fn spawn_sender(state: web::Data<AppState>) {
    let holder = uuid::Uuid::new_v4().to_string();
    let lease = chrono::Duration::seconds(SENDER_LEASE_SECS);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SEND_EVERY);
        loop {
            tick.tick().await;
            let (app, holder, metrics) = (state.app.clone(), holder.clone(), state.metrics.clone());
            let span = tracing::info_span!("outbox");
            let turn = tokio::task::spawn_blocking(move || {
                let _entered = span.enter();
                let run = app.outbox.deliver_due(&holder, lease);
                if let (Ok(domain::SenderRun::Delivered { .. }), Some(metrics)) = (&run, metrics)
                    && let Ok(counts) = app.outbox.counts()
                {
                    metrics.outbox(counts);
                }
                run
            });
            match turn.await {
                Ok(Ok(domain::SenderRun::Delivered { sent, retried, failed })) if sent + retried + failed > 0 => {
                    tracing::info!(sent, retried, failed, "outbox turn");
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "outbox turn failed"),
                Err(e) => tracing::warn!(error = %e, "outbox turn panicked"),
            }
        }
    });
}

/// Every [`PURGE_EVERY`], on whichever instance holds the job's lease (for two periods, so a
/// holder that died is replaced within that time): deletes expired and revoked sessions and
/// ended counter windows, off the async workers.
fn spawn_purge(state: web::Data<AppState>) {
    let holder = uuid::Uuid::new_v4().to_string();
    let lease = chrono::Duration::from_std(PURGE_EVERY * 2).unwrap_or(chrono::Duration::seconds(1_200));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            let holder = holder.clone();
            match state.run(Lane::Storage, move |app| app.maintenance.purge(&holder, lease)).await {
                Ok(PurgeRun::Purged(n)) if n > 0 => tracing::info!(purged = n, "expired and revoked sessions deleted"),
                Ok(_) => {}
                // A failing or panicking purge must not end the loop; at shutdown the runtime
                // drops this task.
                Err(e) => tracing::warn!(status = %e.status(), error = %e, "session purge failed"),
            }
        }
    });
}
