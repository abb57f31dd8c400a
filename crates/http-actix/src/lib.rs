#![doc = include_str!("../README.md")]

pub mod blocking;
pub mod cli;
pub mod client_limit;
pub mod compose;
pub mod config;
pub mod dto;
pub mod edges;
pub mod error;
mod error_map;
pub mod extract;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod openapi_document;
pub mod rate_limit;
pub mod refresh_cookie;
pub mod request_metrics;
pub mod route_table;
pub mod routes;
pub mod serve;
pub mod state;
pub mod telemetry;
