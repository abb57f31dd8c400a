use crate::error::InfraError;
use crate::model::{DeliveryFailure, OutboxCounts, OutgoingMail, QueuedMail, Timestamp};
use uuid::Uuid;

/// The outbox: messages queued with the change that needs them, for a sender to deliver.
pub trait Outbox: Send + Sync {
    /// Queues `mail` on its own (the flows queue theirs in the transaction of their change).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn enqueue(&self, mail: &OutgoingMail) -> Result<(), InfraError>;

    /// Up to `limit` pending messages whose next attempt is due at `now`, oldest first.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedMail>, InfraError>;

    /// Records a delivery.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn mark_sent(&self, id: Uuid, now: Timestamp) -> Result<(), InfraError>;

    /// Records a failed attempt (the `attempts`-th) and when to try again; `retry_at: None`
    /// gives the message up as failed. `reason` is the transport's, never the message.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn mark_attempt_failed(&self, id: Uuid, attempts: u32, retry_at: Option<Timestamp>, reason: &str) -> Result<(), InfraError>;

    /// How many messages are in each state.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn counts(&self) -> Result<OutboxCounts, InfraError>;
}

/// Delivers one message (SMTP, or the log in development). Blocking.
pub trait MailTransport: Send + Sync {
    /// Hands `mail` to the mail server.
    ///
    /// # Errors
    /// A [`DeliveryFailure`] when it was not accepted; the sender retries it later.
    fn send(&self, mail: &OutgoingMail) -> Result<(), DeliveryFailure>;
}
