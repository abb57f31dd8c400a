//! Production implementations of the clock and id ports: they only read the system clock and
//! the OS random source, so they live here rather than in an adapter crate.

use crate::model::{Timestamp, truncate_to_micros};
use crate::ports::{Clock, IdGenerator};
use uuid::Uuid;

/// The wall clock, in UTC, truncated to microseconds so every database stores it unchanged.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        truncate_to_micros(chrono::Utc::now())
    }
}

/// UUIDv7 ids: random, yet time-ordered so new rows land at the end of an index.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}
