//! The ways a message leaves (`email.transport`): the log, for development, and SMTP with
//! lettre (STARTTLS when the server offers it, required with `?tls=required`, or implicit TLS
//! with `smtps://`), through the OpenSSL the build already compiles.

use domain::{DeliveryFailure, MailTransport, OutgoingMail};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};
use std::sync::Arc;
use std::time::Duration;

/// How long one SMTP conversation may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why `email.*` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailSettingsError {
    /// `email.from` is not an address (with an optional name).
    #[error("email.from is not a mailbox such as `Gatehouse <no-reply@example.com>`: {0}")]
    From(String),
    /// `email.transport` is neither `log` nor an SMTP URL lettre takes.
    #[error("email.transport must be log, smtp://[user:pass@]host[:port][?tls=required] or smtps://…: {0}")]
    Transport(String),
    /// `email.templates_dir` cannot be read, or a file in it is no usable template.
    #[error("email.templates_dir {dir}: {reason}")]
    Templates {
        /// The folder.
        dir: String,
        /// What is wrong, naming the file.
        reason: String,
    },
}

/// The transport `email.transport` names (`url`), sending as `email.from` (`from`).
///
/// # Errors
/// [`MailSettingsError`] naming the key that is wrong.
pub fn transport(url: &str, from: &str) -> Result<Arc<dyn MailTransport>, MailSettingsError> {
    let from: Mailbox = from.parse().map_err(|e: lettre::address::AddressError| MailSettingsError::From(e.to_string()))?;
    let url = url.trim();
    if url == "log" {
        return Ok(Arc::new(LogTransport));
    }
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err(MailSettingsError::Transport("unknown scheme".into()));
    }
    // STARTTLS whenever the server offers it, unless the URL says otherwise.
    let url = if url.starts_with("smtp://") && !url.contains("tls=") {
        format!("{url}{}tls=opportunistic", if url.contains('?') { '&' } else { '?' })
    } else {
        url.to_owned()
    };
    // lettre's own message could quote the URL, password included: say what is wrong without it.
    let mailer = SmtpTransport::from_url(&url)
        .map_err(|_| MailSettingsError::Transport("the URL does not parse".into()))?
        .timeout(Some(SMTP_TIMEOUT))
        .build();
    Ok(Arc::new(SmtpMailer { mailer, from }))
}

/// Development: the message, link included, goes to the log, so a person can open it.
#[derive(Debug)]
struct LogTransport;

impl MailTransport for LogTransport {
    fn send(&self, mail: &OutgoingMail) -> Result<(), DeliveryFailure> {
        tracing::info!(to = %mail.to.as_str(), subject = %mail.subject, body = %mail.text, "email (email.transport = log)");
        Ok(())
    }
}

/// SMTP through lettre, blocking (the sender runs it off the async workers).
struct SmtpMailer {
    mailer: SmtpTransport,
    from: Mailbox,
}

impl MailTransport for SmtpMailer {
    fn send(&self, mail: &OutgoingMail) -> Result<(), DeliveryFailure> {
        let to: Mailbox = mail.to.as_str().parse().map_err(|e: lettre::address::AddressError| DeliveryFailure(e.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| DeliveryFailure(e.to_string()))?;
        self.mailer.send(&message).map(drop).map_err(|e| {
            // The server's answer or the connection's error: never the URL, so no password.
            tracing::warn!(error = %e, "the mail server did not take a message; it is retried later");
            DeliveryFailure(e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(url: &str, from: &str) -> Result<Arc<dyn MailTransport>, MailSettingsError> {
        transport(url, from)
    }

    #[test]
    fn transports_parse_and_bad_ones_name_their_key_without_the_password() {
        let from = "Gatehouse <no-reply@example.com>";
        for good in ["log", "smtp://127.0.0.1:2525", "smtp://user:pa%24s@mail.example.com:587?tls=required", "smtps://mail.example.com"] {
            assert!(with(good, from).is_ok(), "{good}");
        }
        for bad in ["ftp://mail.example.com", "smtp://user:s3cret@:25", "smtp://mail.example.com?tls=sometimes"] {
            let message = with(bad, from).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.starts_with("email.transport") && !message.contains("s3cret"), "{bad}: {message}");
        }
        let message = with("log", "not an address").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.starts_with("email.from"), "{message}");
    }
}
