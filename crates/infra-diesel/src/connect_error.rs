//! Why opening or migrating a database failed, in words an operator can act on.

use crate::backend::Backend;
use domain::InfraError;
use std::path::PathBuf;

/// Why [`Database::connect`](crate::Database::connect) failed. Every message names the URL with its password redacted.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The scheme is none of `sqlite:`, `postgres://`, `postgresql://`, `mysql://`.
    #[error("unsupported database URL {url}: expected sqlite://PATH, sqlite::memory:, postgres://… or mysql://…")]
    UnsupportedScheme {
        /// The URL, redacted.
        url: String,
    },
    /// The scheme names a backend this binary was built without.
    #[error("{url}: this build has no {backend} support; build with --features {feature}")]
    BackendNotCompiled {
        /// The URL, redacted.
        url: String,
        /// The backend the URL asks for.
        backend: Backend,
        /// The cargo feature that adds it.
        feature: &'static str,
    },
    /// The folder for an SQLite file did not exist and could not be created.
    #[error("cannot create the folder {} for the SQLite database {url}: {source}", path.display())]
    CreateDir {
        /// The URL, redacted.
        url: String,
        /// The folder.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The driver could not connect (or could not set the connection up).
    #[error("could not connect to {url}: {message}")]
    Connect {
        /// The URL, redacted.
        url: String,
        /// The driver's own message.
        message: String,
    },
}

/// Why [`Database::run_migrations`](crate::Database::run_migrations) failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// No connection could be had.
    #[error("no connection to run the migrations on: {0}")]
    Connection(#[source] InfraError),
    /// A migration failed; the database keeps the ones applied before it.
    #[error("migration failed: {0}")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}
