use chrono::{DateTime, Utc};

/// A point in time, always UTC.
pub type Timestamp = DateTime<Utc>;

/// Drops sub-microsecond precision: PostgreSQL, MySQL and SQLite all keep microseconds, so a
/// value truncated here reads back exactly as it was written on every backend.
pub fn truncate_to_micros(t: Timestamp) -> Timestamp {
    let nanos = t.timestamp_subsec_nanos();
    t - chrono::Duration::nanoseconds(i64::from(nanos % 1_000))
}
