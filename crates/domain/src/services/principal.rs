use crate::model::{Amr, Need, PatId, PatScopes, PersonalAccessToken, Role, ScopeRefusal, Session, SessionId, Timestamp, User, UserId};

/// An authenticated caller: an active user, as stored right now, through a live session or a
/// live personal access token. Only [`AuthService`](crate::AuthService) makes one, so holding
/// one proves the check was done.
#[derive(Debug, Clone)]
pub struct Principal {
    user: User,
    access: Access,
    admin_needs_mfa: bool,
}

/// How the caller got in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An access token of a session (a person signed in).
    Session {
        /// The session.
        id: SessionId,
        /// How it signed in.
        amr: Amr,
        /// When it signed in (a refresh does not move it).
        signed_in_at: Timestamp,
    },
    /// A personal access token (a script or a service).
    Token {
        /// The token.
        id: PatId,
        /// What it may do.
        scopes: PatScopes,
    },
}

/// Why a caller may not do what an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A personal access token outside its scopes, or managing the account (403).
    #[error(transparent)]
    Scope(#[from] ScopeRefusal),
    /// Only a personal access token may do this (introspection): a session's credentials are
    /// not the right kind (401).
    #[error("this needs a personal access token")]
    TokenOnly,
}

impl Principal {
    /// The caller of `session`; `admin_needs_mfa` when `auth.require_mfa_for_admins` is on.
    pub(crate) fn new(user: User, session: &Session, admin_needs_mfa: bool) -> Self {
        let access = Access::Session { id: session.id, amr: session.amr, signed_in_at: session.created_at };
        Self { user, access, admin_needs_mfa }
    }

    /// The caller of a personal access token. With `auth.require_mfa_for_admins` on, an admin's
    /// token reads no other account: a token proves no second factor.
    pub(crate) fn by_token(user: User, token: &PersonalAccessToken, admin_needs_mfa: bool) -> Self {
        Self { user, access: Access::Token { id: token.id, scopes: token.scopes }, admin_needs_mfa }
    }

    /// The caller's account as stored when the request was authenticated.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The caller's id.
    pub fn user_id(&self) -> UserId {
        self.user.id
    }

    /// How the caller got in.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Whether the caller may do what `need` asks: a session may do whatever its account may
    /// (but introspect, which is a service's), a personal access token what its scopes name and
    /// never manage the account. The one scope decision of the API.
    ///
    /// # Errors
    /// The [`Refusal`] to answer with.
    pub fn may(&self, need: Need) -> Result<(), Refusal> {
        match self.access {
            Access::Session { .. } if need == Need::Introspect => Err(Refusal::TokenOnly),
            Access::Session { .. } => Ok(()),
            Access::Token { scopes, .. } => Ok(scopes.permits(need, self.is_admin())?),
        }
    }

    /// The session the caller's access token belongs to; `None` for a personal access token.
    pub fn session_id(&self) -> Option<SessionId> {
        match self.access {
            Access::Session { id, .. } => Some(id),
            Access::Token { .. } => None,
        }
    }

    /// How the session signed in; a personal access token signed in by no method.
    pub fn amr(&self) -> Amr {
        match self.access {
            Access::Session { amr, .. } => amr,
            Access::Token { .. } => Amr::of(&[]),
        }
    }

    /// When the session signed in (a login, a second step, a passkey or a provider's sign-in;
    /// a refresh does not move it); a personal access token never did, so it is never fresh.
    pub fn signed_in_at(&self) -> Option<Timestamp> {
        match self.access {
            Access::Session { signed_in_at, .. } => Some(signed_in_at),
            Access::Token { .. } => None,
        }
    }

    /// Whether the stored role (never the token's claim) is admin.
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// Whether an admin's privileges wait for a two-factor session
    /// (`auth.require_mfa_for_admins`, and this session's `amr` has no `mfa`).
    pub fn admin_needs_mfa(&self) -> bool {
        self.is_admin() && self.admin_needs_mfa && !self.amr().is_multi_factor()
    }
}
