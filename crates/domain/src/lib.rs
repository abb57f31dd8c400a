#![doc = include_str!("../README.md")]

#[cfg(feature = "contract")]
pub mod contract;
pub mod error;
pub mod memory;
pub mod messages;
pub mod model;
pub mod ports;
pub mod services;
pub mod system;

pub use error::{InfraError, InfraErrorKind};
pub use model::*;
pub use ports::*;
pub use services::*;
