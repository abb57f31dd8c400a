//! SQLite's WAL checkpoints, off the request path. By default SQLite checkpoints inside the
//! commit that grows the WAL past 1,000 pages, so one request in a few hundred pays several
//! milliseconds of copying and fsync (measured: a login's p99 went from ~0.2 ms to ~5 ms of
//! storage time). Pooled connections turn that off (`wal_autocheckpoint = 0`, in
//! `SqlitePragmas`) and this thread checkpoints instead, every 100 ms, until the database is
//! dropped.
//!
//! Passively first: it never blocks readers or writers, and when the writes pause it copies
//! the whole WAL, so the next writer starts it again from the beginning. Under writes that
//! never pause a passive checkpoint never finishes (new frames arrive while it copies), and
//! the WAL would grow without end (measured: 1.9 GB in 8 s of task creation at 10k/s, the
//! server's RSS 10 MB up from every connection mapping its ever larger index). So once the WAL
//! holds more than [`WAL_LIMIT_FRAMES`], the checkpoint is `RESTART`: it takes this process's
//! write gate (`write_gate`), so writers wait in line rather than in SQLite's busy handler,
//! copies what the passive one left, waits for readers of the old frames (within
//! `busy_timeout`), and the next writer starts the WAL again from its beginning. The file keeps
//! its largest size and is written over, which costs nothing; emptying it (`TRUNCATE`) made
//! every writer after it grow the file again. Measured, task creation at 16 connections
//! (`just bench-ab`, see `bench/README.md`): p99 74–78 ms with `TRUNCATE` past 16 MiB
//! and no gate, 22–26 ms with the gate, 7–9 ms with `RESTART` past 4 MiB, the WAL file then
//! 28–31 MB at 7–8k writes/s.

use crate::shared::Shared;
use diesel::sql_types::Integer;
use diesel::{QueryResult, QueryableByName, RunQueryDsl, SqliteConnection};
use std::sync::Weak;
use std::time::Duration;

/// How often the WAL is copied back into the database file.
const EVERY: Duration = Duration::from_millis(100);

/// The WAL's size, in pages, past which the checkpoint restarts it (1,024 pages of 4 KiB:
/// 4 MiB; at 16 MiB the WAL file grew to 40–44 MB and each restart took longer).
pub(crate) const WAL_LIMIT_FRAMES: i32 = 1_024;

/// What `PRAGMA wal_checkpoint` answers.
#[derive(Debug, QueryableByName)]
struct Checkpointed {
    /// 1 when it could not finish (a reader or writer held on).
    #[diesel(sql_type = Integer)]
    busy: i32,
    /// Pages in the WAL (the third column, pages copied, is not needed).
    #[diesel(sql_type = Integer)]
    log: i32,
}

/// How a checkpoint went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checkpoint {
    /// Passive: the WAL is within the limit.
    Passive,
    /// The WAL was past the limit, is copied back whole, and the next writer starts it over.
    Restarted,
    /// The WAL was past the limit and another connection held on past `busy_timeout`; the
    /// next turn tries again.
    Busy,
}

/// One turn: passive, then `RESTART` if the WAL is past `limit_frames` pages.
#[cfg(test)]
pub(crate) fn checkpoint(sqlite: &mut SqliteConnection, limit_frames: i32) -> QueryResult<Checkpoint> {
    if passive(sqlite)? <= limit_frames {
        return Ok(Checkpoint::Passive);
    }
    restart(sqlite)
}

/// A passive checkpoint; the pages left in the WAL.
fn passive(sqlite: &mut SqliteConnection) -> QueryResult<i32> {
    Ok(diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<Checkpointed>(sqlite)?.log)
}

/// A checkpoint that waits for the writer and the readers of the WAL, so the next writer
/// starts it over.
fn restart(sqlite: &mut SqliteConnection) -> QueryResult<Checkpoint> {
    let restarted = diesel::sql_query("PRAGMA wal_checkpoint(RESTART)").get_result::<Checkpointed>(sqlite)?;
    Ok(if restarted.busy == 0 { Checkpoint::Restarted } else { Checkpoint::Busy })
}

/// One turn of the checkpointer on `shared`'s pool: passive, and past `limit_frames` a
/// `RESTART` that takes the write gate first (and only then a connection), so this process's
/// writers wait in line for it instead of in SQLite's busy handler (`write_gate`).
fn turn(shared: &Shared, limit_frames: i32) -> Option<Checkpoint> {
    let log = {
        let mut conn = shared.pool.get().ok()?;
        let crate::connection::AnyConnection::Sqlite(sqlite) = &mut *conn else { return None };
        passive(sqlite).ok()?
    };
    if log <= limit_frames {
        return Some(Checkpoint::Passive);
    }
    let _writers_wait = shared.writes.enter();
    let mut conn = shared.pool.get().ok()?;
    let crate::connection::AnyConnection::Sqlite(sqlite) = &mut *conn else { return None };
    restart(sqlite).ok()
}

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
            let _ = turn(&shared, WAL_LIMIT_FRAMES);
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Connection;
    use diesel::connection::SimpleConnection;

    fn wal_bytes(db: &std::path::Path) -> u64 {
        std::fs::metadata(db.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    fn a_wal_past_the_limit_is_started_over_and_one_within_it_is_left_to_passive_checkpoints() {
        let dir = std::env::temp_dir().join(format!("gatehouse-checkpoint-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("c.db");
        let mut writer = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
        writer.batch_execute("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v BLOB);").unwrap();
        let mut checkpointer = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
        checkpointer.batch_execute("PRAGMA busy_timeout = 5000;").unwrap();
        // A reader that holds a snapshot stops a passive checkpoint from finishing, as the
        // never-pausing writers of a busy server do.
        let mut reader = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
        for _ in 0..20 {
            writer.batch_execute("INSERT INTO t VALUES (randomblob(4000));").unwrap();
        }
        reader.batch_execute("BEGIN; SELECT count(*) FROM t;").unwrap();
        for _ in 0..200 {
            writer.batch_execute("INSERT INTO t VALUES (randomblob(4000));").unwrap();
        }
        let before = wal_bytes(&db);
        assert!(before > 200 * 4000, "the WAL holds the writes: {before} bytes");

        assert_eq!(checkpoint(&mut checkpointer, 100_000).unwrap(), Checkpoint::Passive, "within the limit");
        assert_eq!(wal_bytes(&db), before, "a passive checkpoint leaves the file as it is");
        // Past the limit, with the reader still holding on: it waits busy_timeout, then says so.
        checkpointer.batch_execute("PRAGMA busy_timeout = 50;").unwrap();
        assert_eq!(checkpoint(&mut checkpointer, 100).unwrap(), Checkpoint::Busy);
        reader.batch_execute("COMMIT;").unwrap();
        assert_eq!(checkpoint(&mut checkpointer, 100).unwrap(), Checkpoint::Restarted);
        // As many writes again land at the start of the file instead of after its end.
        for _ in 0..220 {
            writer.batch_execute("INSERT INTO t VALUES (randomblob(4000));").unwrap();
        }
        assert!(wal_bytes(&db) <= before * 11 / 10, "the WAL was written over from its start: {} after {before} bytes", wal_bytes(&db));
        let rows: i64 =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("(SELECT count(*) FROM t)")).get_result(&mut writer).unwrap();
        assert_eq!(rows, 440, "nothing is lost");
        std::fs::remove_dir_all(&dir).ok();
    }
}
