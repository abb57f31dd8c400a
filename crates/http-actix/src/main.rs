//! The `gatehouse` binary.

use clap::Parser;
use http_actix::app::cli::{Cli, Command, run};
use http_actix::app::config::Settings;
use std::process::ExitCode;

// mimalloc instead of glibc's malloc: glibc keeps one arena per thread that ever allocated and
// returns little of it, so the server idled at 34 MB after a benchmark run (23 MB before);
// mimalloc gives freed pages back and allocates the many small strings of a request faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("gatehouse: {e}");
            return ExitCode::FAILURE;
        }
    };
    http_actix::app::telemetry::init(&settings.log);
    match run(cli.command.unwrap_or(Command::Serve), settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("gatehouse: {e}");
            ExitCode::FAILURE
        }
    }
}
