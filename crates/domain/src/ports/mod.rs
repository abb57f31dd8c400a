//! The ports: what the use cases need from the outside world. All are synchronous and
//! `Send + Sync`; an async caller runs them on a blocking thread.

mod attempts;
mod audit;
mod crypto;
mod identity;
mod jobs;
mod links;
mod mail;
mod mfa;
mod passkeys;
mod pats;
mod storage;
mod system;

pub use attempts::AttemptCounter;
pub use audit::AuditLog;
pub use crypto::{AccessTokenCodec, PasswordHasher, RefreshTokenIssuer, TokenRejected};
pub use identity::{
    AuthorizationRequest, FlowSecrets, IdentityLink, IdentityProviders, IdentityRepository, IdentitySignUp, ProviderAnswer, ProviderError,
    ProviderInfo, Unlink,
};
pub use jobs::{JobLeases, Lease};
pub use links::{EmailLinks, LinkEffect, LinkTokenIssuer, LinkWrite, Redeemed};
pub use mail::{Composed, MailComposer, MailTransport, Message, Outbox};
pub use mfa::{
    Answering, ChallengeFailure, MfaTokenIssuer, OtpGenerator, PasswordStrength, RecoveryCodeIssuer, SecondFactorStore, SecretSealer,
    TotpConfirmation, TotpConfirmed, TotpStart,
};
pub use passkeys::{
    Assertion, CeremonyRejected, CeremonyStart, PasskeyAdded, PasskeyCeremonies, PasskeyRemoved, PasskeyStore, PasskeyUse,
    PresentedCredential, RegisteredCredential,
};
pub use pats::{NewPat, PatInsert, PatIssuer, PatRepository};
pub use storage::{
    AccountKey, AdminChanges, AdminWrite, EmailTaken, PasswordWrite, ProfileChanges, ProjectRepository, Removal, Revocation, Rotation,
    SessionRepository, TaskInsert, TaskRepository, UniqueEmailError, UserDelete, UserRepository, UserWrite,
};
pub use system::{Clock, IdGenerator, StorageProbe};
