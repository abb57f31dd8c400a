//! The pool and what the database handle and every store hold of it.

use crate::backend::Backend;
use crate::connection::Manager;
use crate::error;
use crate::sqlite_file::{SqliteFile, write_probe};
use crate::write_gate::WriteGate;
use diesel::r2d2::R2D2Connection;
use domain::InfraError;
use r2d2::Pool;

/// What the database handle and every store share.
pub(crate) struct Shared {
    pub(crate) pool: Pool<Manager>,
    pub(crate) backend: Backend,
    pub(crate) redacted_url: String,
    /// For an SQLite file: the file the pool opened, which readiness checks is still there.
    pub(crate) sqlite_file: Option<SqliteFile>,
    /// This process's writers of an SQLite database, one at a time (`write_gate`).
    pub(crate) writes: WriteGate,
}

impl Shared {
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether a request could be served now: the SQLite file is still the one opened and
    /// takes a write; a server answers a ping.
    pub(crate) fn ping(&self) -> Result<(), InfraError> {
        if let Some(file) = &self.sqlite_file {
            file.check().map_err(InfraError::unavailable)?;
        }
        let mut conn = self.pool.get().map_err(error::pool)?;
        match self.backend {
            Backend::Sqlite => write_probe(&mut conn),
            _ => conn.ping(),
        }
        // Whatever the failure, the answer to "can it serve now" is no (503), not a bug (500),
        // and the pool's other connections are worth checking.
        .map_err(|e| {
            error::suspect_lost_connections();
            InfraError::unavailable(e)
        })
    }
}
