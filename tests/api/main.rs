//! Black-box tests of the HTTP contract (../shared/api.md). Each test starts its own server on
//! port 0 with its own fresh database: SQLite by default, PostgreSQL when TEST_POSTGRES_URL is
//! set, MySQL when TEST_MYSQL_URL is set (and the `mysql` feature is on).

mod helpers;

mod instances;

mod admin;
mod audit;
mod auth;
mod client_limit;
mod conformance;
mod cors;
mod keys;
mod links;
mod me;
mod metrics;
mod mfa;
mod oidc;
mod openapi;
mod outage;
mod passkeys;
mod pats;
mod projects;
mod protocol;
mod races;
mod refresh_cookie;
mod tasks;
mod tokens;
