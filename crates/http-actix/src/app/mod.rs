//! The application: settings in, a running server out. `compose` is the composition root (the
//! only module that names an infrastructure crate); `serve` serves what it built; `cli` is the
//! binary's commands; `config` the settings and their start-up checks; `document` the served
//! OpenAPI document, assembled from the registered routes; `telemetry` the log subscriber.

pub mod cli;
pub mod compose;
pub mod config;
pub mod document;
pub mod serve;
pub mod telemetry;
