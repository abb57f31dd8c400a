//! How driver and pool failures become the domain's errors.

use diesel::result::{DatabaseErrorKind, Error};
use domain::{InfraError, UniqueEmailError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A query failed. A lost connection means the database is unavailable (503, retry later);
/// anything else is internal (500).
pub(crate) fn infra(error: Error) -> InfraError {
    if connection_lost(&error) {
        suspect_lost_connections();
        InfraError::unavailable(error)
    } else {
        InfraError::internal(error)
    }
}

/// Until when (Unix milliseconds) pooled network connections are checked before use. Set when
/// a query finds its connection lost: the others in the pool (every pool of this process) may
/// be dead too, after a server restart or failover. Checking every check-out always (r2d2's
/// `test_on_check_out`) doubles the round trips of every request, and on a database that shares
/// the machine it was the bulk of `/users/me`'s tail latency (measured on PostgreSQL at 16
/// connections: p99 21–27 ms with the check, 5–8 ms without).
static SUSPECT_UNTIL_MS: AtomicU64 = AtomicU64::new(0);

/// How long check-outs are checked after a lost connection: long enough for the pool to meet
/// and replace each of its connections.
const SUSPICION: Duration = Duration::from_secs(30);

fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Marks pooled connections as suspect for [`SUSPICION`].
pub(crate) fn suspect_lost_connections() {
    SUSPECT_UNTIL_MS.fetch_max(unix_millis() + SUSPICION.as_millis() as u64, Ordering::Relaxed);
}

/// Whether a check-out should check its connection first.
pub(crate) fn connections_suspect() -> bool {
    unix_millis() < SUSPECT_UNTIL_MS.load(Ordering::Relaxed)
}

fn connection_lost(error: &Error) -> bool {
    match error {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        // SQLite's own words (`sqlite3_errstr`) for a file that is locked by another process,
        // read-only, failing or gone: the database is there but cannot serve now, and the
        // service heals when the file does.
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) if SQLITE_UNAVAILABLE.iter().any(|m| info.message().contains(m)) => true,
        // diesel reports MySQL's "server has gone away" (2006) and "lost connection" (2013)
        // without a kind of their own.
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            LOST_CONNECTION.iter().any(|m| message.contains(m))
        }
        _ => false,
    }
}

/// Two transactions collided (a deadlock, or a serialization failure): the database rolled
/// this one back, and running it again is correct.
pub(crate) fn is_conflict(error: &Error) -> bool {
    match error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        // PostgreSQL's `deadlock_detected` (40P01) and MySQL's 1213 have no kind of their own.
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().contains("deadlock") || info.message().contains("Deadlock")
        }
        _ => false,
    }
}

/// Runs a transaction again while it collides with another one, a few times at most.
pub(crate) fn retry_conflicts<T>(mut attempt: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
    const ATTEMPTS: usize = 5;
    for _ in 1..ATTEMPTS {
        match attempt() {
            Err(error) if is_conflict(&error) => continue,
            outcome => return outcome,
        }
    }
    attempt()
}

/// What the drivers say when a connection died under a query: MySQL's "server has gone away"
/// (2006) and "lost connection" (2013), and libpq's words for a server that closed it, ended it
/// (restart, `pg_terminate_backend`) or cannot be reached.
const LOST_CONNECTION: [&str; 7] = [
    "server has gone away",
    "Lost connection to",
    "server closed the connection",
    "terminating connection",
    "no connection to the server",
    "could not receive data from server",
    "could not send data to server",
];

/// The messages of SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL,
/// SQLITE_CANTOPEN and SQLITE_CORRUPT/NOTADB.
const SQLITE_UNAVAILABLE: [&str; 8] = [
    "database is locked",
    "database table is locked",
    "attempt to write a readonly database",
    "disk I/O error",
    "database or disk is full",
    "unable to open database file",
    "database disk image is malformed",
    "file is not a database",
];

/// No connection could be had within the pool's timeout: the database is down or overloaded.
pub(crate) fn pool(error: r2d2::Error) -> InfraError {
    suspect_lost_connections();
    InfraError::unavailable(error)
}

/// A write that may collide with another account's email.
pub(crate) fn email_write(error: Error) -> UniqueEmailError {
    if is_email_violation(&error) { domain::EmailTaken.into() } else { infra(error).into() }
}

/// A unique violation on the email index (not, say, a duplicate primary key).
pub(crate) fn is_email_violation(error: &Error) -> bool {
    match error {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            // PostgreSQL names the constraint; SQLite says `UNIQUE constraint failed:
            // users.email`; MySQL says `Duplicate entry '…' for key 'users_email_key'`.
            info.constraint_name().is_some_and(|name| name.contains("email")) || info.message().contains("email")
        }
        _ => false,
    }
}

/// The row a write refers to (a task's project) is gone.
pub(crate) fn is_foreign_key_violation(error: &Error) -> bool {
    matches!(error, Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _))
}

/// A stored value the domain refuses: the database was written by something else.
#[derive(Debug, thiserror::Error)]
#[error("corrupt {column} in the database: {reason}")]
pub(crate) struct CorruptRow {
    pub(crate) column: &'static str,
    pub(crate) reason: String,
}

impl CorruptRow {
    pub(crate) fn error(column: &'static str, reason: impl ToString) -> InfraError {
        InfraError::internal(Self { column, reason: reason.to_string() })
    }
}
