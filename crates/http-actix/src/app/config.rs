//! Settings, layered with the `config` crate: the embedded defaults (`config/default.toml`),
//! `config/default.toml` and `config/{APP_ENV}.toml` on disk, a `.env` file, the common names
//! `DATABASE_URL` and `SECRET_KEY`, then `APP__SECTION__KEY` variables (most specific wins).

use crate::edge::refresh_cookie::RefreshTransport;
use config::{Config, Environment, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::PathBuf;

/// The defaults, compiled in so the binary runs with no files at all.
const DEFAULTS: &str = include_str!("../../../../config/default.toml");

/// Every setting.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Listening and request limits.
    pub server: ServerSettings,
    /// Cross-origin access.
    pub cors: CorsSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Tokens and passwords.
    pub auth: AuthSettings,
    /// Abuse protection.
    pub rate_limit: RateLimitSettings,
    /// Logging.
    pub log: LogSettings,
    /// Prometheus metrics.
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// The security-event log.
    pub audit: AuditSettings,
    /// Outgoing mail.
    #[serde(default)]
    pub email: EmailSettings,
    /// Sign-in through OpenID Connect providers.
    #[serde(default)]
    pub oidc: OidcSettings,
    /// Passkeys.
    #[serde(default)]
    pub webauthn: WebauthnSettings,
    /// `APP_ENV`: development, test or production.
    #[serde(skip)]
    pub environment: String,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Listen address.
    pub host: String,
    /// Listen port (0: any free port).
    pub port: u16,
    /// Worker threads (default: cores).
    pub workers: Option<usize>,
    /// Largest JSON or form body, in bytes.
    pub body_limit_bytes: usize,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where clients reach the server (`https://auth.example.com`): the base of emailed links,
    /// the server's own origin for the cookie mode's `Origin` check, and whether its cookie is
    /// `Secure`. Default: `http://{host}:{port}`.
    #[serde(default)]
    pub public_url: Option<String>,
}

impl ServerSettings {
    /// [`public_url`](Self::public_url), or the listen address as a URL, without a trailing `/`.
    pub fn public_url(&self) -> String {
        let url = self.public_url.clone().unwrap_or_else(|| format!("http://{}:{}", self.host, self.port));
        url.trim_end_matches('/').to_owned()
    }
}

/// `[cors]`.
#[derive(Debug, Clone, Deserialize)]
pub struct CorsSettings {
    /// Allowed origins; empty turns CORS off.
    pub allowed_origins: Vec<String>,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://PATH`, `sqlite::memory:`, `postgres://…` or `mysql://…`.
    pub url: String,
    /// Connection pool size.
    pub pool_size: u32,
    /// After this long an unreachable database answers 503.
    pub connect_timeout_secs: u64,
    /// Apply embedded migrations at start-up.
    pub run_migrations: bool,
}

/// A signing algorithm.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA256 with `auth.secret`.
    #[serde(rename = "HS256")]
    Hs256,
    /// Ed25519 with PEM key files.
    #[serde(rename = "EdDSA")]
    EdDsa,
    /// ECDSA P-256 with PEM key files.
    #[serde(rename = "ES256")]
    Es256,
}

/// A retired key that still verifies tokens during a rotation.
#[derive(Debug, Clone, Deserialize)]
pub struct PreviousKey {
    /// Its `kid`.
    pub kid: String,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// HS256 secret.
    pub secret: Option<SecretString>,
    /// EdDSA / ES256 public key file (PEM).
    pub public_key_file: Option<PathBuf>,
}

/// A password hashing algorithm.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PasswordHash {
    /// bcrypt (the default).
    Bcrypt,
    /// argon2id.
    Argon2id,
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 key.
    pub secret: Option<SecretString>,
    /// Signing algorithm of the current key.
    pub algorithm: Algorithm,
    /// `kid` of the current key (default: derived from the key).
    pub kid: Option<String>,
    /// EdDSA / ES256 private key (PEM).
    pub private_key_file: Option<PathBuf>,
    /// EdDSA / ES256 public key (PEM).
    pub public_key_file: Option<PathBuf>,
    /// Retired keys still accepted.
    pub previous_keys: Vec<PreviousKey>,
    /// Access-token lifetime.
    pub access_ttl_secs: i64,
    /// Session (refresh-token) lifetime.
    pub refresh_ttl_secs: i64,
    /// `iss`.
    pub issuer: String,
    /// `aud`.
    pub audience: String,
    /// Hash new passwords with.
    pub password_hash: PasswordHash,
    /// bcrypt cost.
    pub bcrypt_cost: u32,
    /// Password checks at once (default: cores).
    pub max_concurrent_hashes: Option<usize>,
    /// Where token responses put the refresh token, and where refresh and logout read it.
    pub refresh_transport: RefreshTransport,
    /// Seconds during which the token that was current may be presented again (0 to 300).
    pub refresh_reuse_grace_secs: u32,
    /// Lifetime of a verification link (60 s to 30 days).
    pub verify_ttl_secs: i64,
    /// Lifetime of a reset link (60 s to 1 day).
    pub reset_ttl_secs: i64,
    /// Lifetime of an invite's set-password link (60 s to 30 days).
    pub invite_ttl_secs: i64,
    /// Whether an unverified account may log in.
    pub require_verified_email: bool,
    /// How an email change is made.
    pub email_change: EmailChange,
    /// Whether registration hides which addresses have accounts.
    pub conceal_registration: bool,
    /// How long after its sign-in a session needs no `current_password` (1 s to a day).
    pub fresh_window_secs: i64,
    /// The issuer authenticator apps show above the code.
    pub totp_issuer: String,
    /// 32 bytes, base64: seals TOTP secrets and keys recovery codes.
    pub encryption_key: Option<SecretString>,
    /// Earlier encryption keys, still opening what they sealed.
    pub previous_encryption_keys: Vec<SecretString>,
    /// Whether admin-only endpoints need a two-factor session.
    pub require_mfa_for_admins: bool,
    /// The zxcvbn score a new password needs (0 to 4; 0: none).
    pub password_min_score: u8,
    /// The longest lifetime a personal access token may ask for, in days (1 to 3,650).
    pub pat_max_days: u32,
}

/// `auth.email_change`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailChange {
    /// The new address confirms through an emailed link (the default).
    Confirm,
    /// The address changes at once, with no mail (v1).
    Immediate,
}

/// `[audit]`.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditSettings {
    /// Days security events are kept (1 to 3,650).
    pub retention_days: u32,
}

/// `[email]`.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    /// `log` (development: messages go to the log) or an `smtp://` / `smtps://` URL.
    pub transport: String,
    /// The sender, `Name <address>`.
    pub from: String,
    /// At most one message per address per this many seconds (resends, reset requests).
    pub min_interval_secs: u64,
    /// Delivery attempts before a message is given up as failed (1 to 20).
    pub max_attempts: u32,
    /// The wait after the first failed attempt, doubled after each further one (at most an
    /// hour), in seconds.
    pub retry_after_secs: u32,
    /// A folder of template files (`reset.subject.txt`, `reset.txt`, `reset.html`, …) that
    /// replace parts of the standard messages; none: the standard messages.
    pub templates_dir: Option<String>,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            transport: "log".into(),
            from: "Gatehouse <no-reply@localhost>".into(),
            min_interval_secs: 60,
            max_attempts: 8,
            retry_after_secs: 30,
            templates_dir: None,
        }
    }
}

/// `[webauthn]`: passkeys. The relying party is the host of `server.public_url`, and its origin
/// is always accepted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WebauthnSettings {
    /// Further origins whose pages may answer a ceremony (`https://app.example.com`), each under
    /// the relying party's domain.
    pub extra_origins: Vec<String>,
}

/// `[oidc]`: providers people may sign in with.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OidcSettings {
    /// `[[oidc.providers]]`.
    pub providers: Vec<OidcProviderSettings>,
    /// Where an app may be sent back, exact strings (`{server.public_url}/account/` always is).
    pub allowed_redirect_uris: Vec<String>,
    /// Seconds a provider's discovery document and keys are used before they are read again.
    pub discovery_cache_secs: u64,
}

impl Default for OidcSettings {
    fn default() -> Self {
        Self { providers: Vec::new(), allowed_redirect_uris: Vec::new(), discovery_cache_secs: 3_600 }
    }
}

/// One `[[oidc.providers]]` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct OidcProviderSettings {
    /// `[a-z0-9-]{1,32}`, in paths.
    pub id: String,
    /// Shown on buttons.
    pub name: String,
    /// The issuer; discovery at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// Gatehouse's client id at the provider.
    pub client_id: String,
    /// Its secret (none: a public client, PKCE alone).
    pub client_secret: Option<SecretString>,
    /// Requested scopes.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Whether a new person may create an account this way.
    #[serde(default)]
    pub allow_signup: bool,
}

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(str::to_owned).to_vec()
}

impl OidcSettings {
    /// Checks ids, names and issuers: only `https` issuers (plain http only for localhost and
    /// 127.0.0.1), in every environment, so what runs in development runs in production.
    fn check(&self) -> Result<(), SettingsError> {
        let mut seen = std::collections::HashSet::new();
        for (n, p) in self.providers.iter().enumerate() {
            let key = format!("oidc.providers[{n}]");
            domain::ProviderId::parse(&p.id).map_err(|e| invalid(format!("{key}.id {e}")))?;
            if !seen.insert(p.id.as_str()) {
                return Err(invalid(format!("{key}.id {:?} is configured twice", p.id)));
            }
            if p.name.trim().is_empty() || p.client_id.is_empty() {
                return Err(invalid(format!("{key}: name and client_id must not be empty")));
            }
            let local = ["http://localhost", "http://127.0.0.1"]
                .iter()
                .any(|l| p.issuer.strip_prefix(l).is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/'])));
            if !(p.issuer.starts_with("https://") || local) {
                return Err(invalid(format!("{key}.issuer must be an https:// URL (plain http only for localhost and 127.0.0.1)")));
            }
            if p.issuer.len() > 255 || p.issuer.contains(['?', '#', ' ']) {
                return Err(invalid(format!("{key}.issuer must be a URL of at most 255 characters without query or fragment")));
            }
        }
        for uri in &self.allowed_redirect_uris {
            if !(uri.starts_with("http://") || uri.starts_with("https://")) || uri.contains(['#', ' ']) {
                return Err(invalid(format!("oidc.allowed_redirect_uris: {uri:?} is not an http(s) URL without a fragment")));
            }
        }
        Ok(())
    }
}

/// `[metrics]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MetricsSettings {
    /// The port of `GET /metrics` on `server.host`; none: no metrics are recorded or served.
    pub port: Option<u16>,
}

/// `[rate_limit]`.
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    /// Whether any limit applies.
    pub enabled: bool,
    /// Sustained requests per minute per client IP on password and token endpoints.
    pub per_minute: u32,
    /// Requests allowed in a burst.
    pub burst: u32,
    /// Failed logins per account within the window before it is locked.
    pub failed_logins_per_account: u32,
    /// The failed-login window.
    pub failed_logins_window_secs: u64,
    /// Where the counters live: `database`, `memory` or `redis://…` (default: `memory` on
    /// SQLite, `database` on PostgreSQL and MySQL).
    #[serde(default)]
    pub store: Option<String>,
}

/// Where the lockout's and the rate limit's counters live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterStore {
    /// In the database: shared by every instance on it.
    Database,
    /// In this process's memory: per instance.
    Memory,
    /// In Redis at this URL: shared by every instance that uses it.
    Redis(String),
}

impl RateLimitSettings {
    /// The configured store, or `None` for the backend's default.
    ///
    /// # Errors
    /// [`SettingsError`] naming `rate_limit.store` for any other value.
    pub fn counter_store(&self) -> Result<Option<CounterStore>, SettingsError> {
        match self.store.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some("database") => Ok(Some(CounterStore::Database)),
            Some("memory") => Ok(Some(CounterStore::Memory)),
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => Ok(Some(CounterStore::Redis(url.to_owned()))),
            Some(_) => Err(invalid("rate_limit.store must be database, memory or a redis:// URL".into())),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// pretty or json.
    pub format: LogFormat,
    /// A tracing filter (`info`, `gatehouse=debug`, ...); `RUST_LOG` wins.
    pub level: String,
}

/// A configuration that cannot be used, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A layer does not parse or a value has the wrong type.
    #[error("invalid configuration: {0}")]
    Invalid(#[from] config::ConfigError),
    /// Production without a strong secret.
    #[error(
        "APP_ENV=production needs auth.secret (or SECRET_KEY) of at least 32 bytes for HS256; \
         generate one with `openssl rand -base64 48`"
    )]
    WeakSecret,
    /// Something else that cannot work.
    #[error("invalid configuration: {0}")]
    Other(String),
}

impl Settings {
    /// Loads every layer for the current `APP_ENV` (reading `.env` first).
    ///
    /// # Errors
    /// [`SettingsError`] for a layer that does not parse or an unusable value.
    pub fn load() -> Result<Self, SettingsError> {
        // A missing .env is normal.
        let _ = dotenvy::dotenv();
        let environment = normalise_environment(&std::env::var("APP_ENV").unwrap_or_else(|_| "development".to_owned()))?;
        let dir = std::env::var("APP_CONFIG_DIR").unwrap_or_else(|_| "config".to_owned());
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::with_name(&format!("{dir}/default")).required(false))
            .add_source(File::with_name(&format!("{dir}/{environment}")).required(false));
        for (common, key) in [("DATABASE_URL", "database.url"), ("SECRET_KEY", "auth.secret")] {
            if let Ok(value) = std::env::var(common) {
                builder = builder.add_source(Config::builder().set_override(key, value)?.build()?);
            }
        }
        let builder = builder.add_source(
            Environment::with_prefix("APP")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("server.trusted_proxies")
                .with_list_parse_key("cors.allowed_origins")
                .try_parsing(true),
        );
        Self::finish(builder.build()?, environment)
    }

    /// The embedded defaults with `overrides` on top, reading no file or variable: for tests
    /// and tools that must not depend on the environment.
    ///
    /// # Errors
    /// [`SettingsError`] for an override of the wrong type.
    pub fn defaults_with(environment: &str, overrides: &[(&str, &str)]) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        for (key, value) in overrides {
            builder = builder.set_override(*key, *value)?;
        }
        Self::finish(builder.build()?, normalise_environment(environment)?)
    }

    fn finish(config: Config, environment: String) -> Result<Self, SettingsError> {
        let mut settings: Settings = config.try_deserialize()?;
        settings.environment = environment;
        settings.check()?;
        Ok(settings)
    }

    /// Whether this is a production deployment.
    pub fn is_production(&self) -> bool {
        self.environment == "production"
    }

    /// Every value is checked here, once, so a bad one stops the start with a message naming
    /// its key instead of failing (or panicking) on the first request that uses it.
    fn check(&self) -> Result<(), SettingsError> {
        use secrecy::ExposeSecret;
        let strong = |secret: &Option<SecretString>| secret.as_ref().is_some_and(|s| s.expose_secret().len() >= MIN_HS256_SECRET_BYTES);
        if self.is_production() {
            if self.auth.algorithm == Algorithm::Hs256 && !strong(&self.auth.secret) {
                return Err(SettingsError::WeakSecret);
            }
            // A retired key still verifies tokens: a weak one lets anyone forge them.
            if let Some(n) = self.auth.previous_keys.iter().position(|k| k.algorithm == Algorithm::Hs256 && !strong(&k.secret)) {
                return Err(invalid(format!(
                    "auth.previous_keys[{n}].secret: APP_ENV=production needs every HS256 secret to have at least {MIN_HS256_SECRET_BYTES} bytes"
                )));
            }
        }
        if self.is_production() && self.auth.encryption_key.is_none() {
            return Err(invalid(
                "auth.encryption_key is required when APP_ENV=production (32 random bytes, base64: `head -c 32 /dev/urandom | base64`)"
                    .into(),
            ));
        }
        for (name, key) in std::iter::once(("auth.encryption_key".to_owned(), self.auth.encryption_key.as_ref())).chain(
            self.auth.previous_encryption_keys.iter().enumerate().map(|(i, k)| (format!("auth.previous_encryption_keys[{i}]"), Some(k))),
        ) {
            if let Some(key) = key {
                decode_key(key).map_err(|reason| invalid(format!("{name}: {reason}")))?;
            }
        }
        in_range("auth.fresh_window_secs", self.auth.fresh_window_secs, 1..=86_400)?;
        in_range("auth.password_min_score", i64::from(self.auth.password_min_score), 0..=4)?;
        in_range("auth.pat_max_days", i64::from(self.auth.pat_max_days), 1..=3_650)?;
        if self.auth.totp_issuer.trim().is_empty() || self.auth.totp_issuer.contains(':') {
            return Err(invalid("auth.totp_issuer must be a name without `:`".into()));
        }
        in_range("auth.access_ttl_secs", self.auth.access_ttl_secs, ACCESS_TTL_SECS)?;
        in_range("auth.refresh_ttl_secs", self.auth.refresh_ttl_secs, REFRESH_TTL_SECS)?;
        in_range("auth.bcrypt_cost", i64::from(self.auth.bcrypt_cost), 4..=31)?;
        in_range("audit.retention_days", i64::from(self.audit.retention_days), 1..=3_650)?;
        in_range("auth.refresh_reuse_grace_secs", i64::from(self.auth.refresh_reuse_grace_secs), 0..=300)?;
        in_range("auth.verify_ttl_secs", self.auth.verify_ttl_secs, 60..=2_592_000)?;
        in_range("auth.reset_ttl_secs", self.auth.reset_ttl_secs, 60..=86_400)?;
        in_range("auth.invite_ttl_secs", self.auth.invite_ttl_secs, 60..=2_592_000)?;
        in_range("email.min_interval_secs", i64::try_from(self.email.min_interval_secs).unwrap_or(i64::MAX), 0..=86_400)?;
        let public_url = self.server.public_url();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) || public_url.contains(['?', '#', ' ']) {
            return Err(invalid(format!("server.public_url must be an http:// or https:// URL, not {public_url:?}")));
        }
        if self.server.body_limit_bytes == 0 {
            return Err(invalid("server.body_limit_bytes must be positive".into()));
        }
        if self.database.pool_size == 0 {
            return Err(invalid("database.pool_size must be positive".into()));
        }
        self.rate_limit.counter_store()?;
        // `email.transport` and `email.from` are parsed where the transport is built, at start-up
        // (`mail::transport`), with a message that names the key.
        in_range("email.max_attempts", i64::from(self.email.max_attempts), 1..=20)?;
        in_range("email.retry_after_secs", i64::from(self.email.retry_after_secs), 0..=3_600)?;
        if self.rate_limit.per_minute == 0 || self.rate_limit.burst == 0 {
            return Err(invalid("rate_limit.per_minute and rate_limit.burst must be positive".into()));
        }
        in_range(
            "rate_limit.failed_logins_window_secs",
            i64::try_from(self.rate_limit.failed_logins_window_secs).unwrap_or(i64::MAX),
            1..=86_400,
        )?;
        self.oidc.check()?;
        if self.auth.max_concurrent_hashes == Some(0) {
            return Err(invalid("auth.max_concurrent_hashes must be positive".into()));
        }
        Ok(())
    }
}

/// The bytes of an encryption key given as base64 (standard or URL-safe, padded or not): exactly
/// 32 of them.
///
/// # Errors
/// Why it is no key, never the key itself.
pub fn decode_key(key: &SecretString) -> Result<Vec<u8>, String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use secrecy::ExposeSecret;
    let text = key.expose_secret().trim();
    let bytes =
        STANDARD.decode(text).or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('='))).map_err(|_| "is not base64".to_owned())?;
    if bytes.len() == 32 { Ok(bytes) } else { Err(format!("must be 32 bytes, not {}", bytes.len())) }
}

/// The shortest HS256 secret production accepts, in bytes (RFC 7518 §3.2: at least the hash size).
const MIN_HS256_SECRET_BYTES: usize = 32;
/// Access tokens live from one second to one day.
const ACCESS_TTL_SECS: std::ops::RangeInclusive<i64> = 1..=86_400;
/// Sessions live from one minute to one year.
const REFRESH_TTL_SECS: std::ops::RangeInclusive<i64> = 60..=31_536_000;

fn invalid(message: String) -> SettingsError {
    SettingsError::Other(message)
}

fn in_range(key: &str, value: i64, range: std::ops::RangeInclusive<i64>) -> Result<(), SettingsError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!("{key} must lie between {} and {}, not {value}", range.start(), range.end())))
    }
}

/// `APP_ENV` in any case, as the lower-case name its configuration file has; anything else is
/// refused rather than taken for development (a typo must not start production with
/// development settings).
fn normalise_environment(raw: &str) -> Result<String, SettingsError> {
    let lower = raw.trim().to_ascii_lowercase();
    match lower.as_str() {
        "development" | "test" | "production" => Ok(lower),
        _ => Err(invalid(format!("APP_ENV must be development, test or production (any case), not {raw:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_are_the_contracts() {
        let s = Settings::defaults_with("development", &[]).unwrap();
        assert_eq!((s.server.host.as_str(), s.server.port, s.server.body_limit_bytes), ("127.0.0.1", 8080, 65536));
        assert_eq!(s.database.url, "sqlite://data/gatehouse.db");
        assert_eq!((s.database.pool_size, s.database.connect_timeout_secs, s.database.run_migrations), (8, 2, true));
        assert_eq!((s.auth.algorithm, s.auth.access_ttl_secs, s.auth.refresh_ttl_secs), (Algorithm::Hs256, 900, 1_209_600));
        assert_eq!((s.auth.issuer.as_str(), s.auth.audience.as_str(), s.auth.bcrypt_cost), ("gatehouse", "gatehouse", 12));
        assert_eq!(s.auth.password_hash, PasswordHash::Bcrypt);
        assert_eq!((s.rate_limit.enabled, s.rate_limit.per_minute, s.rate_limit.burst), (true, 10, 5));
        assert_eq!(s.log.format, LogFormat::Pretty);
        assert!(s.cors.allowed_origins.is_empty() && s.server.trusted_proxies.is_empty());
    }

    /// A strong signing secret and a 32-byte encryption key: what production needs to start.
    const STRONG_SECRET: &str = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    const ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn production(overrides: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut all = vec![("auth.encryption_key", ENCRYPTION_KEY)];
        all.extend_from_slice(overrides);
        Settings::defaults_with("production", &all)
    }

    #[test]
    fn app_env_is_one_of_three_in_any_case() {
        for spelling in ["Production", "PRODUCTION", "production"] {
            let with = |secret| Settings::defaults_with(spelling, &[("auth.secret", secret), ("auth.encryption_key", ENCRYPTION_KEY)]);
            assert!(matches!(with("short"), Err(SettingsError::WeakSecret)), "{spelling}");
            assert_eq!(with(STRONG_SECRET).unwrap().environment, "production");
        }
        for bad in ["prod", "staging", ""] {
            let message = Settings::defaults_with(bad, &[]).unwrap_err().to_string();
            assert!(message.contains("APP_ENV"), "{bad}: {message}");
        }
    }

    #[test]
    fn production_refuses_a_weak_retired_hs256_key() {
        let weak_previous = |settings: &mut Settings| {
            settings.auth.previous_keys =
                vec![PreviousKey { kid: "old".into(), algorithm: Algorithm::Hs256, secret: Some("k".into()), public_key_file: None }];
            settings.check()
        };
        let mut production = production(&[("auth.secret", STRONG_SECRET)]).unwrap();
        let message = weak_previous(&mut production).unwrap_err().to_string();
        assert!(message.contains("auth.previous_keys[0].secret"), "{message}");
        let mut development = Settings::defaults_with("development", &[]).unwrap();
        assert!(weak_previous(&mut development).is_ok(), "development accepts any key");
    }

    #[test]
    fn lifetimes_outside_sane_ranges_are_refused_naming_the_key() {
        for (key, value) in [
            ("auth.access_ttl_secs", "0"),
            ("auth.access_ttl_secs", "86401"),
            ("auth.access_ttl_secs", "9223372036854775807"),
            ("auth.refresh_ttl_secs", "59"),
            ("auth.refresh_ttl_secs", "31536001"),
            ("auth.refresh_ttl_secs", "-5"),
        ] {
            let message = Settings::defaults_with("test", &[(key, value)]).unwrap_err().to_string();
            assert!(message.contains(key), "{key}={value}: {message}");
        }
        assert!(Settings::defaults_with("test", &[("auth.access_ttl_secs", "86400"), ("auth.refresh_ttl_secs", "60")]).is_ok());
    }

    #[test]
    fn production_refuses_a_missing_or_short_secret() {
        assert!(matches!(production(&[]), Err(SettingsError::WeakSecret)));
        assert!(matches!(production(&[("auth.secret", "short")]), Err(SettingsError::WeakSecret)));
        assert!(production(&[("auth.secret", STRONG_SECRET)]).is_ok());
    }

    #[test]
    fn production_refuses_a_missing_or_malformed_encryption_key() {
        let missing = Settings::defaults_with("production", &[("auth.secret", STRONG_SECRET)]).unwrap_err().to_string();
        assert!(missing.contains("auth.encryption_key is required"), "{missing}");
        for bad in ["not base64!", "AAECAwQFBgcICQoLDA0ODw=="] {
            let message = production(&[("auth.secret", STRONG_SECRET), ("auth.encryption_key", bad)]).unwrap_err().to_string();
            assert!(message.contains("auth.encryption_key") && !message.contains(bad), "{bad}: {message}");
        }
        assert!(Settings::defaults_with("development", &[]).is_ok(), "development uses a generated key file");
    }

    #[test]
    fn the_weak_secret_message_says_why_without_the_secret() {
        let message = Settings::defaults_with("production", &[("auth.secret", "hunter2")]).unwrap_err().to_string();
        assert!(message.contains("32 bytes") && !message.contains("hunter2"), "{message}");
    }
}
