use crate::error::InfraError;
use crate::model::Timestamp;

/// Whether this instance holds a periodic job's lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// This holder may run the job until the lease ends.
    Held,
    /// Another holder's lease is still running: skip this turn.
    HeldElsewhere,
}

/// Leases that let one instance at a time run a periodic job (the session purge, say) when
/// several share a database.
pub trait JobLeases: Send + Sync {
    /// Atomically takes (or renews) `job`'s lease for `holder` until `until`, unless another
    /// holder's lease runs past `now`. Of racing callers at most one gets [`Lease::Held`].
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn acquire(&self, job: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<Lease, InfraError>;
}
