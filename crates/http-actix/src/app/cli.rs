//! The `gatehouse` command line: `serve` (the default), `migrate`, `create-admin`, `openapi`.

use crate::app::compose::{self, StartupError};
use crate::app::config::Settings;
use clap::{Parser, Subcommand};
use domain::{CreatedAdmin, Email, Password, UserName};
use std::io::{BufRead, Write};

/// Gatehouse: accounts, JWT authentication and projects with tasks.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations if configured, then serve.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create an admin, or promote an existing account and reset its password (revoking its
    /// sessions). The password is read from GATEHOUSE_ADMIN_PASSWORD or one line of stdin.
    CreateAdmin {
        /// The admin's email.
        #[arg(long)]
        email: String,
        /// The admin's display name.
        #[arg(long)]
        name: String,
    },
    /// Print the OpenAPI document.
    Openapi,
}

/// A command failed; the message is for the operator.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Start-up failed.
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// Bad arguments or input.
    #[error("{0}")]
    Input(String),
    /// Serving failed.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs a command with loaded settings.
///
/// # Errors
/// A [`CliError`] to print before exiting non-zero.
pub async fn run(command: Command, settings: Settings) -> Result<(), CliError> {
    match command {
        Command::Serve => {
            let app = compose::application(settings.clone()).await?;
            tracing::info!(address = %format!("http://{}:{}", settings.server.host, app.port()), "serving; docs at /docs/");
            app.run().await?;
        }
        Command::Migrate => {
            let applied = compose::migrate(&settings).await?;
            println!("{applied} migration(s) applied");
        }
        Command::CreateAdmin { email, name } => create_admin(&settings, &email, &name).await?,
        Command::Openapi => {
            use domain::PasswordHasher;
            let max_password_bytes = compose::hasher(&settings)?.max_password_bytes();
            let cookie = compose::refresh_cookie(&settings);
            let json = crate::app::document::openapi_for(max_password_bytes, &cookie)
                .to_pretty_json()
                .map_err(|e| CliError::Input(e.to_string()))?;
            // `gatehouse openapi | head` closes the pipe early: that is the reader's choice,
            // not an error (println! would panic on it).
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{json}").and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
        }
    }
    Ok(())
}

fn admin_password() -> Result<String, CliError> {
    if let Ok(password) = std::env::var("GATEHOUSE_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::Input(format!("cannot read the password from stdin: {e}")))?;
    // Only the line ending is removed; the password itself is never trimmed.
    Ok(line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line).to_owned())
}

async fn create_admin(settings: &Settings, email: &str, name: &str) -> Result<(), CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Input(format!("--email {e}")))?;
    let name = UserName::parse(name).map_err(|e| CliError::Input(format!("--name {e}")))?;
    let raw = admin_password()?;
    let app = compose::use_cases(settings).await?;
    let password = Password::new(&raw, app.auth.max_password_bytes()).map_err(|e| CliError::Input(format!("password {e}")))?;
    let outcome = actix_web::web::block(move || app.admin.create_admin(email, name, &password))
        .await
        .map_err(|_| StartupError::Interrupted)?
        .map_err(|e| CliError::Input(format!("cannot create the admin: {e}")))?;
    match outcome {
        CreatedAdmin::Created(user) => println!("admin {} created ({})", user.email, user.id),
        CreatedAdmin::Promoted(user) => println!("{} is now an active admin with the new password; its sessions were revoked", user.email),
    }
    Ok(())
}
