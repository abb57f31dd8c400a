//! What readiness means for an SQLite file: the file the pool opened is still the one at its
//! path (not deleted, not replaced), and it takes a write.

use crate::connection::{AnyConnection, write_transaction};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use std::path::{Path, PathBuf};

/// The database file as the pool first opened it.
#[derive(Debug)]
pub(crate) struct SqliteFile {
    path: PathBuf,
    identity: Option<FileIdentity>,
}

/// Device and inode: a file deleted and created anew at the same path is another file, and the
/// pool's open connections still write to the old, unlinked one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity(u64, u64);

fn identity(path: &Path) -> Option<FileIdentity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| FileIdentity(m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|_| FileIdentity(0, 0))
    }
}

/// Why an SQLite file is not ready.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileGone {
    #[error("the SQLite file {} was deleted while the server had it open", .0.display())]
    Deleted(PathBuf),
    #[error("the SQLite file {} was replaced by another file while the server had it open", .0.display())]
    Replaced(PathBuf),
}

impl SqliteFile {
    /// Remembers the file at `path` (after the first connection created it).
    pub(crate) fn opened(path: PathBuf) -> Self {
        let identity = identity(&path);
        Self { path, identity }
    }

    /// Whether the path still names the file the pool opened.
    pub(crate) fn check(&self) -> Result<(), FileGone> {
        match (identity(&self.path), self.identity) {
            (None, _) => Err(FileGone::Deleted(self.path.clone())),
            (Some(now), Some(then)) if now != then => Err(FileGone::Replaced(self.path.clone())),
            _ => Ok(()),
        }
    }
}

#[derive(QueryableByName)]
struct UserVersion {
    #[diesel(sql_type = Integer)]
    user_version: i32,
}

/// A write that changes nothing: the header's `user_version` set to what it is, committed. It
/// takes the write lock (waiting `busy_timeout` for another process's) and writes a page, so a
/// locked, read-only or failing file fails here as a real request's write would.
pub(crate) fn write_probe(conn: &mut AnyConnection) -> QueryResult<()> {
    write_transaction(conn, |c| {
        let AnyConnection::Sqlite(sqlite) = c else { return Ok(()) };
        let version = diesel::sql_query("PRAGMA user_version").get_result::<UserVersion>(sqlite)?.user_version;
        sqlite.batch_execute(&format!("PRAGMA user_version = {version}"))
    })
}
