//! One writer at a time per SQLite database in this process, waiting in line instead of in
//! SQLite's busy handler.
//!
//! SQLite lets one connection write at a time; the others wait in its busy handler, which
//! sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries. A writer that has
//! climbed that ladder keeps losing the lock to writers arriving in its gaps, and the checkpoint
//! that empties the WAL (`TRUNCATE`, holding the write lock for ~20 ms) pushed waiting writers
//! up it. Measured under sustained task creation at 16 connections (uprobes on the busy
//! handler): the two storage threads slept ~10 s per 10 s run, and every request over 20 ms had
//! slept there, the slowest for 632 ms over 15 sleeps; p99 74–78 ms. With every write of the
//! process and the checkpoint that restarts the WAL taking this lock first (`checkpoint`), the busy handler ran 16 times instead of
//! ~2,000 and p99 was 16–24 ms, the slowest request 31–43 ms.
//!
//! The gate is taken before a pooled connection is, never while holding one, so a writer
//! waiting here holds nothing another writer needs. `busy_timeout` stays for what the gate
//! cannot see: another process on the same file (a second instance, the command line).
//! PostgreSQL and MySQL lock rows, not the database, and have no gate.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// The write lock of one SQLite database in this process (none for the other backends).
#[derive(Debug, Default)]
pub(crate) struct WriteGate(Option<Mutex<()>>);

impl WriteGate {
    /// A gate for an SQLite database; `None` for the others.
    pub(crate) fn for_sqlite(sqlite: bool) -> Self {
        Self(sqlite.then(Mutex::default))
    }

    /// Waits for this process's other writers of the database to finish; the write may go on
    /// while the guard lives.
    pub(crate) fn enter(&self) -> Option<MutexGuard<'_, ()>> {
        // The guarded value is `()`: a writer that panicked left nothing half-changed here.
        self.0.as_ref().map(|gate| gate.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
