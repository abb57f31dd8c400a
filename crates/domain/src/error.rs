//! The one failure every port can report: the infrastructure behind it did not do its job.

use std::error::Error as StdError;
use std::fmt;

/// A boxed cause, kept for logs and never shown to API clients.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What kind of infrastructure failure happened, so the HTTP layer can pick 503 or 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfraErrorKind {
    /// The backing service (database, pool) cannot be reached right now; retrying later may work.
    Unavailable,
    /// Anything else: a bug, corrupt data, a driver error.
    Internal,
}

/// An adapter failure. Its message is generic; the cause chain is for logs only.
#[derive(Debug)]
pub struct InfraError {
    kind: InfraErrorKind,
    source: BoxError,
}

impl InfraError {
    /// The backing service is unreachable (maps to 503).
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self { kind: InfraErrorKind::Unavailable, source: source.into() }
    }

    /// Any other failure (maps to 500).
    pub fn internal(source: impl Into<BoxError>) -> Self {
        Self { kind: InfraErrorKind::Internal, source: source.into() }
    }

    /// Which kind of failure this is.
    pub fn kind(&self) -> InfraErrorKind {
        self.kind
    }
}

impl fmt::Display for InfraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            InfraErrorKind::Unavailable => write!(f, "infrastructure unavailable: {}", self.source),
            InfraErrorKind::Internal => write!(f, "infrastructure failure: {}", self.source),
        }
    }
}

impl StdError for InfraError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}
