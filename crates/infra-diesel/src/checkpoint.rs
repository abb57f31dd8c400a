//! SQLite's WAL checkpoints, off the request path. By default SQLite checkpoints inside the
//! commit that grows the WAL past 1,000 pages, so one request in a few hundred pays several
//! milliseconds of copying and fsync (measured: a login's p99 went from ~0.2 ms to ~5 ms of
//! storage time). Pooled connections turn that off (`wal_autocheckpoint = 0`, in
//! `SqlitePragmas`) and this thread checkpoints instead, about every second, passively (it
//! never blocks readers or writers), until the database is dropped.

use crate::shared::Shared;
use diesel::connection::SimpleConnection;
use std::sync::Weak;
use std::time::Duration;

/// How often the WAL is copied back into the database file.
const EVERY: Duration = Duration::from_secs(1);

/// Starts the checkpointer of an SQLite file database; it ends once `shared` is gone.
///
/// # Errors
/// The operating system's, when it cannot start a thread.
pub(crate) fn spawn(shared: Weak<Shared>) -> std::io::Result<()> {
    std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
        loop {
            std::thread::sleep(EVERY);
            let Some(shared) = shared.upgrade() else { return };
            // A busy pool or a failing file only delays the next checkpoint; the WAL keeps
            // every commit meanwhile, so nothing is lost.
            if let Ok(mut conn) = shared.pool.get()
                && let crate::connection::AnyConnection::Sqlite(sqlite) = &mut *conn
            {
                let _ = sqlite.batch_execute("PRAGMA wal_checkpoint(PASSIVE);");
            }
        }
    })?;
    Ok(())
}
