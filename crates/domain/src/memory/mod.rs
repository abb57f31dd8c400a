//! In-memory adapters of every port: pure, small and always compiled, so the use cases can be
//! tested without a database and the domain can be tried as a library. Not for production:
//! the hasher and token codec are deliberately weak stand-ins.

mod attempts;
mod ceremonies;
mod crypto;
mod identities;
mod jobs;
mod links;
mod mail;
mod mfa;
mod mfa_crypto;
mod passkeys;
mod pats;
mod store;
mod system;

pub use attempts::MemoryAttempts;
pub use ceremonies::{FakeAnswer, FakeCeremonies};
pub use crypto::{FakeAccessTokens, FakeHasher, FakeLinkTokens, FakeRefreshTokens};
pub use identities::{FakeFlowSecrets, NoProviders};
pub use jobs::MemoryLeases;
pub use mail::{MemoryMailer, MemoryOutbox};
pub use mfa_crypto::{FakeMfaTokens, FakeOtp, FakePasswordStrength, FakeRecoveryCodes, FakeSealer};
pub use pats::FakePatIssuer;
pub use store::MemoryStore;
pub use system::{ManualClock, SequentialIds};

use crate::messages::StandardMessages;
use crate::services::Ports;
use std::sync::Arc;

/// One in-memory world: a store, fake crypto and a clock you can move, with handles kept so a
/// test can inspect or steer them.
#[derive(Debug, Clone)]
pub struct InMemory {
    /// Users, sessions, projects and tasks.
    pub store: Arc<MemoryStore>,
    /// Counts its work, so tests can see the dummy-hash path.
    pub hasher: Arc<FakeHasher>,
    /// Starts at 2026-01-01T00:00:00Z and moves only when told.
    pub clock: Arc<ManualClock>,
    /// The lockout's counters.
    pub attempts: Arc<MemoryAttempts>,
    /// The periodic jobs' leases.
    pub leases: Arc<MemoryLeases>,
    /// Messages waiting to be delivered: the store's own, so a change and its messages are
    /// written under one lock.
    pub outbox: Arc<MemoryOutbox>,
    /// What the "mail server" accepted.
    pub mailer: Arc<MemoryMailer>,
}

impl Default for InMemory {
    fn default() -> Self {
        let store = Arc::new(MemoryStore::default());
        Self {
            outbox: store.outbox(),
            store,
            hasher: Arc::default(),
            clock: Arc::default(),
            attempts: Arc::default(),
            leases: Arc::default(),
            mailer: Arc::default(),
        }
    }
}

impl InMemory {
    /// A fresh, empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// The ports, all wired to this world.
    pub fn ports(&self) -> Ports {
        Ports {
            users: self.store.clone(),
            sessions: self.store.clone(),
            projects: self.store.clone(),
            tasks: self.store.clone(),
            hasher: self.hasher.clone(),
            access_tokens: Arc::new(FakeAccessTokens),
            refresh_tokens: Arc::new(FakeRefreshTokens::default()),
            clock: self.clock.clone(),
            attempts: self.attempts.clone(),
            ids: Arc::new(SequentialIds::default()),
            leases: self.leases.clone(),
            probe: self.store.clone(),
            audit: self.store.clone(),
            outbox: self.outbox.clone(),
            mailer: self.mailer.clone(),
            links: self.store.clone(),
            link_tokens: Arc::new(FakeLinkTokens::default()),
            messages: Arc::new(StandardMessages::new("http://gatehouse.test", &crate::model::EmailPolicy::DEFAULT)),
            second_factors: self.store.clone(),
            sealer: Arc::new(FakeSealer),
            otp: Arc::new(FakeOtp::default()),
            recovery_codes: Arc::new(FakeRecoveryCodes::default()),
            mfa_tokens: Arc::new(FakeMfaTokens::default()),
            passwords: Arc::new(FakePasswordStrength),
            pats: self.store.clone(),
            pat_issuer: Arc::new(FakePatIssuer::default()),
            providers: Arc::new(NoProviders),
            identities: self.store.clone(),
            flow_secrets: Arc::new(FakeFlowSecrets::default()),
            passkeys: self.store.clone(),
            ceremonies: Arc::new(FakeCeremonies::default()),
        }
    }
}

/// FNV-1a: a tiny non-cryptographic hash, enough for fakes that must not store plain text.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}
