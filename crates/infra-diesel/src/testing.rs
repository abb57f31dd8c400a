//! Fresh, migrated, isolated databases for tests: this crate's contract suite and the API tests
//! use the same helper, so both run on every backend that is reachable.
//!
//! - [`TestDatabase::sqlite`]: a new database file in a new temporary folder, always.
//! - [`TestDatabase::from_env_postgres`]: when `TEST_POSTGRES_URL` names a server, a new
//!   database `gh_test_<random>` on it (the URL's role needs `CREATEDB`).
//! - [`TestDatabase::from_env_mysql`]: when `TEST_MYSQL_URL` is set and the crate is built with
//!   feature `mysql`, a new database on that server.
//!
//! Each is dropped (best effort) when the value is: the folder removed, the database dropped.

#[cfg(feature = "postgres")]
pub use crate::connection::establish_postgres;
use crate::{Backend, Database, PoolOptions, redact_url};
use std::fmt;
use std::path::PathBuf;

/// The variable naming a PostgreSQL server for tests, e.g. `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_URL_VAR: &str = "TEST_POSTGRES_URL";
/// The variable naming a MySQL/MariaDB server for tests, e.g. `mysql://root@127.0.0.1:3306/test`.
pub const MYSQL_URL_VAR: &str = "TEST_MYSQL_URL";

/// A fresh database with the migrations applied, removed again on drop.
pub struct TestDatabase {
    url: String,
    database: Option<Database>,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(PathBuf),
    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), expect(dead_code, reason = "no server backend compiled"))]
    Server {
        backend: Backend,
        server_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// A new SQLite file in a new temporary folder.
    ///
    /// # Panics
    /// When the file cannot be created or migrated: the test cannot run.
    pub fn sqlite() -> Self {
        let folder = std::env::temp_dir().join(format!("gatehouse-test-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("sqlite://{}", folder.join("gatehouse.db").display());
        Self::open(url, Cleanup::Folder(folder))
    }

    /// A new database on the PostgreSQL server named by `TEST_POSTGRES_URL`; `None` when the
    /// variable is unset or empty (or the crate was built without feature `postgres`).
    ///
    /// # Panics
    /// When the variable is set but the database cannot be created or migrated.
    pub fn from_env_postgres() -> Option<Self> {
        let server_url = env_url(POSTGRES_URL_VAR)?;
        #[cfg(feature = "postgres")]
        {
            Some(Self::on_server(Backend::Postgres, server_url))
        }
        #[cfg(not(feature = "postgres"))]
        {
            eprintln!(
                "{POSTGRES_URL_VAR} is set but infra-diesel was built without feature postgres ({}); skipping",
                redact_url(&server_url)
            );
            None
        }
    }

    /// A new database on the MySQL/MariaDB server named by `TEST_MYSQL_URL`; `None` when the
    /// variable is unset or empty, or the crate was built without feature `mysql`.
    ///
    /// # Panics
    /// When the variable is set but the database cannot be created or migrated.
    pub fn from_env_mysql() -> Option<Self> {
        let server_url = env_url(MYSQL_URL_VAR)?;
        #[cfg(feature = "mysql")]
        {
            Some(Self::on_server(Backend::Mysql, server_url))
        }
        #[cfg(not(feature = "mysql"))]
        {
            eprintln!("{MYSQL_URL_VAR} is set but infra-diesel was built without feature mysql ({}); skipping", redact_url(&server_url));
            None
        }
    }

    /// Like [`from_env_postgres`](Self::from_env_postgres), but nothing is migrated: for tests
    /// of the migrations themselves.
    pub fn from_env_postgres_unmigrated() -> Option<Self> {
        #[cfg(feature = "postgres")]
        {
            env_url(POSTGRES_URL_VAR).map(|url| Self::on_server_with(Backend::Postgres, url, false))
        }
        #[cfg(not(feature = "postgres"))]
        {
            None
        }
    }

    /// Like [`from_env_mysql`](Self::from_env_mysql), but nothing is migrated.
    pub fn from_env_mysql_unmigrated() -> Option<Self> {
        #[cfg(feature = "mysql")]
        {
            env_url(MYSQL_URL_VAR).map(|url| Self::on_server_with(Backend::Mysql, url, false))
        }
        #[cfg(not(feature = "mysql"))]
        {
            None
        }
    }

    /// The URL of this database, as `Database::connect` (or an application config) takes it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every message queued for `to` that still holds its bodies (pending ones: a delivered
    /// message's are erased), oldest first, as `(subject, text)`: how tests read emailed links.
    pub fn queued_mail_to(&self, to: &str) -> Vec<(String, String)> {
        use crate::schema::outbox;
        use diesel::prelude::*;
        let store = self.database().store();
        store
            .run(|c| {
                outbox::table
                    .filter(outbox::recipient.eq(to))
                    .filter(outbox::text_body.ne(""))
                    .order((outbox::created_at.asc(), outbox::id.asc()))
                    .select((outbox::subject, outbox::text_body))
                    .load::<(String, String)>(c)
            })
            .expect("the outbox reads")
    }

    /// The migrated pool on this database.
    pub fn database(&self) -> &Database {
        self.database.as_ref().expect("the database lives as long as the TestDatabase")
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    fn on_server(backend: Backend, server_url: String) -> Self {
        Self::on_server_with(backend, server_url, true)
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    fn on_server_with(backend: Backend, server_url: String, migrate: bool) -> Self {
        let name = format!("gh_test_{}", uuid::Uuid::new_v4().simple());
        server::create(backend, &server_url, &name);
        let url = with_database(&server_url, &name);
        Self::open_with(url, Cleanup::Server { backend, server_url, name }, migrate)
    }

    fn open(url: String, cleanup: Cleanup) -> Self {
        Self::open_with(url, cleanup, true)
    }

    fn open_with(url: String, cleanup: Cleanup, migrate: bool) -> Self {
        // Built before connecting, so a panic below still cleans up through Drop.
        let mut db = Self { url, database: None, cleanup };
        let shown = redact_url(&db.url);
        let database = Database::connect(&db.url, PoolOptions::default()).unwrap_or_else(|e| panic!("test database {shown}: {e}"));
        if migrate {
            database.run_migrations().unwrap_or_else(|e| panic!("migrating test database {shown}: {e}"));
        }
        db.database = Some(database);
        db
    }
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase").field("url", &redact_url(&self.url)).finish_non_exhaustive()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Close this pool first; clones still held elsewhere are dealt with by the server.
        drop(self.database.take());
        match &self.cleanup {
            Cleanup::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            #[cfg(any(feature = "postgres", feature = "mysql"))]
            Cleanup::Server { backend, server_url, name } => server::drop_database(*backend, server_url, name),
            #[cfg(not(any(feature = "postgres", feature = "mysql")))]
            Cleanup::Server { .. } => {}
        }
    }
}

fn env_url(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|url| !url.trim().is_empty())
}

/// The same server URL with another database name in its path.
#[cfg_attr(not(any(test, feature = "postgres", feature = "mysql")), expect(dead_code, reason = "no server backend compiled"))]
pub(crate) fn with_database(url: &str, name: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[authority_start..].find(['/', '?', '#']).map_or(url.len(), |i| authority_start + i);
    let path_end = url[path_start..].find(['?', '#']).map_or(url.len(), |i| path_start + i);
    format!("{}/{name}{}", &url[..path_start], &url[path_end..])
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
mod server {
    use super::with_database;
    #[cfg(feature = "postgres")]
    use crate::connection::establish_postgres;
    use crate::{Backend, redact_url};
    #[cfg(feature = "mysql")]
    use diesel::Connection;
    use diesel::RunQueryDsl;

    /// Runs one administrative statement on the server: through the database the URL names,
    /// or, when that one does not exist, the server's default one.
    fn admin(backend: Backend, server_url: &str, sql: &str) -> Result<(), String> {
        let fallback = match backend {
            Backend::Postgres => with_database(server_url, "postgres"),
            _ => with_database(server_url, ""),
        };
        let mut last_error = String::new();
        for url in [server_url.to_owned(), fallback] {
            let result = match backend {
                #[cfg(feature = "postgres")]
                Backend::Postgres => establish_postgres(&url)
                    .map_err(|e| e.to_string())
                    .and_then(|mut c| diesel::sql_query(sql).execute(&mut c).map_err(|e| e.to_string())),
                #[cfg(feature = "mysql")]
                Backend::Mysql => diesel::MysqlConnection::establish(&url)
                    .map_err(|e| e.to_string())
                    .and_then(|mut c| diesel::sql_query(sql).execute(&mut c).map_err(|e| e.to_string())),
                _ => Err(format!("no {backend} support compiled in")),
            };
            match result {
                Ok(_) => return Ok(()),
                Err(e) => last_error = e,
            }
        }
        Err(format!("{} on {}: {last_error}", sql, redact_url(server_url)))
    }

    pub(super) fn create(backend: Backend, server_url: &str, name: &str) {
        let sql = match backend {
            Backend::Mysql => format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
            _ => format!("CREATE DATABASE {name}"),
        };
        if let Err(e) = admin(backend, server_url, &sql) {
            panic!("cannot create a test database: {e}");
        }
    }

    pub(super) fn drop_database(backend: Backend, server_url: &str, name: &str) {
        let sql = match backend {
            // FORCE ends connections still open on it (PostgreSQL 13 and later).
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            _ => format!("DROP DATABASE IF EXISTS {name}"),
        };
        if let Err(e) = admin(backend, server_url, &sql) {
            eprintln!("could not drop test database {name}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_the_database_in_a_server_url() {
        assert_eq!(with_database("postgres://u:p@h:5432/test", "x"), "postgres://u:p@h:5432/x");
        assert_eq!(with_database("postgres://h/test?sslmode=require", "x"), "postgres://h/x?sslmode=require");
        assert_eq!(with_database("mysql://root@h:3306", "x"), "mysql://root@h:3306/x");
        assert_eq!(with_database("mysql://root@h:3306?ssl_mode=disabled", ""), "mysql://root@h:3306/?ssl_mode=disabled");
    }

    #[test]
    fn sqlite_test_databases_are_migrated_and_removed_on_drop() {
        let db = TestDatabase::sqlite();
        let path = PathBuf::from(db.url().trim_start_matches("sqlite://"));
        assert!(path.exists());
        assert_eq!(db.database().run_migrations().unwrap(), 0, "already migrated");
        drop(db);
        assert!(!path.parent().unwrap().exists());
    }
}
