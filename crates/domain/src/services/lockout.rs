//! The per-account lockout that every password check goes through: login, and the current
//! password of a profile change, a password change or an account deletion.

use crate::error::InfraError;
use crate::model::{AttemptPolicy, CounterKey, Email, Reservation};
use crate::services::Ports;

/// Reserves each password check of an account before it runs, and clears the account's count
/// when a check succeeds: at most `policy.limit` wrong passwords are checked per window,
/// however many arrive at once and on however many instances share the counter store.
#[derive(Debug, Clone)]
pub(crate) struct Lockout {
    ports: Ports,
    policy: AttemptPolicy,
}

/// The account is locked: its password may not be checked for this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Locked(pub(crate) u64);

impl Lockout {
    pub(crate) fn new(ports: Ports, policy: AttemptPolicy) -> Self {
        Self { ports, policy }
    }

    /// Counts one check of `email`'s password, or refuses it while the account is locked.
    pub(crate) fn reserve(&self, email: &Email) -> Result<Result<(), Locked>, InfraError> {
        if !self.policy.is_on() {
            return Ok(Ok(()));
        }
        let now = self.ports.clock.now();
        Ok(match self.ports.attempts.reserve(&CounterKey::account(email), self.policy, now)? {
            Reservation::Granted => Ok(()),
            Reservation::Refused { retry_after_secs } => Err(Locked(retry_after_secs)),
        })
    }

    /// A right password: the account's failures are forgotten.
    pub(crate) fn succeeded(&self, email: &Email) -> Result<(), InfraError> {
        if self.policy.is_on() { self.ports.attempts.clear(&CounterKey::account(email)) } else { Ok(()) }
    }
}
