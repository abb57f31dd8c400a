#![doc = include_str!("../README.md")]

mod attempts;

pub use attempts::{RedisAttempts, RedisError};
