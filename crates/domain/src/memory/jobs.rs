use crate::error::InfraError;
use crate::model::Timestamp;
use crate::ports::{JobLeases, Lease};
use std::collections::HashMap;
use std::sync::Mutex;

/// Job leases in this process's memory (one instance; tests).
#[derive(Debug, Default)]
pub struct MemoryLeases(Mutex<HashMap<String, (String, Timestamp)>>);

impl JobLeases for MemoryLeases {
    fn acquire(&self, job: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<Lease, InfraError> {
        let mut leases = self.0.lock().map_err(|_| InfraError::internal("job leases poisoned by a panic"))?;
        match leases.get(job) {
            Some((other, ends)) if other != holder && *ends > now => Ok(Lease::HeldElsewhere),
            _ => {
                leases.insert(job.to_owned(), (holder.to_owned(), until));
                Ok(Lease::Held)
            }
        }
    }
}
