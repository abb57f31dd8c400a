//! Machine access: personal access tokens (create, list, revoke, and turning one into a
//! [`Principal`]), and the two endpoints other services call about any token: introspection
//! (RFC 7662) and revocation (RFC 7009).

use crate::error::InfraError;
use crate::model::{
    AccessClaims, AuditDetail, AuditEvent, AuditKind, CandidatePassword, Client, PatId, PatName, PatPolicy, PatScope, PatScopes, PatText,
    PersonalAccessToken, RefreshTokenState, Session, User, UserId,
};
use crate::ports::{Message, NewPat, PatInsert, TokenRejected};
use crate::services::admin::require_admin;
use crate::services::reauth::{Proof, Reauth, ReauthError};
use crate::services::signin::SignIn;
use crate::services::{AdminError, AuthService, AuthenticateError, Ports, Principal, ResourceError, audit};

/// A token to create, its fields parsed.
#[derive(Debug)]
pub struct PatRequest {
    /// Its name.
    pub name: PatName,
    /// What it may do.
    pub scopes: PatScopes,
    /// Its lifetime in days; the default when `None`.
    pub expires_in_days: Option<u32>,
}

/// Why a token was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreatePatError {
    /// The caller's session is not fresh and no right `current_password` was given.
    #[error(transparent)]
    Reauth(#[from] ReauthError),
    /// The lifetime is outside 1 to `auth.pat_max_days`; the message says so.
    #[error("expires_in_days {0}")]
    Lifetime(String),
    /// The account holds its limit of live tokens.
    #[error("an account may hold at most {} live personal access tokens: revoke one first", PatPolicy::MAX_LIVE_PER_ACCOUNT)]
    AtLimit,
    /// The infrastructure failed.
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// What introspection may tell about a token (RFC 7662).
#[derive(Debug)]
pub enum Introspection {
    /// Unknown, malformed, expired, revoked, or its session or account no longer allows access.
    Inactive,
    /// A live access token of a live session of an active account.
    Access {
        /// Its verified claims.
        claims: AccessClaims,
        /// Its owner, as stored now.
        user: User,
    },
    /// The current refresh token of a live session of an active account.
    Refresh {
        /// Its session.
        session: Session,
    },
    /// A live personal access token of an active account.
    Personal {
        /// The token.
        token: PersonalAccessToken,
    },
}

/// Personal access tokens, introspection and revocation.
#[derive(Debug, Clone)]
pub struct TokenService {
    ports: Ports,
    policy: PatPolicy,
    auth: AuthService,
    reauth: Reauth,
    sign_in: SignIn,
    admin_needs_mfa: bool,
}

impl TokenService {
    pub(crate) fn new(ports: Ports, policy: PatPolicy, auth: AuthService, reauth: Reauth, sign_in: SignIn, admin_needs_mfa: bool) -> Self {
        Self { ports, policy, auth, reauth, sign_in, admin_needs_mfa }
    }

    /// Creates a token for the caller: fresh session, at most
    /// [`PatPolicy::MAX_LIVE_PER_ACCOUNT`] live, its text returned this once and stored only as
    /// a digest; the owner is told by mail.
    ///
    /// # Errors
    /// See [`CreatePatError`].
    pub fn create(
        &self,
        principal: &Principal,
        current: Option<&CandidatePassword>,
        request: PatRequest,
        client: &Client,
    ) -> Result<(PersonalAccessToken, PatText), CreatePatError> {
        self.reauth.confirm(principal, current, Proof::Fresh)?;
        let now = self.ports.clock.now();
        let expires_at = self.policy.expiry(now, request.expires_in_days).map_err(CreatePatError::Lifetime)?;
        let text = self.ports.pat_issuer.generate();
        let token = PersonalAccessToken {
            id: PatId::from_uuid(self.ports.ids.new_id()),
            user_id: principal.user_id(),
            name: request.name,
            scopes: request.scopes,
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        let created = AuditEvent {
            detail: AuditDetail::new().id("token_id", token.id.as_uuid()).words("scope", token.scopes.iter().map(PatScope::as_str)),
            ..audit::own(&self.ports, AuditKind::TokenCreated, principal, client)
        };
        let new = NewPat {
            token: &token,
            digest: &self.ports.pat_issuer.digest(&text),
            max_live: PatPolicy::MAX_LIVE_PER_ACCOUNT,
            audit: &[created],
            mail: &[self.sign_in.notice(principal.user(), Message::TokenCreated)],
        };
        match self.ports.pats.insert_capped(&new)? {
            PatInsert::Inserted => Ok((token, text)),
            PatInsert::AtLimit => Err(CreatePatError::AtLimit),
            PatInsert::OwnerGone => Err(ReauthError::AccountGone.into()),
        }
    }

    /// The caller's live tokens, newest first.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn list(&self, principal: &Principal) -> Result<Vec<PersonalAccessToken>, InfraError> {
        self.ports.pats.list_live(principal.user_id(), self.ports.clock.now())
    }

    /// Revokes one of the caller's live tokens.
    ///
    /// # Errors
    /// [`ResourceError::NotFound`] for a token that is not the caller's or not live.
    pub fn revoke(&self, principal: &Principal, id: PatId, client: &Client) -> Result<(), ResourceError> {
        let event = AuditEvent {
            detail: AuditDetail::new().id("token_id", id.as_uuid()),
            ..audit::own(&self.ports, AuditKind::TokenRevoked, principal, client)
        };
        self.revoke_of(principal.user_id(), id, &event)?.then_some(()).ok_or(ResourceError::NotFound)
    }

    /// An admin's view of another account's live tokens.
    ///
    /// # Errors
    /// [`AdminError::Forbidden`] for a non-admin, [`AdminError::NotFound`] for no such account.
    pub fn list_of(&self, principal: &Principal, user: UserId) -> Result<Vec<PersonalAccessToken>, AdminError> {
        require_admin(principal)?;
        self.ports.users.find(user)?.ok_or(AdminError::NotFound)?;
        Ok(self.ports.pats.list_live(user, self.ports.clock.now())?)
    }

    /// An admin revokes another account's token.
    ///
    /// # Errors
    /// [`AdminError::Forbidden`] for a non-admin, [`AdminError::NotFound`] for no such live token
    /// of that account.
    pub fn revoke_of_user(&self, principal: &Principal, user: UserId, id: PatId, client: &Client) -> Result<(), AdminError> {
        require_admin(principal)?;
        let event = AuditEvent {
            detail: AuditDetail::new().id("token_id", id.as_uuid()),
            ..audit::by_admin(&self.ports, AuditKind::TokenRevoked, principal, user, client)
        };
        self.revoke_of(user, id, &event)?.then_some(()).ok_or(AdminError::NotFound)
    }

    fn revoke_of(&self, user: UserId, id: PatId, event: &AuditEvent) -> Result<bool, InfraError> {
        self.ports.pats.revoke(user, id, self.ports.clock.now(), std::slice::from_ref(event))
    }

    /// Turns a personal access token (its checksum checked already) into the caller: one
    /// indexed look-up of its digest with its owner; it must be live and its owner active as
    /// stored now. A use writes `last_used_at` at most once a minute.
    ///
    /// # Errors
    /// [`AuthenticateError::Rejected`] for an unknown, expired or revoked token, or an owner who
    /// is deactivated.
    pub fn authenticate(&self, text: &PatText) -> Result<Principal, AuthenticateError> {
        let (token, user) = self.live(text)?.ok_or(TokenRejected::Revoked)?;
        let now = self.ports.clock.now();
        if PatPolicy::records_use(token.last_used_at, now) {
            self.ports.pats.record_use(token.id, now, now - PatPolicy::LAST_USED_GRANULARITY)?;
        }
        Ok(Principal::by_token(user, &token, self.admin_needs_mfa))
    }

    /// The stored token of `text` and its owner, whatever its state.
    fn stored(&self, text: &PatText) -> Result<Option<(PersonalAccessToken, User)>, InfraError> {
        self.ports.pats.find_by_digest(&self.ports.pat_issuer.digest(text))
    }

    /// The token of `text` and its owner, if it is live and the owner active.
    fn live(&self, text: &PatText) -> Result<Option<(PersonalAccessToken, User)>, InfraError> {
        let now = self.ports.clock.now();
        Ok(self.stored(text)?.filter(|(token, user)| token.is_live(now) && user.is_active && token.user_id == user.id))
    }

    /// What a token is, for a resource server (RFC 7662): anything not live is
    /// [`Introspection::Inactive`] and nothing more. An access token is judged by its session and
    /// account as stored now, not only by its signature and expiry.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn introspect(&self, token: &str) -> Result<Introspection, InfraError> {
        if PatText::claims_to_be_one(token) {
            let Ok(text) = PatText::parse(token) else { return Ok(Introspection::Inactive) };
            return Ok(self.live(&text)?.map_or(Introspection::Inactive, |(token, _)| Introspection::Personal { token }));
        }
        if self.ports.refresh_tokens.recognises(token) {
            return self.introspect_refresh(token);
        }
        let Ok(verified) = self.auth.verify_access_token(token) else { return Ok(Introspection::Inactive) };
        match self.auth.authenticate_verified(&verified) {
            Ok(principal) => Ok(Introspection::Access { claims: verified.claims().clone(), user: principal.user().clone() }),
            Err(AuthenticateError::Rejected(_)) => Ok(Introspection::Inactive),
            Err(AuthenticateError::Infra(e)) => Err(e),
        }
    }

    fn introspect_refresh(&self, token: &str) -> Result<Introspection, InfraError> {
        let digest = self.ports.refresh_tokens.digest(token);
        let Some((session, RefreshTokenState::Current)) = self.ports.sessions.find_by_refresh_digest(&digest)? else {
            return Ok(Introspection::Inactive);
        };
        let now = self.ports.clock.now();
        let active = session.is_live(now) && self.ports.users.find(session.user_id)?.is_some_and(|user| user.is_active);
        Ok(if active { Introspection::Refresh { session } } else { Introspection::Inactive })
    }

    /// Revokes whatever `token` is (RFC 7009): a personal access token itself, a refresh or an
    /// access token its session. Anything unknown is no error: it grants nothing either way.
    ///
    /// # Errors
    /// Only an [`InfraError`].
    pub fn revoke_any(&self, token: &str, client: &Client) -> Result<(), InfraError> {
        if PatText::claims_to_be_one(token) {
            let Ok(text) = PatText::parse(token) else { return Ok(()) };
            if let Some((found, _)) = self.stored(&text)? {
                let event = AuditEvent {
                    user_id: Some(found.user_id),
                    detail: AuditDetail::new().id("token_id", found.id.as_uuid()),
                    ..audit::event(&self.ports, AuditKind::TokenRevoked, client)
                };
                self.revoke_of(found.user_id, found.id, &event)?;
            }
            return Ok(());
        }
        if self.ports.refresh_tokens.recognises(token) {
            return self.auth.logout(token, client);
        }
        // A genuine access token ends its session even past its own expiry: the session may
        // outlive it, and the holder asked for the end.
        match self.ports.access_tokens.verify(token) {
            Ok(claims) => self.auth.end_session(claims.user_id, claims.session_id, client),
            Err(_) => Ok(()),
        }
    }
}
