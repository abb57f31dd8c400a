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
