//! The outbox sender: delivers the messages that are due, on one instance at a time, retrying
//! failures with backoff until the policy gives up.

use crate::error::InfraError;
use crate::model::RetryPolicy;
use crate::ports::Lease;
use crate::services::Ports;
use chrono::Duration;

/// The name of the sender's lease.
const SENDER_JOB: &str = "outbox";

/// Messages one turn takes at most: a turn stays short, the next one takes the rest.
const BATCH: u32 = 50;

/// What one turn of the sender did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderRun {
    /// This instance held the lease and tried the due messages.
    Delivered {
        /// Accepted by the mail server.
        sent: u32,
        /// Refused or unreachable, to be tried again.
        retried: u32,
        /// Given up after their last attempt.
        failed: u32,
    },
    /// Another instance holds the lease: nothing was done.
    HeldElsewhere,
}

/// Delivers the outbox.
#[derive(Debug, Clone)]
pub struct OutboxSender {
    ports: Ports,
    retry: RetryPolicy,
}

impl OutboxSender {
    /// Wired to `ports`, retrying as `retry` says.
    pub fn new(ports: Ports, retry: RetryPolicy) -> Self {
        Self { ports, retry }
    }

    /// One turn, if `holder` gets (or renews) the sender's lease for `lease`: every due
    /// message is handed to the transport once and marked sent, retried later or failed.
    /// With two instances only the lease holder sends, so a message goes out once.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails (a transport failure is the message's, not this).
    pub fn deliver_due(&self, holder: &str, lease: Duration) -> Result<SenderRun, InfraError> {
        let now = self.ports.clock.now();
        if self.ports.leases.acquire(SENDER_JOB, holder, now, now + lease)? == Lease::HeldElsewhere {
            return Ok(SenderRun::HeldElsewhere);
        }
        let (mut sent, mut retried, mut failed) = (0, 0, 0);
        for queued in self.ports.outbox.due(now, BATCH)? {
            // Renewed before every message: however slow the mail server, this instance holds
            // the lease for a whole `lease` past each send, so no other one picks the row up.
            let at = self.ports.clock.now();
            if self.ports.leases.acquire(SENDER_JOB, holder, at, at + lease)? == Lease::HeldElsewhere {
                break;
            }
            let id = queued.mail.id;
            match self.ports.mailer.send(&queued.mail) {
                Ok(()) => {
                    self.ports.outbox.mark_sent(id, self.ports.clock.now())?;
                    sent += 1;
                }
                Err(failure) => {
                    let attempts = queued.attempts + 1;
                    let retry_at = self.retry.delay_after(attempts).map(|wait| self.ports.clock.now() + wait);
                    self.ports.outbox.mark_attempt_failed(id, attempts, retry_at, &failure.0)?;
                    if retry_at.is_some() { retried += 1 } else { failed += 1 }
                }
            }
        }
        Ok(SenderRun::Delivered { sent, retried, failed })
    }

    /// How many messages are in each state.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    pub fn counts(&self) -> Result<crate::model::OutboxCounts, InfraError> {
        self.ports.outbox.counts()
    }
}
