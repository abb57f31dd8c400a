//! The use cases, one service per aggregate. Each method is one behaviour of the API; callers
//! on an async runtime run it on a blocking thread, because the ports block.

mod account;
mod admin;
mod audit;
mod auth;
mod links;
mod lockout;
mod maintenance;
mod mfa;
mod oidc;
mod outbox;
mod passkey_answer;
mod passkeys;
mod password_policy;
mod principal;
mod projects;
mod reauth;
mod signin;
mod tasks;
mod tokens;

pub use account::{AccountService, DeleteAccountError, PasswordChangeError, ProfileError, ProfileUpdate};
pub use admin::{AdminError, AdminService, AdminUpdate, CreateAdminError, CreatedAdmin, Invite};
pub use auth::{AuthService, AuthenticateError, LoginError, RefreshError, RegisterError, Registration, VerifiedToken};
pub use links::{Deferred, LinkError, LinkService};
pub use maintenance::{MaintenanceService, PurgeRun};
pub use mfa::{MfaError, MfaService};
pub use oidc::{Callback, CallbackError, CallbackRedirect, OidcService, RedeemError, StartError, UnlinkError};
pub use outbox::{OutboxSender, SenderRun};
pub use passkeys::{CeremonyOptions, PasskeyError, PasskeyService, PasskeySignInError};
pub use password_policy::{PasswordPolicy, PasswordRules};
pub use principal::{Access, Principal, Refusal};
pub use projects::ProjectService;
pub use reauth::{Proof, ReauthError};
pub use signin::{SecondProof, SecondStepError, SecondStepRequired, SignInOutcome};
pub use tasks::TaskService;
pub use tokens::{CreatePatError, Introspection, PatRequest, TokenService};

use crate::error::InfraError;
use crate::model::SessionPolicy;
use crate::ports::{
    AccessTokenCodec, AttemptCounter, AuditLog, Clock, EmailLinks, FlowSecrets, IdGenerator, IdentityProviders, IdentityRepository,
    JobLeases, LinkTokenIssuer, MailComposer, MailTransport, MfaTokenIssuer, OtpGenerator, Outbox, PasskeyCeremonies, PasskeyStore,
    PasswordHasher, PasswordStrength, PatIssuer, PatRepository, ProjectRepository, RecoveryCodeIssuer, RefreshTokenIssuer,
    SecondFactorStore, SecretSealer, SessionRepository, StorageProbe, TaskRepository, UserRepository,
};
use std::sync::Arc;

/// Every adapter the use cases need, shared behind `Arc`s.
#[derive(Clone)]
pub struct Ports {
    /// Accounts.
    pub users: Arc<dyn UserRepository>,
    /// Sessions and refresh-token chains.
    pub sessions: Arc<dyn SessionRepository>,
    /// Projects.
    pub projects: Arc<dyn ProjectRepository>,
    /// Tasks.
    pub tasks: Arc<dyn TaskRepository>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access-token signing.
    pub access_tokens: Arc<dyn AccessTokenCodec>,
    /// Refresh-token minting.
    pub refresh_tokens: Arc<dyn RefreshTokenIssuer>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The per-account lockout's counters.
    pub attempts: Arc<dyn AttemptCounter>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
    /// Leases of the periodic jobs, so one instance at a time runs each.
    pub leases: Arc<dyn JobLeases>,
    /// The readiness check of the storage.
    pub probe: Arc<dyn StorageProbe>,
    /// Security events.
    pub audit: Arc<dyn AuditLog>,
    /// Messages waiting to be delivered.
    pub outbox: Arc<dyn Outbox>,
    /// The way messages leave.
    pub mailer: Arc<dyn MailTransport>,
    /// Emailed links, stored with the changes and messages they belong to.
    pub links: Arc<dyn EmailLinks>,
    /// Minting of the links' tokens.
    pub link_tokens: Arc<dyn LinkTokenIssuer>,
    /// The words of the messages.
    pub messages: Arc<dyn MailComposer>,
    /// Second factors and the challenges between a sign-in's steps.
    pub second_factors: Arc<dyn SecondFactorStore>,
    /// Sealing of the secrets the server reads back (TOTP keys).
    pub sealer: Arc<dyn SecretSealer>,
    /// TOTP secrets and codes.
    pub otp: Arc<dyn OtpGenerator>,
    /// Recovery codes and their digests.
    pub recovery_codes: Arc<dyn RecoveryCodeIssuer>,
    /// The `mfa_token`s of the second step.
    pub mfa_tokens: Arc<dyn MfaTokenIssuer>,
    /// Common passwords and strength.
    pub passwords: Arc<dyn PasswordStrength>,
    /// Personal access tokens.
    pub pats: Arc<dyn PatRepository>,
    /// Minting and digesting personal access tokens.
    pub pat_issuer: Arc<dyn PatIssuer>,
    /// The configured OpenID Connect providers.
    pub providers: Arc<dyn IdentityProviders>,
    /// Linked identities and the flows of provider sign-ins.
    pub identities: Arc<dyn IdentityRepository>,
    /// The `state`s and one-time codes of provider sign-ins.
    pub flow_secrets: Arc<dyn FlowSecrets>,
    /// Passkeys and the challenges of their ceremonies.
    pub passkeys: Arc<dyn PasskeyStore>,
    /// The WebAuthn ceremonies.
    pub ceremonies: Arc<dyn PasskeyCeremonies>,
}

impl std::fmt::Debug for Ports {
    /// The adapters are trait objects without `Debug`; their presence is all there is to show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

/// The whole application core: one service per aggregate, wired to the same ports.
#[derive(Debug, Clone)]
pub struct Gatehouse {
    /// Registration, login, tokens, logout.
    pub auth: AuthService,
    /// The caller's own account and sessions.
    pub accounts: AccountService,
    /// Administration of every account.
    pub admin: AdminService,
    /// Projects.
    pub projects: ProjectService,
    /// Tasks.
    pub tasks: TaskService,
    /// The periodic purge and the readiness check.
    pub maintenance: MaintenanceService,
    /// Delivers the outbox.
    pub outbox: OutboxSender,
    /// Verification, password reset and email-change links.
    pub links: LinkService,
    /// The caller's second factors.
    pub mfa: MfaService,
    /// Personal access tokens, introspection and revocation.
    pub tokens: TokenService,
    /// Sign-in through OpenID Connect providers, and linked identities.
    pub oidc: OidcService,
    /// Passkeys and signing in with them.
    pub passkeys: PasskeyService,
}

impl Gatehouse {
    /// Wires every service to `ports`.
    pub fn new(ports: Ports, policy: SessionPolicy) -> Self {
        let reauth = reauth::Reauth::new(ports.clone(), policy.lockout, policy.fresh_window);
        let sign_in = signin::SignIn::new(ports.clone(), policy);
        let passwords = PasswordPolicy::new(ports.clone(), policy.password_min_score);
        let auth = AuthService::new(ports.clone(), policy, sign_in.clone(), passwords.clone());
        Self {
            tokens: TokenService::new(
                ports.clone(),
                policy.pat,
                auth.clone(),
                reauth.clone(),
                sign_in.clone(),
                policy.require_mfa_for_admins,
            ),
            auth,
            accounts: AccountService::new(ports.clone(), policy.email, reauth.clone(), passwords.clone()),
            admin: AdminService::new(ports.clone(), policy.email, passwords.clone()),
            oidc: OidcService::new(ports.clone(), sign_in.clone(), reauth.clone(), policy.email),
            passkeys: PasskeyService::new(ports.clone(), reauth.clone(), sign_in.clone(), policy.email),
            mfa: MfaService::new(ports.clone(), policy.lockout, reauth, sign_in),
            projects: ProjectService::new(ports.clone()),
            tasks: TaskService::new(ports.clone()),
            outbox: OutboxSender::new(ports.clone(), policy.mail_retry),
            links: LinkService::new(ports.clone(), policy.email, policy.lockout, passwords),
            maintenance: MaintenanceService::new(ports, policy.audit_retention),
        }
    }
}

/// The failure of a use case on one resource: it does not exist for the caller, or the
/// infrastructure failed. Someone else's resource is `NotFound` too, so its existence never leaks.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// No such resource, or not the caller's.
    #[error("not found")]
    NotFound,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}
