//! The attempt counters of the settings (the lockout's and the per-client limit's).

use super::StartupError;
use crate::app::config::{CounterStore, Settings};
use domain::AttemptCounter;
use domain::memory::MemoryAttempts;
use infra_diesel::{Backend, Database};
use std::sync::Arc;

/// In memory on SQLite and in the database on PostgreSQL and MySQL unless `rate_limit.store`
/// says otherwise. Blocking (Redis is connected to and checked): call it off the async
/// workers.
///
/// # Errors
/// [`StartupError::Redis`] when the configured Redis cannot be used.
pub fn attempt_counter(settings: &Settings, database: &Database) -> Result<Arc<dyn AttemptCounter>, StartupError> {
    let default = match database.backend() {
        Backend::Sqlite => CounterStore::Memory,
        Backend::Postgres | Backend::Mysql => CounterStore::Database,
    };
    Ok(match settings.rate_limit.counter_store()?.unwrap_or(default) {
        CounterStore::Memory => Arc::new(MemoryAttempts::default()),
        CounterStore::Database => Arc::new(database.store()),
        CounterStore::Redis(url) => redis(settings, &url)?,
    })
}

/// The counters in the Redis at `url` (`infra_redis`), with the database's pool size and
/// connect timeout.
#[cfg(feature = "redis")]
fn redis(settings: &Settings, url: &str) -> Result<Arc<dyn AttemptCounter>, StartupError> {
    let timeout = std::time::Duration::from_secs(settings.database.connect_timeout_secs.max(1));
    Ok(Arc::new(infra_redis::RedisAttempts::connect(url, settings.database.pool_size, timeout)?))
}

/// A build without the `redis` feature refuses a Redis store at start-up.
#[cfg(not(feature = "redis"))]
fn redis(_: &Settings, _: &str) -> Result<Arc<dyn AttemptCounter>, StartupError> {
    Err(StartupError::RedisNotBuilt)
}
