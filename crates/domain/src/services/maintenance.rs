//! The work no request asks for: the periodic purge, run by one instance at a time, and the
//! readiness check.

use crate::error::InfraError;
use crate::ports::Lease;
use crate::services::Ports;
use chrono::Duration;

/// The name of the purge's lease.
const PURGE_JOB: &str = "purge";

/// What one turn of the purge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeRun {
    /// This instance held the lease and deleted this many expired or revoked sessions (ended
    /// counter windows went too).
    Purged(u64),
    /// Another instance holds the lease: nothing was done.
    HeldElsewhere,
}

/// Periodic maintenance and health.
#[derive(Debug, Clone)]
pub struct MaintenanceService {
    ports: Ports,
    audit_retention: Duration,
}

impl MaintenanceService {
    /// Wired to `ports`; security events are kept for `audit_retention`.
    pub fn new(ports: Ports, audit_retention: Duration) -> Self {
        Self { ports, audit_retention }
    }

    /// One turn of the purge (expired and revoked sessions, ended counter windows, security
    /// events past their retention), if `holder` gets (or renews) the job's lease for `lease`: an
    /// instance that runs the purge every period holds it for two, so a holder that died is
    /// replaced within that time and two instances never purge at once.
    ///
    /// # Errors
    /// An [`InfraError`] when the store fails.
    pub fn purge(&self, holder: &str, lease: Duration) -> Result<PurgeRun, InfraError> {
        let now = self.ports.clock.now();
        if self.ports.leases.acquire(PURGE_JOB, holder, now, now + lease)? == Lease::HeldElsewhere {
            return Ok(PurgeRun::HeldElsewhere);
        }
        self.ports.attempts.purge(now)?;
        self.ports.audit.purge(now - self.audit_retention)?;
        self.ports.links.purge(now)?;
        self.ports.second_factors.purge_challenges(now)?;
        self.ports.pats.purge(now)?;
        self.ports.identities.purge_flows(now)?;
        self.ports.passkeys.purge_challenges(now)?;
        self.ports.sessions.purge(now).map(PurgeRun::Purged)
    }

    /// Whether the storage could serve a request now.
    ///
    /// # Errors
    /// The [`InfraError`] a request would fail with.
    pub fn check_storage(&self) -> Result<(), InfraError> {
        self.ports.probe.check()
    }
}
