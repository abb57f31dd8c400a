#![doc = include_str!("../README.md")]

mod smtp;
mod templates;

pub use smtp::{MailSettingsError, transport};
pub use templates::composer;
