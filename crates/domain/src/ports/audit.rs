use crate::error::InfraError;
use crate::model::{AuditEvent, AuditFilter, Page, PageRequest, Timestamp};

/// Stores security events. Events that record a change are written by the write itself, in
/// its transaction; this port records the ones that change nothing else (a refused login) and
/// reads them back.
pub trait AuditLog: Send + Sync {
    /// Stores one event.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn record(&self, event: &AuditEvent) -> Result<(), InfraError>;

    /// The events `filter` admits, newest first (by time, then id, descending), with the total.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn list(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEvent>, InfraError>;

    /// Deletes the events from before `before`; how many.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    fn purge(&self, before: Timestamp) -> Result<u64, InfraError>;
}
