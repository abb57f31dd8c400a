use crate::model::{Role, SessionId, User, UserId};

/// An authenticated caller: a live session of an active user, as stored right now. Only
/// [`AuthService::authenticate`](crate::AuthService::authenticate) makes one, so holding one
/// proves the check was done.
#[derive(Debug, Clone)]
pub struct Principal {
    user: User,
    session_id: SessionId,
}

impl Principal {
    pub(crate) fn new(user: User, session_id: SessionId) -> Self {
        Self { user, session_id }
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

    /// Whether the stored role (never the token's claim) is admin.
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}
