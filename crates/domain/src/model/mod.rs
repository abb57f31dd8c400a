//! Entities and the value types (newtypes) they are made of. Every newtype parses once, at the
//! edge, and cannot hold an invalid value afterwards.

mod amr;
mod attempts;
mod audit;
mod email;
mod identity;
mod ids;
mod link;
mod mail;
mod mfa;
mod oidc_flow;
mod page;
mod passkey;
mod password;
mod pat;
mod project;
mod session;
mod task;
mod text;
mod time;
mod token;
mod user;

pub use amr::{Amr, AuthMethod};
pub use attempts::{AttemptPolicy, CounterKey, Reservation};
pub use audit::{AuditDetail, AuditEvent, AuditFilter, AuditKind, Client, DetailValue};
pub use email::{Email, EmailError};
pub use identity::{FirstSignIn, LocalMatch, ProviderClaims, ProviderId, ProviderIdError, WaysIn};
pub use ids::{IdError, IdentityId, PasskeyId, PatId, ProjectId, SessionId, TaskId, UserId};
pub use link::{EmailChangeMode, EmailLink, EmailPolicy, LinkDigest, LinkIssue, LinkPurpose, LinkToken};
pub use mail::{DeliveryFailure, MailState, OutboxCounts, OutgoingMail, QueuedMail, RetryPolicy};
pub use mfa::{
    CodeError, MfaChallenge, MfaStatus, MfaTokenDigest, OtpCode, RecoveryCode, RecoveryCodeDigest, Sealed, SecondFactor, SecondStepCode,
    TotpEnrolment, TotpFactor, TotpRules, TotpSecret,
};
pub use oidc_flow::{FlowDigest, FlowPurpose, Identity, OidcFlow, PkceChallenge, PkceError, PkceVerifier, SignInCode};
pub use page::{MAX_OFFSET, Page, PageError, PageRequest};
pub use passkey::{CeremonyPurpose, Passkey, PasskeyChallenge, PasskeyName, PasskeyRules};
pub use password::{CandidatePassword, MIN_PASSWORD_CHARS, Password, PasswordError, PasswordHash};
pub use pat::{
    Need, PatDigest, PatFormatError, PatName, PatPolicy, PatScope, PatScopes, PatText, PersonalAccessToken, ScopeError, ScopeRefusal,
};
pub use project::{Project, ProjectDraft, ProjectName, ProjectPatch};
pub use session::{RefreshTokenState, Retirement, Session, SessionPolicy, SessionView, SuccessorMask, UserAgent};
pub use task::{DueDate, DueDateError, Task, TaskDraft, TaskPatch, TaskPriority, TaskStatus, TaskTitle, UnknownVariant};
pub use text::{Description, TextError};
pub use time::{Timestamp, truncate_to_micros};
pub use token::{AccessClaims, AccessToken, FlowSecret, MfaToken, RefreshToken, RefreshTokenDigest, TokenPair};
pub use user::{Role, User, UserName};
