//! The composition root: the one module that turns settings into adapters (the infra crates
//! are named here and nowhere else in this crate), wires them to the use cases and hands the
//! result to [`serve`](crate::app::serve). Routes, extractors and DTOs know the domain and
//! [`AppState`], nothing else.

mod counters;
mod keys;

pub use counters::attempt_counter;
pub use keys::{DEV_ENCRYPTION_KEY_FILE, DEV_SECRET_FILE, encryption_keys, jwt_codec};

use crate::app::config::{EmailChange, PasswordHash, Settings};
use crate::app::document::document;
use crate::app::serve::Application;
use crate::edge::blocking::{HashGate, Offload, StorageThreads};
use crate::edge::metrics::Metrics;
use crate::edge::refresh_cookie::RefreshCookie;
use crate::edge::state::AppState;
use actix_web::web;
use domain::system::{RandomIds, SystemClock};
use domain::{AttemptCounter, AttemptPolicy, EmailChangeMode, EmailPolicy, Gatehouse, Ports, SessionPolicy};
use infra_crypto::{
    HashAlgorithm, Hasher, HasherConfig, JwtCodec, KeyedRecoveryCodes, RandomLinkTokens, RandomMfaTokens, RandomPats, RandomRefreshTokens,
    SealedSecrets, Totp, Zxcvbn,
};
use infra_diesel::{Backend, Database, PoolOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A start-up failure, said in words an operator can act on (never with a secret).
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The configuration cannot be used.
    #[error(transparent)]
    Settings(#[from] crate::app::config::SettingsError),
    /// The database cannot be reached or its URL is wrong.
    #[error("cannot connect to the database: {0}")]
    Database(#[from] infra_diesel::ConnectError),
    /// The configured Redis cannot be used.
    #[cfg(feature = "redis")]
    #[error(transparent)]
    Redis(#[from] infra_redis::RedisError),
    /// `rate_limit.store` names Redis, and this build has no Redis support.
    #[cfg(not(feature = "redis"))]
    #[error("rate_limit.store names Redis, but this server was built without the `redis` feature")]
    RedisNotBuilt,
    /// Migrations failed.
    #[error("cannot apply migrations: {0}")]
    Migrations(#[from] infra_diesel::MigrationError),
    /// `email.*` is unusable.
    #[error(transparent)]
    Mail(#[from] infra_mail::MailSettingsError),
    /// `[oidc]` is unusable.
    #[error("{0}")]
    Oidc(String),
    /// `webauthn.*` or `server.public_url` cannot make a relying party.
    #[error(transparent)]
    Webauthn(#[from] infra_crypto::WebauthnSettingsError),
    /// Keys or hashing parameters are unusable.
    #[error("invalid crypto configuration: {0}")]
    Crypto(#[from] infra_crypto::CryptoConfigError),
    /// A key or secret file cannot be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The listening socket cannot be opened.
    #[error(transparent)]
    Bind(#[from] crate::app::serve::BindError),
    /// The OpenAPI document cannot be serialised (a bug).
    #[error("cannot serialise the OpenAPI document: {0}")]
    Document(String),
    /// Blocking start-up work was cancelled.
    #[error("start-up interrupted")]
    Interrupted,
}

/// Builds everything from `settings` and binds the listener.
///
/// # Errors
/// A [`StartupError`] that says what to fix.
pub async fn application(settings: Settings) -> Result<Application, StartupError> {
    let database = connect(&settings).await?;
    tracing::info!(database = %database.redacted_url(), "database ready");
    let attempts = {
        let (settings, database) = (settings.clone(), database.clone());
        web::block(move || attempt_counter(&settings, &database)).await.map_err(|_| StartupError::Interrupted)??
    };
    let (app, codec) = gatehouse_with(&settings, &database, attempts.clone())?;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let hash_permits = settings.auth.max_concurrent_hashes.unwrap_or(cores);
    let refresh_cookie = refresh_cookie(&settings);
    let (openapi_json, routes) = document(app.auth.max_password_bytes(), &refresh_cookie).map_err(StartupError::Document)?;
    let hash_gate = HashGate::new(hash_permits, hash_permits * 64, Duration::from_secs(10));
    let metrics = settings.metrics.port.map(|_| metrics(&database, &hash_gate));
    let state = AppState {
        app: Arc::new(app),
        offload: Offload::new(StorageThreads::new(storage_threads(&database, settings.database.pool_size as usize, cores)), hash_gate),
        attempts,
        clients: crate::edge::client_limit::ClientIp::new(&settings.server.trusted_proxies),
        client_limit: client_limit(&settings.rate_limit),
        body_limit: settings.server.body_limit_bytes,
        jwks: Arc::new(codec.jwks()),
        openapi_json: Arc::new(openapi_json),
        routes: Arc::new(routes),
        metrics,
        refresh_cookie,
        token_names: Arc::new(crate::edge::state::TokenNames {
            issuer: settings.auth.issuer.clone(),
            audience: settings.auth.audience.clone(),
        }),
    };
    Ok(crate::app::serve::bind(state, &settings.server, &settings.cors.allowed_origins, settings.metrics.port, cores)?)
}

/// The metrics of one server, sampling the pool and the password-check gate at each scrape.
fn metrics(database: &Database, hash_gate: &HashGate) -> Metrics {
    let (database, hash_gate) = (database.clone(), hash_gate.clone());
    let wide = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    Metrics::new(
        Arc::new(move || {
            let (in_use, idle) = database.connections();
            (i64::from(in_use), i64::from(idle))
        }),
        Arc::new(move || {
            let (running, queued) = hash_gate.load();
            (wide(running), wide(queued))
        }),
    )
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

/// Applies the migrations the database lacks; the number applied.
///
/// # Errors
/// [`StartupError::Database`] or [`StartupError::Migrations`].
pub async fn migrate(settings: &Settings) -> Result<usize, StartupError> {
    let mut settings = settings.clone();
    settings.database.run_migrations = false;
    let database = connect(&settings).await?;
    Ok(web::block(move || database.run_migrations()).await.map_err(|_| StartupError::Interrupted)??)
}

/// The use cases of the settings, connected to their database (for the command line).
///
/// # Errors
/// A [`StartupError`] for an unusable database, keys, hashing parameters or counter store.
pub async fn use_cases(settings: &Settings) -> Result<Gatehouse, StartupError> {
    let database = connect(settings).await?;
    let settings = settings.clone();
    web::block(move || gatehouse(&settings, &database).map(|(app, _)| app)).await.map_err(|_| StartupError::Interrupted)?
}

/// The use cases wired to the production adapters, with the counters of the settings.
/// Blocking (a configured Redis is connected to): call it off the async workers.
///
/// # Errors
/// A [`StartupError`] for unusable keys, hashing parameters or counter store.
pub fn gatehouse(settings: &Settings, database: &Database) -> Result<(Gatehouse, JwtCodec), StartupError> {
    gatehouse_with(settings, database, attempt_counter(settings, database)?)
}

/// The use cases wired to the production adapters and to `attempts`.
///
/// # Errors
/// A [`StartupError`] for unusable keys or hashing parameters.
pub fn gatehouse_with(
    settings: &Settings,
    database: &Database,
    attempts: Arc<dyn AttemptCounter>,
) -> Result<(Gatehouse, JwtCodec), StartupError> {
    let store = Arc::new(database.store());
    let codec = jwt_codec(settings)?;
    let keys = encryption_keys(settings)?;
    let email = EmailPolicy {
        verify_ttl: chrono::Duration::seconds(settings.auth.verify_ttl_secs),
        reset_ttl: chrono::Duration::seconds(settings.auth.reset_ttl_secs),
        invite_ttl: chrono::Duration::seconds(settings.auth.invite_ttl_secs),
        email_change_ttl: chrono::Duration::seconds(settings.auth.verify_ttl_secs),
        min_interval: chrono::Duration::seconds(i64::try_from(settings.email.min_interval_secs).unwrap_or(86_400)),
        require_verified_email: settings.auth.require_verified_email,
        email_change: match settings.auth.email_change {
            EmailChange::Confirm => EmailChangeMode::Confirm,
            EmailChange::Immediate => EmailChangeMode::Immediate,
        },
        conceal_registration: settings.auth.conceal_registration,
    };
    if settings.is_production() && settings.email.transport.trim() == "log" {
        // Allowed (an operator may not need mail yet), but every link would sit in the log.
        tracing::warn!(
            "email.transport is log in production: verification and reset links are written to the log and nobody receives them"
        );
    }
    let ports = Ports {
        users: store.clone(),
        sessions: store.clone(),
        projects: store.clone(),
        tasks: store.clone(),
        leases: store.clone(),
        probe: store.clone(),
        audit: store.clone(),
        outbox: store.clone(),
        links: store.clone(),
        mailer: infra_mail::transport(&settings.email.transport, &settings.email.from)?,
        link_tokens: Arc::new(RandomLinkTokens),
        messages: infra_mail::composer(
            settings.email.templates_dir.as_deref(),
            domain::messages::StandardMessages::new(&settings.server.public_url(), &email),
        )?,
        hasher: Arc::new(hasher(settings)?),
        access_tokens: Arc::new(codec.clone()),
        refresh_tokens: Arc::new(RandomRefreshTokens),
        clock: Arc::new(SystemClock),
        attempts,
        ids: Arc::new(RandomIds),
        second_factors: store.clone(),
        pats: store.clone(),
        pat_issuer: Arc::new(RandomPats),
        sealer: Arc::new(SealedSecrets::new(keys.clone())),
        otp: Arc::new(Totp::new(&settings.auth.totp_issuer)),
        recovery_codes: Arc::new(KeyedRecoveryCodes::new(keys)),
        mfa_tokens: Arc::new(RandomMfaTokens),
        passwords: Arc::new(Zxcvbn),
        providers: Arc::new(identity_providers(settings)?),
        identities: store.clone(),
        flow_secrets: Arc::new(infra_crypto::RandomFlowSecrets),
        passkeys: store.clone(),
        ceremonies: Arc::new(infra_crypto::WebauthnCeremonies::new(
            &settings.auth.totp_issuer,
            &settings.server.public_url(),
            &settings.webauthn.extra_origins,
        )?),
    };
    let policy = SessionPolicy {
        access_ttl: chrono::Duration::seconds(settings.auth.access_ttl_secs),
        session_ttl: chrono::Duration::seconds(settings.auth.refresh_ttl_secs),
        // Independent of `rate_limit.enabled`: only a limit of 0 turns the lockout off.
        lockout: AttemptPolicy {
            limit: settings.rate_limit.failed_logins_per_account,
            window: chrono::Duration::seconds(i64::try_from(settings.rate_limit.failed_logins_window_secs).unwrap_or(86_400)),
        },
        audit_retention: chrono::Duration::days(i64::from(settings.audit.retention_days)),
        refresh_grace: chrono::Duration::seconds(i64::from(settings.auth.refresh_reuse_grace_secs)),
        mail_retry: domain::RetryPolicy {
            max_attempts: settings.email.max_attempts,
            first_delay: chrono::Duration::seconds(i64::from(settings.email.retry_after_secs)),
            max_delay: chrono::Duration::hours(1),
        },
        email,
        fresh_window: chrono::Duration::seconds(settings.auth.fresh_window_secs),
        require_mfa_for_admins: settings.auth.require_mfa_for_admins,
        password_min_score: settings.auth.password_min_score,
        pat: domain::PatPolicy { max_days: settings.auth.pat_max_days },
        ..SessionPolicy::default()
    };
    Ok((Gatehouse::new(ports, policy), codec))
}

/// The OpenID Connect providers of `[oidc]`; nothing is fetched until one is used.
///
/// # Errors
/// A [`StartupError`] for an issuer that is not a URL.
fn identity_providers(settings: &Settings) -> Result<infra_oidc::OidcProviders, StartupError> {
    use secrecy::ExposeSecret;
    let providers = settings
        .oidc
        .providers
        .iter()
        .map(|p| {
            Ok(infra_oidc::ProviderSettings {
                id: domain::ProviderId::parse(&p.id).map_err(|e| StartupError::Oidc(format!("oidc.providers id {:?}: {e}", p.id)))?,
                name: p.name.clone(),
                issuer: p.issuer.clone(),
                client_id: p.client_id.clone(),
                client_secret: p.client_secret.as_ref().map(|s| s.expose_secret().to_owned()),
                scopes: p.scopes.clone(),
                allow_signup: p.allow_signup,
            })
        })
        .collect::<Result<Vec<_>, StartupError>>()?;
    infra_oidc::OidcProviders::new(infra_oidc::OidcSettings {
        providers,
        allowed_redirect_uris: settings.oidc.allowed_redirect_uris.clone(),
        public_url: settings.server.public_url(),
        cache_ttl: Duration::from_secs(settings.oidc.discovery_cache_secs),
        timeout: Duration::from_secs(10),
    })
    .map_err(|e| StartupError::Oidc(e.to_string()))
}

/// The password hasher of the settings.
///
/// # Errors
/// A [`StartupError`] for an unusable cost.
pub fn hasher(settings: &Settings) -> Result<Hasher, StartupError> {
    let algorithm = match settings.auth.password_hash {
        PasswordHash::Bcrypt => HashAlgorithm::Bcrypt,
        PasswordHash::Argon2id => HashAlgorithm::Argon2id,
    };
    Ok(Hasher::new(HasherConfig { algorithm, bcrypt_cost: settings.auth.bcrypt_cost })?)
}

/// Threads for storage use cases. A database on another machine keeps each thread waiting on
/// its socket, so there is one per pooled connection. One on this machine (SQLite in the
/// calling thread, or a local PostgreSQL or MySQL server's processes) works on the same cores,
/// where more threads than cores only take turns: measured on 2 cores, SQLite answers
/// `/users/me` 1.2× faster with 2 threads than with 4, and a local PostgreSQL at 16
/// connections has p99 0.7 ms with 2 threads against 5–8 ms with 8 (the pool size).
fn storage_threads(database: &Database, pool_size: usize, cores: usize) -> usize {
    let local = database.backend() == Backend::Sqlite || infra_diesel::is_local_server(database.redacted_url());
    if local { pool_size.min(cores) } else { pool_size }.max(1)
}

/// The refresh cookie's rules of `auth.refresh_transport`, `server.public_url` and
/// `cors.allowed_origins`.
pub fn refresh_cookie(settings: &Settings) -> RefreshCookie {
    RefreshCookie::new(settings.auth.refresh_transport, &settings.server.public_url(), &settings.cors.allowed_origins)
}

/// The per-client limit of `rate_limit.*`, or `None` when `rate_limit.enabled` is false.
fn client_limit(settings: &crate::app::config::RateLimitSettings) -> Option<crate::edge::client_limit::ClientLimit> {
    settings.enabled.then(|| crate::edge::client_limit::ClientLimit::new(settings.per_minute, settings.burst))
}
