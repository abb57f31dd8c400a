#![doc = include_str!("../README.md")]

mod backend;
mod checkpoint;
mod connect_error;
mod connection;
mod database;
mod error;
mod migrations;
#[cfg(feature = "postgres")]
mod one_statement;
mod repo;
mod rows;
mod schema;
mod shared;
mod sqlite_file;
mod store;
mod stored_time;
#[cfg(feature = "testing")]
pub mod testing;
mod url;
mod write_gate;

pub use backend::Backend;
pub use database::{ConnectError, Database, MigrationError, PoolOptions};
pub use store::DieselStore;
pub use url::{is_local_server, redact_url};
