use crate::error::InfraError;
use crate::model::{AttemptPolicy, CounterKey, Reservation, Timestamp};

/// Counts attempts per key in fixed windows: the per-account lockout and the per-client rate
/// limit. Every instance that shares the store shares the counts.
pub trait AttemptCounter: Send + Sync {
    /// Atomically: if `key`'s window (which starts with its first attempt and lasts
    /// `policy.window`) already holds `policy.limit` attempts, refuse and count nothing; else
    /// count this one. However many callers reserve at once, at most `policy.limit` are
    /// granted per window. The attempt is reserved *before* the work it guards, so a flood of
    /// concurrent attempts cannot all slip in before the first one is counted.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn reserve(&self, key: &CounterKey, policy: AttemptPolicy, now: Timestamp) -> Result<Reservation, InfraError>;

    /// Forgets `key`'s window (a right password clears the account's failures).
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn clear(&self, key: &CounterKey) -> Result<(), InfraError>;

    /// Deletes the windows that ended before `now`; returns how many.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn purge(&self, now: Timestamp) -> Result<u64, InfraError>;
}
