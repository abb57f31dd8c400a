use crate::model::{Amr, Role, Session, SessionId, Timestamp, User, UserId};

/// An authenticated caller: a live session of an active user, as stored right now. Only
/// [`AuthService::authenticate`](crate::AuthService::authenticate) makes one, so holding one
/// proves the check was done.
#[derive(Debug, Clone)]
pub struct Principal {
    user: User,
    session_id: SessionId,
    amr: Amr,
    signed_in_at: Timestamp,
    admin_needs_mfa: bool,
}

impl Principal {
    /// The caller of `session`; `admin_needs_mfa` when `auth.require_mfa_for_admins` is on.
    pub(crate) fn new(user: User, session: &Session, admin_needs_mfa: bool) -> Self {
        Self { user, session_id: session.id, amr: session.amr, signed_in_at: session.created_at, admin_needs_mfa }
    }

    /// The caller's account as stored when the request was authenticated.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The caller's id.
    pub fn user_id(&self) -> UserId {
        self.user.id
    }

    /// The session the caller's access token belongs to.
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// How the session signed in.
    pub fn amr(&self) -> Amr {
        self.amr
    }

    /// When the session signed in (a login, a second step, a passkey or a provider's sign-in;
    /// a refresh does not move it).
    pub fn signed_in_at(&self) -> Timestamp {
        self.signed_in_at
    }

    /// Whether the stored role (never the token's claim) is admin.
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// Whether an admin's privileges wait for a two-factor session
    /// (`auth.require_mfa_for_admins`, and this session's `amr` has no `mfa`).
    pub fn admin_needs_mfa(&self) -> bool {
        self.is_admin() && self.admin_needs_mfa && !self.amr.is_multi_factor()
    }
}
