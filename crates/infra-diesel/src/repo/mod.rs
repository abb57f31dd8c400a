//! One file per port. Every query is written once, through the multi-connection or, on the
//! hot read paths, through `on_backend!`, which compiles it for each backend's own connection:
//! either way the compiler checks that it is portable to every backend.

mod account;
mod attempts;
pub(crate) mod audit;
mod identities;
pub(crate) mod links;
pub(crate) mod outbox;
mod passkeys;
mod pats;
mod projects;
mod second_factors;
pub(crate) mod sessions;
mod tasks;
pub(crate) mod users;
