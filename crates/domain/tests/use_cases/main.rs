//! Use-case tests: every service exercised through its public API on the in-memory adapters.

mod account;
mod admin;
mod auth;
mod links;
mod lockout;
mod maintenance;
mod mfa;
mod oidc;
mod outbox;
mod passkeys;
mod pats;
mod projects;
mod races;
mod refresh;
mod support;
mod tasks;
