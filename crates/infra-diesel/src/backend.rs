//! Which database product a URL names.

use std::fmt;

/// The database product behind a [`Database`](crate::Database), chosen by the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `sqlite://PATH` or `sqlite::memory:` (always compiled, SQLite is bundled).
    Sqlite,
    /// `postgres://…` or `postgresql://…` (feature `postgres`, on by default).
    Postgres,
    /// `mysql://…`, for MySQL and MariaDB (feature `mysql`, off by default).
    Mysql,
}

impl Backend {
    /// A short lower-case name: `sqlite`, `postgres` or `mysql`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
