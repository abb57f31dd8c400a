use crate::model::Timestamp;
use uuid::Uuid;

/// The current time. Adapters should truncate it to microseconds (see
/// [`truncate_to_micros`](crate::model::truncate_to_micros)).
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> Timestamp;
}

/// Fresh, unique ids for new entities and token ids.
pub trait IdGenerator: Send + Sync {
    /// A new id, never returned before.
    fn new_id(&self) -> Uuid;
}

/// Whether the storage can serve requests now: reachable and, where that can fail on its own
/// (an SQLite file), writable. For the readiness probe.
pub trait StorageProbe: Send + Sync {
    /// `Ok` when a request could be served.
    ///
    /// # Errors
    /// The [`InfraError`](crate::InfraError) that would fail a request.
    fn check(&self) -> Result<(), crate::InfraError>;
}
