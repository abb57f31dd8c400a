//! An in-memory outbox and a mail transport that keeps what it is given, for tests of the
//! flows and of the sender.

use crate::error::InfraError;
use crate::model::{DeliveryFailure, MailState, OutboxCounts, OutgoingMail, QueuedMail, Timestamp};
use crate::ports::{MailTransport, Outbox};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use uuid::Uuid;

/// One outbox row.
#[derive(Debug, Clone)]
struct Row {
    mail: OutgoingMail,
    state: MailState,
    attempts: u32,
    next_attempt_at: Timestamp,
    last_error: Option<String>,
}

/// The outbox in a mutex.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    rows: Mutex<Vec<Row>>,
}

impl MemoryOutbox {
    fn rows(&self) -> Result<std::sync::MutexGuard<'_, Vec<Row>>, InfraError> {
        self.rows.lock().map_err(|_| InfraError::internal("memory outbox poisoned by a panic"))
    }

    /// Every message queued so far, in order, whatever its state.
    pub fn queued(&self) -> Vec<OutgoingMail> {
        self.rows.lock().map(|rows| rows.iter().map(|r| r.mail.clone()).collect()).unwrap_or_default()
    }

    /// The last failure stored for message `id`.
    pub fn last_error(&self, id: Uuid) -> Option<String> {
        self.rows.lock().ok()?.iter().find(|r| r.mail.id == id)?.last_error.clone()
    }
}

impl Outbox for MemoryOutbox {
    fn enqueue(&self, mail: &OutgoingMail) -> Result<(), InfraError> {
        let row = Row { mail: mail.clone(), state: MailState::Pending, attempts: 0, next_attempt_at: mail.created_at, last_error: None };
        self.rows()?.push(row);
        Ok(())
    }

    fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedMail>, InfraError> {
        let rows = self.rows()?;
        let mut due: Vec<&Row> = rows.iter().filter(|r| r.state == MailState::Pending && r.next_attempt_at <= now).collect();
        due.sort_by_key(|r| (r.mail.created_at, r.mail.id));
        Ok(due.into_iter().take(limit as usize).map(|r| QueuedMail { mail: r.mail.clone(), attempts: r.attempts }).collect())
    }

    fn mark_sent(&self, id: Uuid, _now: Timestamp) -> Result<(), InfraError> {
        if let Some(row) = self.rows()?.iter_mut().find(|r| r.mail.id == id) {
            row.state = MailState::Sent;
            row.mail.text.clear();
            row.mail.html.clear();
        }
        Ok(())
    }

    fn mark_attempt_failed(&self, id: Uuid, attempts: u32, retry_at: Option<Timestamp>, reason: &str) -> Result<(), InfraError> {
        if let Some(row) = self.rows()?.iter_mut().find(|r| r.mail.id == id) {
            row.attempts = attempts;
            row.last_error = Some(reason.to_owned());
            match retry_at {
                Some(at) => row.next_attempt_at = at,
                None => {
                    row.state = MailState::Failed;
                    row.mail.text.clear();
                    row.mail.html.clear();
                }
            }
        }
        Ok(())
    }

    fn counts(&self) -> Result<OutboxCounts, InfraError> {
        let rows = self.rows()?;
        let count = |state| rows.iter().filter(|r| r.state == state).count() as u64;
        Ok(OutboxCounts { pending: count(MailState::Pending), sent: count(MailState::Sent), failed: count(MailState::Failed) })
    }
}

/// A transport that keeps every message it accepts; while `down`, it refuses them all as an
/// unreachable server would.
#[derive(Debug, Default)]
pub struct MemoryMailer {
    delivered: Mutex<Vec<OutgoingMail>>,
    down: AtomicBool,
}

impl MemoryMailer {
    /// Every message accepted so far, in order.
    pub fn delivered(&self) -> Vec<OutgoingMail> {
        self.delivered.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Takes the "server" down or brings it back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl MailTransport for MemoryMailer {
    fn send(&self, mail: &OutgoingMail) -> Result<(), DeliveryFailure> {
        if self.down.load(Ordering::SeqCst) {
            return Err(DeliveryFailure("connection refused".into()));
        }
        self.delivered.lock().map_err(|_| DeliveryFailure("poisoned".into()))?.push(mail.clone());
        Ok(())
    }
}
