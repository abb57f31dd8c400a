//! The schema, one migration folder per SQL dialect, compiled into the binary.

use crate::connection::AnyConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL: EmbeddedMigrations = embed_migrations!("../../migrations/mysql");

/// Applies the pending migrations of the connection's dialect; returns how many ran.
pub(crate) fn run_pending(conn: &mut AnyConnection) -> Result<usize, BoxError> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE)?.len(),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => c.run_pending_migrations(POSTGRES)?.len(),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => c.run_pending_migrations(MYSQL)?.len(),
    };
    Ok(applied)
}
