//! How driver and pool failures become the domain's errors.

use diesel::result::{DatabaseErrorKind, Error};
use domain::{InfraError, UniqueEmailError};

/// A query failed. A lost connection means the database is unavailable (503, retry later);
/// anything else is internal (500).
pub(crate) fn infra(error: Error) -> InfraError {
    if connection_lost(&error) { InfraError::unavailable(error) } else { InfraError::internal(error) }
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
            message.contains("server has gone away") || message.contains("Lost connection to")
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
    InfraError::unavailable(error)
}

/// A write that may collide with another account's email.
pub(crate) fn email_write(error: Error) -> UniqueEmailError {
    if is_email_violation(&error) { domain::EmailTaken.into() } else { infra(error).into() }
}

/// A unique violation on the email index (not, say, a duplicate primary key).
fn is_email_violation(error: &Error) -> bool {
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
