//! The attempt counters of the settings (the lockout's and the per-client limit's).

use super::StartupError;
use crate::config::{CounterStore, Settings};
use domain::AttemptCounter;
use domain::memory::MemoryAttempts;
use infra_diesel::{Backend, Database, RedisAttempts};
use std::sync::Arc;
use std::time::Duration;

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
        CounterStore::Redis(url) => {
            let timeout = Duration::from_secs(settings.database.connect_timeout_secs.max(1));
            Arc::new(RedisAttempts::connect(&url, settings.database.pool_size, timeout)?)
        }
    })
}
