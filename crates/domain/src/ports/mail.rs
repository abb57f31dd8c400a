use crate::error::InfraError;
use crate::model::{DeliveryFailure, Email, LinkToken, OutboxCounts, OutgoingMail, QueuedMail, Timestamp};
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

    /// Records a delivery and erases the message's bodies (which may hold a link): the store
    /// keeps no copy of a delivered token.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn mark_sent(&self, id: Uuid, now: Timestamp) -> Result<(), InfraError>;

    /// Records a failed attempt (the `attempts`-th) and when to try again; `retry_at: None`
    /// gives the message up as failed, and erases its bodies. `reason` is the transport's,
    /// never the message.
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

/// What a message says, before it is put into words.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// Registration or resend: verify this address.
    Verify {
        /// The link's token.
        token: &'a LinkToken,
    },
    /// A requested reset: set a new password.
    Reset {
        /// The link's token.
        token: &'a LinkToken,
    },
    /// An admin's invite: set the first password.
    Invite {
        /// The link's token.
        token: &'a LinkToken,
    },
    /// To the new address of a requested change: confirm it.
    ConfirmEmailChange {
        /// The link's token.
        token: &'a LinkToken,
    },
    /// To the old address of a requested change: it is about to change.
    EmailChangeNotice {
        /// The address asked for.
        new_email: &'a Email,
    },
    /// Registration concealed: someone tried to register this address, which has an account.
    AlreadyRegistered,
    /// Two-step sign-in was turned on.
    MfaEnabled,
    /// Two-step sign-in was turned off.
    MfaDisabled,
    /// An admin removed every second factor of the account.
    MfaReset,
    /// A recovery code was used to sign in or to change the second factors.
    RecoveryCodeUsed,
    /// New recovery codes replaced the old ones.
    RecoveryCodesRegenerated,
    /// A personal access token was created.
    TokenCreated,
}

/// A message in words: a subject that says what it is, a plain-text and an HTML part.
#[derive(Clone, PartialEq, Eq)]
pub struct Composed {
    /// The subject.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

impl std::fmt::Debug for Composed {
    /// The parts may hold a link's token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composed").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// Puts messages into words, links included.
pub trait MailComposer: Send + Sync {
    /// The subject and parts of `message`.
    fn compose(&self, message: &Message<'_>) -> Composed;
}
