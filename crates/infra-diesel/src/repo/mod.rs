//! One file per port. Every query is written once, through the multi-connection, so it is
//! checked by the compiler to be portable to every backend.

mod projects;
mod sessions;
mod tasks;
mod users;
