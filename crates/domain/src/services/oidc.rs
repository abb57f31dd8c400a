//! Sign-in through an OpenID Connect provider, as a careful relying party. The start stores a
//! flow under the digest of a random `state` and sends the browser to the provider with a nonce
//! and Gatehouse's own PKCE; the callback takes the flow (single use, across instances), has the
//! adapter exchange the provider's code and check the ID token, applies the linking rules, and
//! hands the app a one-time code; the app redeems it with the `code_verifier` of the challenge it
//! started with. A redeemed code is the first step of [`SignIn`]: two-step sign-in applies after
//! it as after a password. Nothing the provider gave (its code, its tokens) is stored.

use crate::error::InfraError;
use crate::model::{
    Amr, AuditDetail, AuditEvent, AuditKind, CandidatePassword, Client, EmailPolicy, FirstSignIn, FlowPurpose, Identity, IdentityId,
    LocalMatch, OidcFlow, PkceChallenge, PkceVerifier, ProviderClaims, ProviderId, Role, SignInCode, User, UserId, UserName,
};
use crate::ports::{IdentityLink, IdentitySignUp, ProviderAnswer, ProviderError, ProviderInfo, Unlink};
use crate::services::reauth::{Proof, Reauth, ReauthError};
use crate::services::signin::{SignIn, SignInOutcome};
use crate::services::{Ports, Principal, audit, links};
use chrono::Duration;

/// Why a flow could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No provider has this id.
    #[error("no such provider")]
    UnknownProvider,
    /// The `redirect_uri` is not allowed.
    #[error("redirect_uri is not allowed")]
    RedirectNotAllowed,
    /// The provider's discovery document or keys cannot be read now.
    #[error("the provider is unavailable")]
    Unavailable,
    /// The caller's session is not fresh and no right `current_password` came (linking).
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// What the provider's redirect brought, as the callback reads it.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    /// `state`.
    pub state: &'a str,
    /// The provider's `code`.
    pub code: Option<&'a str>,
    /// The provider's `error`, when it refused.
    pub error: Option<&'a str>,
    /// RFC 9207's `iss`.
    pub iss: Option<&'a str>,
}

/// Where the callback sends the browser: the flow's `redirect_uri` with `params` added.
#[derive(Debug)]
pub struct CallbackRedirect {
    /// The app's `redirect_uri`.
    pub redirect_uri: String,
    /// `code`, `linked`, or `error` and `error_description`.
    pub params: RedirectParams,
    /// Why the sign-in failed, for the server's log (never a secret).
    pub failure: Option<String>,
}

/// Why a callback gets no redirect.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The `state` is unknown, used or expired, or belongs to another provider.
    #[error("the state is unknown, used or expired")]
    UnknownState,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why a code was not redeemed.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// Unknown, used, expired, another verifier or `redirect_uri`, or an account that cannot
    /// sign in: `invalid_grant`.
    #[error("the code is invalid, used or expired")]
    InvalidGrant,
    /// `auth.require_verified_email` and the account's address is not verified.
    #[error("the email address must be verified before signing in")]
    EmailNotVerified,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Why an identity was not unlinked.
#[derive(Debug, thiserror::Error)]
pub enum UnlinkError {
    /// The session is not fresh and no right `current_password` came.
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    /// The account has no such identity.
    #[error("identity not found")]
    NotFound,
    /// Nothing else would sign the account in.
    #[error("the account's last way to sign in")]
    LastWayIn,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// A callback that ends without a code: the RFC 6749 §4.1.2.1 `error` (or Gatehouse's own) and
/// its description, and what the log says.
struct Refusal {
    error: &'static str,
    description: &'static str,
    failure: String,
}

impl Refusal {
    fn new(error: &'static str, description: &'static str, failure: impl Into<String>) -> Self {
        Self { error, description, failure: failure.into() }
    }
}

/// The parameters a callback adds to the app's `redirect_uri`.
type RedirectParams = Vec<(&'static str, String)>;

/// The error codes a provider may send back (RFC 6749 §4.1.2.1 and OpenID Connect Core
/// §3.1.2.6) that are passed on to the app; any other reads `access_denied`.
const PROVIDER_ERRORS: &[&str] = &[
    "access_denied",
    "invalid_request",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "unauthorized_client",
    "login_required",
    "consent_required",
    "interaction_required",
    "account_selection_required",
];

/// Sign-in through providers, and the identities linked to accounts.
#[derive(Debug, Clone)]
pub struct OidcService {
    ports: Ports,
    sign_in: SignIn,
    reauth: Reauth,
    email: EmailPolicy,
}

impl OidcService {
    pub(crate) fn new(ports: Ports, sign_in: SignIn, reauth: Reauth, email: EmailPolicy) -> Self {
        Self { ports, sign_in, reauth, email }
    }

    /// The configured providers, for sign-in buttons.
    pub fn providers(&self) -> Vec<ProviderInfo> {
        self.ports.providers.list()
    }

    /// Starts a sign-in: the provider's authorization URL, for an app that will come back to
    /// `redirect_uri` and redeem with the verifier of `app_challenge`.
    ///
    /// # Errors
    /// See [`StartError`].
    pub fn start(&self, provider: &ProviderId, redirect_uri: &str, app_challenge: PkceChallenge) -> Result<String, StartError> {
        self.begin(provider, redirect_uri, FlowPurpose::SignIn { app_challenge })
    }

    /// Starts linking an identity of `provider` to the caller's account (a fresh operation).
    ///
    /// # Errors
    /// See [`StartError`].
    pub fn start_link(
        &self,
        principal: &Principal,
        current_password: Option<&CandidatePassword>,
        provider: &ProviderId,
        redirect_uri: &str,
    ) -> Result<String, StartError> {
        self.check_start(provider, redirect_uri)?;
        self.reauth.confirm(principal, current_password, Proof::Fresh)?;
        self.begin(provider, redirect_uri, FlowPurpose::Link { user_id: principal.user_id() })
    }

    fn check_start(&self, provider: &ProviderId, redirect_uri: &str) -> Result<(), StartError> {
        self.ports.providers.find(provider).ok_or(StartError::UnknownProvider)?;
        if !self.ports.providers.redirect_allowed(redirect_uri) {
            return Err(StartError::RedirectNotAllowed);
        }
        Ok(())
    }

    fn begin(&self, provider: &ProviderId, redirect_uri: &str, purpose: FlowPurpose) -> Result<String, StartError> {
        self.check_start(provider, redirect_uri)?;
        let state = self.ports.flow_secrets.state();
        let request = self.ports.providers.authorization(provider, &state).map_err(|e| match e {
            ProviderError::Unknown => StartError::UnknownProvider,
            ProviderError::Unavailable(_) | ProviderError::Rejected(_) => StartError::Unavailable,
        })?;
        let flow = OidcFlow {
            digest: self.ports.flow_secrets.digest(state.expose()),
            provider: provider.clone(),
            purpose,
            redirect_uri: redirect_uri.to_owned(),
            nonce: request.nonce,
            pkce_verifier: request.pkce_verifier,
            expires_at: self.ports.clock.now() + Duration::seconds(OidcFlow::LIFETIME_SECS),
        };
        self.ports.identities.insert_flow(&flow)?;
        Ok(request.url)
    }

    /// The provider's redirect: once its `state` names a live flow of this provider (which it
    /// uses up), every outcome is a redirect to the flow's `redirect_uri`.
    ///
    /// # Errors
    /// [`CallbackError::UnknownState`] (400, no redirect), or an [`InfraError`].
    pub fn callback(&self, provider: &ProviderId, answer: Callback<'_>, client: &Client) -> Result<CallbackRedirect, CallbackError> {
        let secrets = &self.ports.flow_secrets;
        if !secrets.recognises_state(answer.state) {
            return Err(CallbackError::UnknownState);
        }
        let now = self.ports.clock.now();
        let flow = self
            .ports
            .identities
            .take_flow(&secrets.digest(answer.state))?
            .filter(|flow| flow.expires_at > now && flow.provider == *provider)
            .ok_or(CallbackError::UnknownState)?;
        let outcome = self.answer(&flow, answer, client);
        let redirect = |params, failure| CallbackRedirect { redirect_uri: flow.redirect_uri.clone(), params, failure };
        match outcome? {
            Ok(params) => Ok(redirect(params, None)),
            Err(refusal) => {
                let failed = AuditEvent {
                    user_id: match flow.purpose {
                        FlowPurpose::Link { user_id } => Some(user_id),
                        FlowPurpose::SignIn { .. } => None,
                    },
                    detail: AuditDetail::new().word("method", "oidc").provider("provider", provider).word("reason", refusal.error),
                    ..audit::event(&self.ports, AuditKind::LoginFailed, client)
                };
                self.ports.audit.record(&failed)?;
                let params = vec![("error", refusal.error.to_owned()), ("error_description", refusal.description.to_owned())];
                Ok(redirect(params, Some(refusal.failure)))
            }
        }
    }

    /// The provider's answer to `flow`: the redirect's parameters, or why it failed.
    fn answer(&self, flow: &OidcFlow, answer: Callback<'_>, client: &Client) -> Result<Result<RedirectParams, Refusal>, InfraError> {
        if let Some(error) = answer.error {
            let error = PROVIDER_ERRORS.iter().copied().find(|known| *known == error).unwrap_or("access_denied");
            return Ok(Err(Refusal::new(error, "the provider did not sign the person in", format!("the provider answered error={error}"))));
        }
        let Some(code) = answer.code.filter(|c| !c.is_empty()) else {
            return Ok(Err(Refusal::new("invalid_request", "the provider sent no code", "no code in the provider's redirect")));
        };
        let claims = match self.ports.providers.finish(&flow.provider, &ProviderAnswer { code, iss: answer.iss }, flow) {
            Ok(claims) => claims,
            Err(ProviderError::Unavailable(reason)) => {
                return Ok(Err(Refusal::new("temporarily_unavailable", "the provider could not be reached", reason)));
            }
            Err(ProviderError::Rejected(reason)) => {
                return Ok(Err(Refusal::new("access_denied", "the provider's answer did not verify", reason)));
            }
            Err(ProviderError::Unknown) => {
                return Ok(Err(Refusal::new("server_error", "the provider is no longer configured", "provider removed")));
            }
        };
        match &flow.purpose {
            FlowPurpose::SignIn { app_challenge } => {
                let user_id = match self.person(flow, &claims, client)? {
                    Ok(user_id) => user_id,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let code = self.ports.flow_secrets.code();
                self.ports.identities.insert_code(&SignInCode {
                    digest: self.ports.flow_secrets.digest(code.expose()),
                    user_id,
                    provider: flow.provider.clone(),
                    redirect_uri: flow.redirect_uri.clone(),
                    app_challenge: app_challenge.clone(),
                    expires_at: self.ports.clock.now() + Duration::seconds(SignInCode::LIFETIME_SECS),
                })?;
                Ok(Ok(vec![("code", code.expose().to_owned())]))
            }
            FlowPurpose::Link { user_id } => {
                let identity = self.identity(*user_id, &flow.provider, &claims);
                match self.ports.identities.link(&identity, &[self.linked(&identity, client)])? {
                    IdentityLink::Linked | IdentityLink::AlreadyYours => Ok(Ok(vec![("linked", flow.provider.to_string())])),
                    IdentityLink::InUse => Ok(Err(Refusal::new(
                        "identity_in_use",
                        "this identity is linked to another account",
                        "identity linked to another account",
                    ))),
                    IdentityLink::OwnerGone => Ok(Err(Refusal::new("access_denied", "the account no longer exists", "account deleted"))),
                }
            }
        }
    }

    /// The account a sign-in with `claims` is: the linked one, or by the linking rules a
    /// matching account (both sides verified) or a new one.
    fn person(&self, flow: &OidcFlow, claims: &ProviderClaims, client: &Client) -> Result<Result<UserId, Refusal>, InfraError> {
        let identities = &self.ports.identities;
        // Twice at most: a racing first sign-in of the same identity may link it in between.
        for _ in 0..2 {
            if let Some(identity) = identities.find_identity(&claims.issuer, &claims.subject)? {
                // Linked: whatever email the provider reports now is not followed.
                identities.record_sign_in(identity.id, self.ports.clock.now())?;
                return Ok(Ok(identity.user_id));
            }
            let Some(info) = self.ports.providers.find(&flow.provider) else {
                return Ok(Err(Refusal::new("server_error", "the provider is no longer configured", "provider removed")));
            };
            let account = match &claims.email {
                Some(email) => self.ports.users.find_credentials(email)?.map(|(user, _)| user),
                None => None,
            };
            let decision = claims.first_sign_in(LocalMatch { account_with_email: account.as_ref(), allow_signup: info.allow_signup });
            match decision {
                FirstSignIn::Link(user_id) => {
                    let identity = self.identity(user_id, &flow.provider, claims);
                    match identities.link(&identity, &[self.linked(&identity, client)])? {
                        IdentityLink::Linked | IdentityLink::AlreadyYours => return Ok(Ok(user_id)),
                        IdentityLink::InUse => {}
                        IdentityLink::OwnerGone => {
                            return Ok(Err(Refusal::new("access_denied", "the account no longer exists", "account deleted")));
                        }
                    }
                }
                FirstSignIn::AccountExists => {
                    return Ok(Err(Refusal::new(
                        "account_exists",
                        "an account has this email; sign in to it and link the provider from the account",
                        "an account has the email and one side has not verified it",
                    )));
                }
                FirstSignIn::SignUp { email, email_verified } => {
                    let now = self.ports.clock.now();
                    let name = claims.name.as_deref().and_then(|n| UserName::parse(n).ok());
                    let name = name.or_else(|| UserName::parse(email.as_str().split('@').next().unwrap_or("")).ok());
                    let Some(name) = name.or_else(|| UserName::parse("New user").ok()) else {
                        return Ok(Err(Refusal::new("server_error", "no name could be made", "no name")));
                    };
                    let user = User {
                        id: UserId::from_uuid(self.ports.ids.new_id()),
                        email,
                        name,
                        role: Role::User,
                        is_active: true,
                        created_at: now,
                        updated_at: now,
                        email_verified,
                        pending_email: None,
                    };
                    let identity = self.identity(user.id, &flow.provider, claims);
                    let registered = AuditEvent {
                        user_id: Some(user.id),
                        detail: AuditDetail::new().word("method", "oidc").provider("provider", &flow.provider),
                        ..audit::event(&self.ports, AuditKind::UserRegistered, client)
                    };
                    // An address the provider verified gets no verification mail.
                    let verify = (!email_verified).then(|| links::verification(&self.ports, &self.email, user.id, &user.email));
                    match identities.sign_up(&user, &identity, verify.as_ref(), &[registered, self.linked(&identity, client)])? {
                        IdentitySignUp::Created => return Ok(Ok(user.id)),
                        IdentitySignUp::EmailTaken => {
                            return Ok(Err(Refusal::new(
                                "account_exists",
                                "an account has this email; sign in to it and link the provider from the account",
                                "an account took the email meanwhile",
                            )));
                        }
                        IdentitySignUp::IdentityTaken => {}
                    }
                }
                FirstSignIn::SignupDisabled => {
                    return Ok(Err(Refusal::new(
                        "signup_disabled",
                        "this provider may not create accounts",
                        "no account has the email and sign-up is off",
                    )));
                }
                FirstSignIn::NoEmail => {
                    return Ok(Err(Refusal::new("invalid_request", "the provider sent no usable email address", "no email claim")));
                }
            }
        }
        Ok(Err(Refusal::new("server_error", "the identity changed hands while signing in", "identity raced twice")))
    }

    fn identity(&self, user_id: UserId, provider: &ProviderId, claims: &ProviderClaims) -> Identity {
        Identity {
            id: IdentityId::from_uuid(self.ports.ids.new_id()),
            user_id,
            provider: provider.clone(),
            issuer: claims.issuer.clone(),
            subject: claims.subject.clone(),
            email: claims.email.clone(),
            linked_at: self.ports.clock.now(),
            last_sign_in_at: None,
        }
    }

    fn linked(&self, identity: &Identity, client: &Client) -> AuditEvent {
        AuditEvent {
            user_id: Some(identity.user_id),
            detail: AuditDetail::new().provider("provider", &identity.provider).id("identity_id", identity.id.as_uuid()),
            ..audit::event(&self.ports, AuditKind::IdentityLinked, client)
        }
    }

    /// Redeems an app's one-time code: its first redemption uses it up, right or wrong (a
    /// `verifier` that did not parse is `None`, and wrong). A right one is the first step of a
    /// sign-in (`amr` `fed`).
    ///
    /// # Errors
    /// See [`RedeemError`].
    pub fn redeem(
        &self,
        code: &str,
        verifier: Option<&PkceVerifier>,
        redirect_uri: &str,
        client: &Client,
    ) -> Result<SignInOutcome, RedeemError> {
        let secrets = &self.ports.flow_secrets;
        if !secrets.recognises_code(code) {
            return Err(RedeemError::InvalidGrant);
        }
        let now = self.ports.clock.now();
        let stored = self.ports.identities.take_code(&secrets.digest(code))?.ok_or(RedeemError::InvalidGrant)?;
        let failed = |reason: &'static str| -> Result<RedeemError, InfraError> {
            self.ports.audit.record(&AuditEvent {
                user_id: Some(stored.user_id),
                detail: AuditDetail::new().word("method", "oidc").provider("provider", &stored.provider).word("reason", reason),
                ..audit::event(&self.ports, AuditKind::LoginFailed, client)
            })?;
            Ok(if reason == "email_not_verified" { RedeemError::EmailNotVerified } else { RedeemError::InvalidGrant })
        };
        if stored.expires_at <= now {
            return Err(failed("code_expired")?);
        }
        let answers = verifier.is_some_and(|v| secrets.s256(v) == stored.app_challenge.as_str());
        if !answers || stored.redirect_uri != redirect_uri {
            return Err(failed("code_mismatch")?);
        }
        let Some(user) = self.ports.users.find(stored.user_id)?.filter(|u| u.is_active) else {
            return Err(failed("inactive")?);
        };
        if self.email.require_verified_email && !user.email_verified {
            return Err(failed("email_not_verified")?);
        }
        let how = AuditDetail::new().word("method", "oidc").provider("provider", &stored.provider);
        Ok(self.sign_in.first_step_done(&user, Amr::FEDERATED, how, client)?)
    }

    /// The caller's linked identities, oldest first.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn identities(&self, principal: &Principal) -> Result<Vec<Identity>, InfraError> {
        self.ports.identities.list_identities(principal.user_id())
    }

    /// Unlinks one of the caller's identities (a fresh operation), never the last way in.
    ///
    /// # Errors
    /// See [`UnlinkError`].
    pub fn unlink(
        &self,
        principal: &Principal,
        current_password: Option<&CandidatePassword>,
        id: IdentityId,
        client: &Client,
    ) -> Result<(), UnlinkError> {
        let Some(identity) = self.ports.identities.list_identities(principal.user_id())?.into_iter().find(|i| i.id == id) else {
            return Err(UnlinkError::NotFound);
        };
        self.reauth.confirm(principal, current_password, Proof::Fresh)?;
        let unlinked = AuditEvent {
            detail: AuditDetail::new().provider("provider", &identity.provider).id("identity_id", id.as_uuid()),
            ..audit::own(&self.ports, AuditKind::IdentityUnlinked, principal, client)
        };
        match self.ports.identities.unlink(principal.user_id(), id, &[unlinked])? {
            Unlink::Unlinked => Ok(()),
            Unlink::NotFound => Err(UnlinkError::NotFound),
            Unlink::LastWayIn => Err(UnlinkError::LastWayIn),
        }
    }
}
