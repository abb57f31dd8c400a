//! The storage adapter's tests, in one binary (each test binary links diesel, libpq and
//! OpenSSL once more): the repository contract on every reachable backend, opening a
//! database, the bundled SQLite's build options, and SQLite under concurrent writers.

mod connect;
mod contract;
mod sqlite_build;
mod sqlite_load;
