//! The crate's behaviour through its public API, as one test binary.

mod access_tokens;
mod config;
mod passwords;
mod refresh_tokens;
mod second_factors;
mod support;
