//! The HTTP crate's own tests, in one binary (each test binary links actix, diesel, libpq and
//! OpenSSL once more): the `gatehouse` command line and server as processes, and the threads
//! that take blocking work off the async workers. The API itself is tested black-box by the
//! `api-tests` package.

mod cli;
mod hash_gate;
mod layout;
mod serve;
mod server_process;
mod smtp;
mod smtp_tls;
mod storage_threads;
