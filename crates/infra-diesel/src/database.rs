//! The connection pool: opened from a URL, checked at once, migrated on request, and the source
//! of the repositories.

use crate::backend::Backend;
pub use crate::connect_error::{ConnectError, MigrationError};
use crate::connection::{Manager, ManagerError, SqlitePragmas};
use crate::error;
use crate::migrations;
use crate::shared::Shared;
use crate::sqlite_file::SqliteFile;
use crate::store::DieselStore;
use crate::url::{Target, redact_url, url_password};
use crate::write_gate::WriteGate;
use domain::InfraError;
use r2d2::{CustomizeConnection, ManageConnection, Pool};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long an SQLite statement waits for another connection's write lock before failing with
/// `SQLITE_BUSY`: three quarters of the connect timeout, so a database locked by another
/// process is answered (503) within `connect_timeout`, as an unreachable server is. Writes are
/// short, so only a lock held from outside (or something badly wrong) waits that long.
fn sqlite_busy_timeout(connect_timeout: Duration) -> Duration {
    (connect_timeout * 3 / 4).max(Duration::from_millis(50))
}

/// Pool settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Most connections held at once (at least 1; `sqlite::memory:` always uses exactly 1).
    pub max_size: u32,
    /// How long a caller waits for a free connection before the database counts as
    /// unavailable; also bounds PostgreSQL's connect time (`connect_timeout`).
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    /// 8 connections, 2 seconds.
    fn default() -> Self {
        Self { max_size: 8, connect_timeout: Duration::from_secs(2) }
    }
}

/// A pool of connections to one database. Cheap to clone (all clones share the pool); its
/// `Debug` output shows the URL without its password.
#[derive(Clone)]
pub struct Database {
    shared: Arc<Shared>,
}

impl Database {
    /// Opens a pool for `url`: `sqlite://PATH` (the file and its folder are created when
    /// missing), `sqlite::memory:` (one private database, so a pool of one connection),
    /// `postgres://…`/`postgresql://…` (TLS through `sslmode`), or `mysql://…` (feature
    /// `mysql`). One connection is opened and set up right away, so a bad URL, a refused
    /// connection or a wrong password is reported at once with the driver's message instead of
    /// after a pool timeout. Later connections are opened by the pool as needed.
    ///
    /// # Errors
    /// A [`ConnectError`] saying what went wrong, with the URL redacted.
    pub fn connect(url: &str, options: PoolOptions) -> Result<Self, ConnectError> {
        let target = Target::parse(url, options.connect_timeout)?;
        let redacted_url = redact_url(url);
        if let Target::SqliteFile(path) = &target {
            create_parent_folder(path).map_err(|(path, source)| ConnectError::CreateDir { url: redacted_url.clone(), path, source })?;
        }
        let backend = target.backend();
        let in_memory = matches!(target, Target::SqliteMemory);
        let file_path = match &target {
            Target::SqliteFile(path) => Some(path.clone()),
            _ => None,
        };
        let manager = Manager::new(target);
        let pragmas = SqlitePragmas { busy_timeout: sqlite_busy_timeout(options.connect_timeout) };

        let failed = |error: ManagerError| ConnectError::Connect { url: redacted_url.clone(), message: scrub(error.to_string(), url) };
        let mut probe = manager.connect().map_err(failed)?;
        pragmas.on_acquire(&mut probe).map_err(failed)?;
        drop(probe);

        let timeout = options.connect_timeout.max(Duration::from_millis(1));
        let builder = Pool::builder().connection_timeout(timeout).connection_customizer(Box::new(pragmas));
        // A network connection can die under the pool (server restart, failover), so after a
        // query found one lost, check-outs ping theirs and dead ones are replaced: that is what
        // heals the pool after an outage (`Manager::is_valid`, `error::connections_suspect`).
        // A SQLite connection is a file handle that does not die.
        let builder = builder.test_on_check_out(backend != Backend::Sqlite);
        let builder = if in_memory {
            // The database lives as long as its one connection: never let the pool close it.
            builder.max_size(1).idle_timeout(None).max_lifetime(None)
        } else {
            builder.max_size(options.max_size.max(1))
        };
        let pool = builder.build_unchecked(manager);
        // After the probe connection, so the file exists.
        let sqlite_file = file_path.map(SqliteFile::opened);
        let has_file = sqlite_file.is_some();
        let writes = WriteGate::for_sqlite(backend == Backend::Sqlite);
        let shared = Arc::new(Shared { pool, backend, redacted_url: redacted_url.clone(), sqlite_file, writes });
        if has_file {
            // Pooled connections leave checkpoints to this thread (`checkpoint`).
            crate::checkpoint::spawn(Arc::downgrade(&shared))
                .map_err(|e| ConnectError::Connect { url: redacted_url, message: format!("cannot start the checkpoint thread: {e}") })?;
        }
        Ok(Self { shared })
    }

    /// Applies the migrations of this backend's dialect that are not applied yet.
    ///
    /// # Errors
    /// [`MigrationError::Connection`] without a connection, [`MigrationError::Failed`] when a
    /// migration fails.
    pub fn run_migrations(&self) -> Result<usize, MigrationError> {
        let mut conn = self.shared.pool.get().map_err(|e| MigrationError::Connection(error::pool(e)))?;
        migrations::run_pending(&mut conn).map_err(MigrationError::Failed)
    }

    /// Whether the database can serve requests now (the readiness probe): a connection can be
    /// had in time and answers `SELECT 1`; on SQLite, the file is still the one opened (not
    /// deleted or replaced) and takes a write (`sqlite_file::write_probe`), since a locked, read-only or
    /// failing file still answers reads.
    ///
    /// # Errors
    /// An unavailable [`InfraError`] when it cannot.
    pub fn ping(&self) -> Result<(), InfraError> {
        self.shared.ping()
    }

    /// The pool's connections now: `(in use, idle)`.
    pub fn connections(&self) -> (u32, u32) {
        let state = self.shared.pool.state();
        (state.connections.saturating_sub(state.idle_connections), state.idle_connections)
    }

    /// Which backend the URL chose.
    pub fn backend(&self) -> Backend {
        self.shared.backend
    }

    /// The URL this pool connects to, with its password redacted.
    pub fn redacted_url(&self) -> &str {
        &self.shared.redacted_url
    }

    /// The repositories, sharing this pool.
    pub fn store(&self) -> DieselStore {
        DieselStore::new(self.shared.clone())
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.pool.state();
        f.debug_struct("Database")
            .field("backend", &self.shared.backend)
            .field("url", &self.shared.redacted_url)
            .field("connections", &state.connections)
            .field("idle", &state.idle_connections)
            .finish()
    }
}

/// SQLite creates a missing file but not a missing folder.
fn create_parent_folder(path: &std::path::Path) -> Result<(), (PathBuf, std::io::Error)> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.exists() => {
            std::fs::create_dir_all(parent).map_err(|e| (parent.to_path_buf(), e))
        }
        _ => Ok(()),
    }
}

/// Driver messages do not quote passwords, but a message is shown to operators: make sure. A
/// password holding URL delimiters is cut by the driver's own URL parser (libpq reads
/// `app:pa/ss@h` as host `app`, port `pa`), and its message may then quote any piece of it:
/// such a message is withheld, and says what to do instead.
fn scrub(message: String, url: &str) -> String {
    let Some(password) = url_password(url) else { return message };
    if password.contains(['/', '?', '#', '@']) {
        return "the driver could not use this URL (its message is withheld, since it may quote part of the password); \
                percent-encode / ? # @ in a password (%2F %3F %23 %40)"
            .to_owned();
    }
    message.replace(password, "***")
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn a_driver_message_never_shows_the_password_or_a_piece_of_it() {
        let quoted = r#"invalid integer value "pa" for connection option "port": "d@127.0.0.1""#;
        let message = scrub(quoted.into(), "postgres://app:pa/ss#w?d@127.0.0.1/db");
        assert!(!message.contains("pa\"") && !message.contains("d@") && message.contains("percent-encode"), "{message}");
        assert_eq!(scrub("auth failed for hunter2".into(), "postgres://app:hunter2@h/db"), "auth failed for ***");
        assert_eq!(scrub("nothing secret".into(), "postgres://app@h/db"), "nothing secret");
    }
}
