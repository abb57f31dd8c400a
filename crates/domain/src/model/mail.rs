//! Email messages and their life in the outbox: queued in the transaction of the change that
//! needs them, delivered later by one sender, retried with backoff, and marked sent or failed.

use crate::model::{Email, Timestamp};
use chrono::Duration;
use std::fmt;
use uuid::Uuid;

/// One message to deliver. Its bodies may carry a link with a token: they are never logged
/// (`Debug` shows the id alone) and never put in an audit event.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Stable id (also the outbox row's).
    pub id: Uuid,
    /// When it was queued.
    pub created_at: Timestamp,
    /// The recipient.
    pub to: Email,
    /// A subject that says what the message is.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail").field("id", &self.id).finish_non_exhaustive()
    }
}

/// A message due for delivery, with the attempts made so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// The message.
    pub mail: OutgoingMail,
    /// Delivery attempts that failed so far.
    pub attempts: u32,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Waiting for its (next) attempt.
    Pending,
    /// Delivered to the mail server.
    Sent,
    /// Given up after the last attempt.
    Failed,
}

impl MailState {
    /// Every state, in order.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Sent, Self::Failed];

    /// The storage and metrics spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// How many messages are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting.
    pub pending: u64,
    /// Delivered.
    pub sent: u64,
    /// Given up.
    pub failed: u64,
}

impl OutboxCounts {
    /// The count of `state`.
    pub fn of(&self, state: MailState) -> u64 {
        match state {
            MailState::Pending => self.pending,
            MailState::Sent => self.sent,
            MailState::Failed => self.failed,
        }
    }
}

/// Why a delivery attempt failed, in the transport's words (which never include the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryFailure(pub String);

/// How often and how long the sender retries: attempt `n` (from 1) that fails waits
/// `first_delay × 2^(n-1)`, at most `max_delay`; after `max_attempts` the message is failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before giving up.
    pub max_attempts: u32,
    /// The wait after the first failure.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// Eight attempts over about two hours: 30 s, 1, 2, 4, 8, 16, 32 minutes.
    pub const DEFAULT: Self = Self { max_attempts: 8, first_delay: Duration::seconds(30), max_delay: Duration::hours(1) };

    /// The wait after the `attempts`-th failure, or `None` when that was the last attempt.
    pub fn delay_after(&self, attempts: u32) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let factor = 1_i32.checked_shl(attempts.saturating_sub(1)).unwrap_or(i32::MAX);
        Some(self.first_delay.checked_mul(factor).map_or(self.max_delay, |d| d.min(self.max_delay)))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap_and_ends() {
        let policy = RetryPolicy { max_attempts: 5, first_delay: Duration::seconds(10), max_delay: Duration::seconds(50) };
        let waits: Vec<_> = (1..=5).map(|n| policy.delay_after(n).map(|d| d.num_seconds())).collect();
        assert_eq!(waits, [Some(10), Some(20), Some(40), Some(50), None]);
        assert_eq!(RetryPolicy::DEFAULT.delay_after(40), None);
        assert_eq!(RetryPolicy { max_attempts: 100, ..RetryPolicy::DEFAULT }.delay_after(60), Some(Duration::hours(1)));
    }
}
