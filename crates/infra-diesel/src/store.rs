//! The repositories: one handle on the pool that implements every storage port of the domain.

use crate::backend::Backend;
use crate::connection::{AnyConnection, Manager};
use crate::error;
use crate::shared::Shared;
use domain::{InfraError, PageRequest};
use r2d2::PooledConnection;
use std::fmt;
use std::sync::Arc;

/// Implements [`UserRepository`](domain::UserRepository),
/// [`SessionRepository`](domain::SessionRepository),
/// [`ProjectRepository`](domain::ProjectRepository) and
/// [`TaskRepository`](domain::TaskRepository) on the pool of a [`Database`](crate::Database).
/// Cheap to clone. Every method blocks: call it from a blocking thread, never from an async
/// task.
#[derive(Clone)]
pub struct DieselStore {
    shared: Arc<Shared>,
}

impl DieselStore {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Which backend this store writes to.
    pub fn backend(&self) -> Backend {
        self.shared.backend()
    }

    /// A pooled connection; waiting longer than the pool's timeout means the database is
    /// unavailable.
    pub(crate) fn conn(&self) -> Result<PooledConnection<Manager>, InfraError> {
        self.shared.pool.get().map_err(error::pool)
    }

    /// Runs statements that need no transaction on one pooled connection: reads. A write
    /// goes through [`run_write`](Self::run_write) or [`write_conn`](Self::write_conn).
    pub(crate) fn run<T>(&self, f: impl FnOnce(&mut AnyConnection) -> diesel::QueryResult<T>) -> Result<T, InfraError> {
        let mut conn = self.conn()?;
        f(&mut conn).map_err(error::infra)
    }

    /// A pooled connection for a write (one statement, or a `write_transaction`), taken after
    /// this process's other writers of an SQLite database are done (`write_gate`).
    pub(crate) fn write_conn(&self) -> Result<Writing<'_>, InfraError> {
        let gate = self.shared.writes.enter();
        Ok(Writing { conn: self.conn()?, _gate: gate })
    }

    /// [`run`](Self::run) for statements that write.
    pub(crate) fn run_write<T>(&self, f: impl FnOnce(&mut AnyConnection) -> diesel::QueryResult<T>) -> Result<T, InfraError> {
        let mut conn = self.write_conn()?;
        f(&mut conn).map_err(error::infra)
    }
}

/// A connection that may write: it holds the write gate until it is dropped (after the pooled
/// connection went back, fields dropping in order).
pub(crate) struct Writing<'a> {
    conn: PooledConnection<Manager>,
    _gate: Option<std::sync::MutexGuard<'a, ()>>,
}

impl std::ops::Deref for Writing<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Writing<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DieselStore").field("backend", &self.backend()).finish()
    }
}

/// Runs `$body` with `$c` bound to the concrete connection of the URL's backend instead of the
/// multi-connection: the body is compiled once per backend, so it stays portable, but diesel
/// then finds the cached statement by its type. Through `MultiConnection` every execution
/// rebuilds the statement's SQL text, on each pass over the query (measured on SQLite:
/// `/users/me` 56 → 49 µs of server CPU, a 20-task page 255 → 218 µs). For the reads that
/// every request makes (the caller's session, ownership, the lists).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::connection::AnyConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::connection::AnyConnection::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            $crate::connection::AnyConnection::Mysql($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Loads `query`'s rows locked for the rest of the transaction: PostgreSQL and MySQL take row
/// locks (`FOR UPDATE`, which also reads the latest committed rows, not a snapshot); SQLite needs
/// none, since `BEGIN IMMEDIATE` already holds its only write lock.
macro_rules! load_for_update {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::connection::AnyConnection::Sqlite(c) => $query.load(c),
            #[cfg(feature = "postgres")]
            $crate::connection::AnyConnection::Postgres(c) => $query.for_update().load(c),
            #[cfg(feature = "mysql")]
            $crate::connection::AnyConnection::Mysql(c) => $query.for_update().load(c),
        }
    };
}
pub(crate) use load_for_update;

/// The row of a lookup by a unique key (at most one). Not `.first()`: its `LIMIT` keeps the
/// statement out of the prepared-statement cache through the multi-connection, so SQLite would
/// compile it again on every request.
pub(crate) fn unique<T>(rows: diesel::QueryResult<Vec<T>>) -> diesel::QueryResult<Option<T>> {
    rows.map(|rows| rows.into_iter().next())
}

/// `LIMIT` and `OFFSET` as every backend takes them (`PageRequest` keeps both in range).
pub(crate) fn limit_offset(page: PageRequest) -> (i64, i64) {
    (i64::from(page.limit()), i64::try_from(page.offset()).unwrap_or(i64::MAX))
}

/// A row count as the domain reports it.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Rows affected, as the domain reports it.
pub(crate) fn affected(n: usize) -> u64 {
    n as u64
}

impl domain::StorageProbe for DieselStore {
    fn check(&self) -> Result<(), InfraError> {
        self.shared.ping()
    }
}
