//! The repository contract: what every storage port must do, checked on every backend that is
//! reachable and on the domain's in-memory store. Each test gets its own fresh, migrated database. SQLite always runs; PostgreSQL
//! runs when `TEST_POSTGRES_URL` is set and MySQL/MariaDB when `TEST_MYSQL_URL` is set (and
//! the crate is built with `--features mysql`); otherwise those tests pass without doing
//! anything. Filter by backend with `cargo test -p infra-diesel -- postgres`.

/// Instantiates each named test function once per backend, on what `$subject` makes of the
/// test's fresh database.
macro_rules! per_backend {
    ($subject:path; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                let db = infra_diesel::testing::TestDatabase::sqlite();
                super::$name(&$subject(db.database()));
            })*
        }

        mod postgres {
            $(#[test]
            fn $name() {
                if let Some(db) = infra_diesel::testing::TestDatabase::from_env_postgres() {
                    super::$name(&$subject(db.database()));
                }
            })*
        }

        mod mysql {
            $(#[test]
            fn $name() {
                if let Some(db) = infra_diesel::testing::TestDatabase::from_env_mysql() {
                    super::$name(&$subject(db.database()));
                }
            })*
        }
    };
}

/// Each named test function (`fn(&Database)`) once per backend.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        per_backend!(infra_diesel::Database::clone; $($name),*);
    };
}

/// Each named test function (`fn(&impl Store)`) once per backend, on the backend's
/// `DieselStore`, and once on the domain's `MemoryStore`: the adapters have the same semantics
/// because the same suite passes on both.
macro_rules! store_contract_tests {
    ($($name:ident),* $(,)?) => {
        per_backend!(infra_diesel::Database::store; $($name),*);

        mod memory {
            $(#[test]
            fn $name() {
                super::$name(&domain::memory::MemoryStore::default());
            })*
        }
    };
}

/// Every repository port: what `DieselStore` and `MemoryStore` both are.
pub(crate) trait Store:
    domain::UserRepository + domain::SessionRepository + domain::ProjectRepository + domain::TaskRepository + domain::AuditLog + Sync
{
}

impl<T> Store for T where
    T: domain::UserRepository + domain::SessionRepository + domain::ProjectRepository + domain::TaskRepository + domain::AuditLog + Sync
{
}

mod attempts;
mod audit;
mod identities;
mod links;
mod outbox;
mod passkeys;
mod pats;
mod projects;
mod races;
mod second_factors;
mod sessions;
pub(crate) mod support;
mod tasks;
mod users;
