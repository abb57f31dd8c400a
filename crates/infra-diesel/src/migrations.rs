//! The schema, one migration folder per SQL dialect, compiled into the binary.

use crate::connection::AnyConnection;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL: EmbeddedMigrations = embed_migrations!("../../migrations/mysql");

/// Applies the pending migrations of the connection's dialect; returns how many ran. Several
/// instances may start at once on one PostgreSQL or MySQL database: each takes the same
/// session-level lock first (`pg_advisory_lock`, `GET_LOCK`), so one migrates while the others
/// wait and then find nothing pending. (Without it, two instances creating one table at once
/// collide in the catalog: `duplicate key value violates unique constraint
/// "pg_type_typname_nsp_index"`.) SQLite serves one instance; its DDL takes the write lock.
pub(crate) fn run_pending(conn: &mut AnyConnection) -> Result<usize, BoxError> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE)?.len(),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({LOCK_ID})"))?;
            let applied = c.run_pending_migrations(POSTGRES).map(|m| m.len());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_ID})"))?;
            applied?
        }
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => {
            c.batch_execute(&format!("DO GET_LOCK('{LOCK_NAME}', 120)"))?;
            let applied = c.run_pending_migrations(MYSQL).map(|m| m.len());
            c.batch_execute(&format!("DO RELEASE_LOCK('{LOCK_NAME}')"))?;
            applied?
        }
    };
    Ok(applied)
}

/// The advisory lock's key on PostgreSQL (any constant shared by every instance).
#[cfg(feature = "postgres")]
const LOCK_ID: i64 = 0x6761_7465_686f_7573; // "gatehous"
/// The named lock on MySQL.
#[cfg(feature = "mysql")]
const LOCK_NAME: &str = "gatehouse_migrations";
