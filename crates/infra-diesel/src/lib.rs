#![doc = include_str!("../README.md")]

mod connection;
mod database;
mod error;
mod migrations;
mod redis_attempts;
mod repo;
mod rows;
mod schema;
mod sqlite_file;
mod store;
mod stored_time;
pub mod testing;
mod url;

pub use database::{ConnectError, Database, MigrationError, PoolOptions};
pub use redis_attempts::{RedisAttempts, RedisError};
pub use store::DieselStore;
pub use url::{Backend, is_local_server, redact_url};
