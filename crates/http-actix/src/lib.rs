#![doc = include_str!("../README.md")]

pub mod blocking;
pub mod cli;
pub mod config;
pub mod dto;
pub mod edges;
pub mod error;
mod error_map;
pub mod extract;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod wiring;
