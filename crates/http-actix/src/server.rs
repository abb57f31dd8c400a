//! Building and running the server: adapters from settings, the app, the listener, and the
//! periodic session purge.

use crate::blocking::{HashGate, StorageThreads};
use crate::config::Settings;
use crate::openapi::Finish;
use crate::rate_limit::limiter;
use crate::routes::{self, Limits, RouteTable};
use crate::state::AppState;
use crate::telemetry::request_span;
use crate::throttle::FailedLogins;
use crate::wiring::{StartupError, hasher, jwt_codec};
use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::middleware::{Condition, DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use domain::system::{RandomIds, SystemClock};
use domain::{Clock, Gatehouse, Ports, SessionPolicy};
use infra_crypto::RandomRefreshTokens;
use infra_diesel::{Backend, Database, PoolOptions};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

/// How often expired and revoked sessions are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// A server bound to its port, not yet running.
#[expect(missing_debug_implementations, reason = "actix's Server has no Debug")]
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// The port it listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    ///
    /// # Errors
    /// An I/O error of the server.
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The OpenAPI document: collected from the handlers, then finished.
pub fn openapi() -> OpenApi {
    let limits = unlimited();
    let (_, mut api) = App::new().into_utoipa_app().configure(routes::configure_documented(limits)).split_for_parts();
    Finish.modify(&mut api);
    api
}

/// The served OpenAPI JSON and the route table derived from the document. Built on a thread
/// of its own that ends with it: building the document allocates megabytes that are garbage a
/// moment later, and the allocator keeps freed pages with the thread that freed them, here the
/// main thread, asleep until shutdown (measured: idle RSS after start-up 21.7 → 21.0 MB).
fn document() -> Result<(String, RouteTable), StartupError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let api = openapi();
                let json = api.to_json().map_err(|e| StartupError::Settings(crate::config::SettingsError::Other(e.to_string())))?;
                Ok((json, RouteTable::from_openapi(&api)))
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Limits that never apply: route collection for the document needs the middleware type only.
fn unlimited() -> Limits {
    let off = crate::config::RateLimitSettings {
        enabled: false,
        per_minute: 1,
        burst: 1,
        failed_logins_per_account: 1,
        failed_logins_window_secs: 1,
    };
    let make = || limiter(&off, &[], None).unwrap_or_else(|| unreachable!("a positive quota always builds"));
    Limits { enabled: false, auth: make(), me: make() }
}

/// Connects (and migrates, when configured) without blocking the async workers.
///
/// # Errors
/// [`StartupError::Database`] or [`StartupError::Migrations`].
pub async fn connect(settings: &Settings) -> Result<Database, StartupError> {
    let url = settings.database.url.clone();
    let options = PoolOptions {
        max_size: settings.database.pool_size,
        connect_timeout: Duration::from_secs(settings.database.connect_timeout_secs.max(1)),
    };
    let migrate = settings.database.run_migrations;
    web::block(move || {
        let database = Database::connect(&url, options)?;
        if migrate {
            let applied = database.run_migrations()?;
            if applied > 0 {
                tracing::info!(applied, "migrations applied");
            }
        }
        Ok::<_, StartupError>(database)
    })
    .await
    .map_err(|_| StartupError::Interrupted)?
}

/// The use cases wired to the production adapters.
///
/// # Errors
/// A [`StartupError`] for unusable keys or hashing parameters.
pub fn gatehouse(settings: &Settings, database: &Database) -> Result<(Gatehouse, infra_crypto::JwtCodec), StartupError> {
    let store = Arc::new(database.store());
    let codec = jwt_codec(settings)?;
    let ports = Ports {
        users: store.clone(),
        sessions: store.clone(),
        projects: store.clone(),
        tasks: store,
        hasher: Arc::new(hasher(settings)?),
        access_tokens: Arc::new(codec.clone()),
        refresh_tokens: Arc::new(RandomRefreshTokens),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
    };
    let policy = SessionPolicy {
        access_ttl: chrono::Duration::seconds(settings.auth.access_ttl_secs),
        session_ttl: chrono::Duration::seconds(settings.auth.refresh_ttl_secs),
        ..SessionPolicy::default()
    };
    Ok((Gatehouse::new(ports, policy), codec))
}

/// Builds everything and binds the listener.
///
/// # Errors
/// A [`StartupError`] that says what to fix.
pub async fn build(settings: Settings) -> Result<Application, StartupError> {
    let database = connect(&settings).await?;
    tracing::info!(database = %database.redacted_url(), "database ready");
    let (app, codec) = gatehouse(&settings, &database)?;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let hash_permits = settings.auth.max_concurrent_hashes.unwrap_or(cores);
    let (openapi_json, routes) = document()?;
    let state = web::Data::new(AppState {
        app,
        database: database.clone(),
        storage: StorageThreads::new(storage_threads(&database, settings.database.pool_size as usize, cores)),
        hash_gate: HashGate::new(hash_permits, hash_permits * 64, Duration::from_secs(10)),
        failed_logins: Arc::new(FailedLogins::new(
            settings.rate_limit.enabled,
            settings.rate_limit.failed_logins_per_account,
            Duration::from_secs(settings.rate_limit.failed_logins_window_secs),
        )),
        body_limit: settings.server.body_limit_bytes,
        jwks: Arc::new(codec.jwks()),
        openapi_json: Arc::new(openapi_json),
        routes: Arc::new(routes),
    });
    let rl = &settings.rate_limit;
    let proxies = &settings.server.trusted_proxies;
    let build_limit = |methods| {
        limiter(rl, proxies, methods).ok_or_else(|| crate::config::SettingsError::Other("rate_limit values must be positive".into()))
    };
    let limits =
        Limits { enabled: rl.enabled, auth: build_limit(None)?, me: build_limit(Some(vec![Method::POST, Method::PATCH, Method::DELETE]))? };
    let origins = settings.cors.allowed_origins.clone();
    let workers = settings.server.workers.map_or(cores, |n| n.max(1));
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind { address: address.clone(), source })?;
    let port = listener.local_addr().map_err(|source| StartupError::Bind { address, source })?.port();
    let server_state = state.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(server_state.clone())
            .app_data(
                web::PathConfig::default()
                    .error_handler(|e, _| crate::error::ApiError::bad_request(format!("invalid path parameter: {e}")).into()),
            )
            .configure(routes::configure(limits.clone()))
            .service(web::resource("/docs").route(web::get().to(routes::system::docs_redirect)))
            .service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::from("/openapi.json").persist_authorization(true)))
            .default_service(web::to(routes::fallback))
            .wrap(from_fn(crate::edges::token_judged_first))
            .wrap(from_fn(crate::edges::head_as_get))
            .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
            .wrap(from_fn(crate::edges::problem_for_bare_errors))
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(from_fn(request_span))
    })
    // Storage and hashing have their own threads (crate::blocking); nothing of the server's
    // uses actix's blocking pool, whose default is 512 threads per process.
    .worker_max_blocking_threads(workers)
    .listen(listener)
    .map_err(|source| StartupError::Bind { address: format!("port {port}"), source })?
    .shutdown_timeout(10);
    server = server.workers(workers);
    spawn_purge(state);
    Ok(Application { port, server: server.run() })
}

fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(["authorization", "content-type", "x-request-id"])
        .expose_headers(["location", "x-request-id", "retry-after", "www-authenticate"])
        .max_age(600)
}

/// Threads for storage use cases. A network database keeps each thread waiting on its socket,
/// so there is one per pooled connection; SQLite works on the CPU in the calling thread, where
/// more threads than cores only take turns (measured: 2 threads on 2 cores answer `/users/me`
/// 1.2× faster than 4).
fn storage_threads(database: &Database, pool_size: usize, cores: usize) -> usize {
    match database.backend() {
        Backend::Sqlite => pool_size.min(cores),
        Backend::Postgres | Backend::Mysql => pool_size,
    }
    .max(1)
}

/// Deletes expired and revoked sessions every [`PURGE_EVERY`], off the async workers.
fn spawn_purge(state: web::Data<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            let database = state.database.clone();
            let purged = state
                .storage
                .run(move || {
                    use domain::SessionRepository;
                    database.store().purge(SystemClock.now())
                })
                .await;
            match purged {
                Ok(Ok(n)) if n > 0 => tracing::info!(purged = n, "expired and revoked sessions deleted"),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %crate::error::display_chain(&e), "session purge failed"),
                // A panicking purge must not end the loop; at shutdown the runtime drops this task.
                Err(e) => tracing::warn!(status = %e.status(), "session purge did not run"),
            }
        }
    });
}
