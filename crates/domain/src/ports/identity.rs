//! The ports of sign-in through an OpenID Connect provider: the providers themselves (an
//! outbound adapter that discovers them, sends the browser there and checks what comes back),
//! the secrets Gatehouse mints for a flow, and where identities and flows are stored.

use crate::error::InfraError;
use crate::model::{
    AuditEvent, FlowDigest, FlowSecret, Identity, IdentityId, LinkIssue, OidcFlow, PkceVerifier, ProviderClaims, ProviderId, SignInCode,
    Timestamp, User, UserId,
};

/// A configured provider, as buttons and the linking rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    /// Its id, in paths.
    pub id: ProviderId,
    /// Shown on buttons.
    pub name: String,
    /// Whether a new person may create an account through it.
    pub allow_signup: bool,
}

/// Where the browser goes, and the flow's own secrets the answer is checked against.
#[derive(Debug)]
pub struct AuthorizationRequest {
    /// The provider's authorization URL with `state`, `nonce` and Gatehouse's PKCE challenge.
    pub url: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// Gatehouse's PKCE verifier, for the code exchange.
    pub pkce_verifier: String,
}

/// What the provider's redirect brought back, once its `state` named a flow.
#[derive(Debug)]
pub struct ProviderAnswer<'a> {
    /// The provider's authorization code (used once, never stored).
    pub code: &'a str,
    /// RFC 9207's `iss` parameter, when the provider sent one.
    pub iss: Option<&'a str>,
}

/// Why a provider could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No provider has this id.
    #[error("no such provider")]
    Unknown,
    /// Its discovery document, keys or token endpoint could not be read.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// Its answer did not pass a check (signature, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`,
    /// the `iss` parameter, or its token endpoint refused the code): the reason, for logs.
    #[error("the provider's answer was refused: {0}")]
    Rejected(String),
}

/// The configured OpenID Connect providers (an outbound adapter: discovery and keys cached and
/// refreshed, ID tokens checked by a well-kept library).
pub trait IdentityProviders: Send + Sync {
    /// Every configured provider, in configuration order.
    fn list(&self) -> Vec<ProviderInfo>;

    /// One provider.
    fn find(&self, id: &ProviderId) -> Option<ProviderInfo>;

    /// Whether an app may be sent back to `uri` (`oidc.allowed_redirect_uris`, exact strings,
    /// and `{server.public_url}/account/`).
    fn redirect_allowed(&self, uri: &str) -> bool;

    /// The provider's authorization URL for a flow named by `state`, with a new `nonce` and a
    /// new PKCE pair (S256).
    ///
    /// # Errors
    /// [`ProviderError::Unknown`], or [`ProviderError::Unavailable`] while its discovery
    /// document or keys cannot be read.
    fn authorization(&self, provider: &ProviderId, state: &FlowSecret) -> Result<AuthorizationRequest, ProviderError>;

    /// Exchanges the provider's code with the flow's verifier and checks the ID token (signature
    /// against the provider's keys, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`) and the `iss`
    /// parameter.
    ///
    /// # Errors
    /// See [`ProviderError`].
    fn finish(&self, provider: &ProviderId, answer: &ProviderAnswer<'_>, flow: &OidcFlow) -> Result<ProviderClaims, ProviderError>;
}

/// Mints the flow's secrets and hashes them and PKCE verifiers.
pub trait FlowSecrets: Send + Sync {
    /// A new `state` (`gatehouse_os_…`).
    fn state(&self) -> FlowSecret;

    /// A new one-time app code (`gatehouse_oc_…`).
    fn code(&self) -> FlowSecret;

    /// Whether `text` has the shape of a `state` this issuer makes.
    fn recognises_state(&self, text: &str) -> bool;

    /// Whether `text` has the shape of an app code this issuer makes.
    fn recognises_code(&self, text: &str) -> bool;

    /// The stored form of a `state` or a code.
    fn digest(&self, text: &str) -> FlowDigest;

    /// RFC 7636's S256: the unpadded base64url SHA-256 of `verifier`.
    fn s256(&self, verifier: &PkceVerifier) -> String;
}

/// What [`IdentityRepository::link`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityLink {
    /// Linked, with its events.
    Linked,
    /// This account has the identity already: nothing was written.
    AlreadyYours,
    /// Another account has it: nothing was written.
    InUse,
    /// The account was deleted meanwhile.
    OwnerGone,
}

/// What [`IdentityRepository::sign_up`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySignUp {
    /// The account and its identity exist.
    Created,
    /// An account took the address meanwhile: nothing was written.
    EmailTaken,
    /// A racing sign-in linked the identity meanwhile: nothing was written.
    IdentityTaken,
}

/// What [`IdentityRepository::unlink`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlink {
    /// Unlinked, with its events.
    Unlinked,
    /// The account has no such identity.
    NotFound,
    /// It is the account's last way to sign in: nothing was written.
    LastWayIn,
}

/// Linked identities and the flows of provider sign-ins.
pub trait IdentityRepository: Send + Sync {
    /// The identity (issuer, `sub`), if linked.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn find_identity(&self, issuer: &str, subject: &str) -> Result<Option<Identity>, InfraError>;

    /// Links `identity` to its account (which is locked first), recording `audit` with it. The
    /// unique (issuer, `sub`) index decides between racing links.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn link(&self, identity: &Identity, audit: &[AuditEvent]) -> Result<IdentityLink, InfraError>;

    /// Creates `user` without a password and links `identity` to it in one transaction, with the
    /// verification link `verify` when the provider did not verify the address.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn sign_up(
        &self,
        user: &User,
        identity: &Identity,
        verify: Option<&LinkIssue>,
        audit: &[AuditEvent],
    ) -> Result<IdentitySignUp, InfraError>;

    /// The account's identities, oldest first.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn list_identities(&self, user: UserId) -> Result<Vec<Identity>, InfraError>;

    /// Unlinks the account's identity `id` unless nothing else would sign in (a password, a
    /// passkey, another identity): counted and deleted in one transaction that locks the account
    /// first, so racing unlinks never leave it without a way in.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn unlink(&self, user: UserId, id: IdentityId, audit: &[AuditEvent]) -> Result<Unlink, InfraError>;

    /// Sets the identity's `last_sign_in_at`.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn record_sign_in(&self, id: IdentityId, now: Timestamp) -> Result<(), InfraError>;

    /// Stores a flow waiting for the provider.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn insert_flow(&self, flow: &OidcFlow) -> Result<(), InfraError>;

    /// Takes the flow with this digest: of racing takes, on any instance, exactly one gets it
    /// (a conditional delete), whatever its age (the caller judges it).
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn take_flow(&self, digest: &FlowDigest) -> Result<Option<OidcFlow>, InfraError>;

    /// Stores an app's one-time code.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn insert_code(&self, code: &SignInCode) -> Result<(), InfraError>;

    /// Takes the code with this digest, as [`take_flow`](Self::take_flow) does.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn take_code(&self, digest: &FlowDigest) -> Result<Option<SignInCode>, InfraError>;

    /// Deletes the flows and codes that expired before `before`; how many.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    fn purge_flows(&self, before: Timestamp) -> Result<u64, InfraError>;
}
