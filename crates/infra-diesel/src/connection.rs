//! One connection type for every backend, the r2d2 manager that opens it from the URL's scheme,
//! the SQLite settings applied to each new connection, and write transactions.

use crate::url::Target;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, ConnectionError, SqliteConnection};
use std::time::Duration;

/// A connection to whichever backend the URL named. Queries written once against it run on all
/// of them; the derive only accepts what every backend supports.
#[derive(diesel::MultiConnection)]
pub(crate) enum AnyConnection {
    Sqlite(SqliteConnection),
    #[cfg(feature = "postgres")]
    Postgres(diesel::PgConnection),
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
}

/// Opens a PostgreSQL connection; every libpq connection of the workspace goes through here.
/// First it initialises OpenSSL, which the bundled libpq uses for TLS, without OpenSSL's
/// exit-time cleanup. Left to libpq, the first TLS connection registers that cleanup, which at
/// process exit frees every thread's OpenSSL state while pool threads still exist: the
/// PostgreSQL test suite crashed on exit about one run in ten (SIGSEGV in `OPENSSL_cleanup` →
/// `init_thread_deregister`, from a core dump). The first initialisation decides;
/// rust-openssl initialises the same way.
#[cfg(feature = "postgres")]
pub fn establish_postgres(url: &str) -> diesel::ConnectionResult<diesel::PgConnection> {
    openssl_sys::init();
    diesel::PgConnection::establish(url)
}

/// Why the pool could not open or keep a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ManagerError {
    /// The driver refused to connect; its message says why.
    #[error(transparent)]
    Connect(#[from] ConnectionError),
    /// A set-up or health-check statement failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Opens connections for the pool. Unlike diesel's generic manager it knows the backend in
/// advance, so its errors are the driver's own and can be reported before any pool exists.
pub(crate) struct Manager {
    target: Target,
}

impl Manager {
    pub(crate) fn new(target: Target) -> Self {
        Self { target }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = ManagerError;

    fn connect(&self) -> Result<AnyConnection, ManagerError> {
        let conn = match &self.target {
            Target::SqliteMemory => AnyConnection::Sqlite(SqliteConnection::establish(":memory:")?),
            Target::SqliteFile(path) => {
                let path = path.to_str().ok_or_else(|| ConnectionError::InvalidConnectionUrl("the SQLite path is not UTF-8".into()))?;
                AnyConnection::Sqlite(SqliteConnection::establish(path)?)
            }
            #[cfg(feature = "postgres")]
            Target::Postgres(url) => AnyConnection::Postgres(establish_postgres(url)?),
            #[cfg(feature = "mysql")]
            Target::Mysql(url) => AnyConnection::Mysql(diesel::MysqlConnection::establish(url)?),
            // Target::parse never builds a variant this build cannot open.
            #[cfg(not(all(feature = "postgres", feature = "mysql")))]
            _ => return Err(ConnectionError::BadConnection("this backend is not compiled in".into()).into()),
        };
        Ok(conn)
    }

    /// Pings only while connections are suspect (a query lately found its connection lost):
    /// a healthy pool hands connections out without an extra round trip.
    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ManagerError> {
        if crate::error::connections_suspect() { Ok(conn.ping()?) } else { Ok(()) }
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        // A connection left inside a transaction (or with a broken transaction manager) must
        // never be handed out again.
        std::thread::panicking() || conn.is_broken()
    }
}

/// The SQLite settings every connection needs, in this order: `busy_timeout` first, so the
/// statements after it (switching to WAL needs a lock) wait for other connections instead of
/// failing with `SQLITE_BUSY`; then WAL (readers never block the writer), `synchronous=NORMAL`
/// (safe with WAL, one fsync per checkpoint), `foreign_keys=ON` (off by default, and the
/// cascades rely on it), and `wal_autocheckpoint=0`: no request's commit pays for a
/// checkpoint, the database's own thread does them (`checkpoint`); and `cache_size` of 256 KiB
/// instead of SQLite's 2 MiB: every pooled connection keeps its own page cache, so the default
/// held the same hot pages up to eight times over (idle RSS after `just bench`'s load 35.7 MB
/// with it, 30.8 MB at 512 KiB, 29.7 MB at 256 KiB; req/s within the runs' noise), while the
/// kernel's page cache holds the file once and serves a miss with one `pread`. Other backends
/// are left as they are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SqlitePragmas {
    pub(crate) busy_timeout: Duration,
}

impl r2d2::CustomizeConnection<AnyConnection, ManagerError> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), ManagerError> {
        match conn {
            AnyConnection::Sqlite(sqlite) => {
                let millis = self.busy_timeout.as_millis();
                sqlite.batch_execute(&format!(
                    "PRAGMA busy_timeout = {millis}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -256;"
                ))?;
            }
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            _ => {}
        }
        Ok(())
    }
}

/// Runs `f` in a transaction that may read and then write. On SQLite it starts with
/// `BEGIN IMMEDIATE`, which takes the write lock up front: a deferred transaction that reads
/// first and then tries to write fails with `SQLITE_BUSY` at once when another connection
/// wrote in between, whatever `busy_timeout` says. `SqliteConnection::immediate_transaction`
/// is not reachable through the multi-connection, so this does what it does with the shared
/// transaction manager. Other backends use a plain `BEGIN`.
pub(crate) fn write_transaction<T, E>(conn: &mut AnyConnection, f: impl FnOnce(&mut AnyConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Sqlite(sqlite) => AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?,
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        _ => <AnyConnection as TransactionManager<AnyConnection>>::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            <AnyConnection as TransactionManager<AnyConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // If the rollback fails too, the connection still reports an open transaction and
            // the pool discards it (`has_broken`); the caller gets the error that matters.
            let _ = <AnyConnection as TransactionManager<AnyConnection>>::rollback_transaction(conn);
            Err(error)
        }
    }
}
