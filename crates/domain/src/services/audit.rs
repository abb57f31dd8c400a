//! Building the events the use cases record.

use crate::model::{AuditDetail, AuditEvent, AuditKind, Client, UserId};
use crate::services::{Ports, Principal};

/// A new event of `kind` from `client`, now, about no account yet.
pub(crate) fn event(ports: &Ports, kind: AuditKind, client: &Client) -> AuditEvent {
    AuditEvent {
        id: ports.ids.new_id(),
        at: ports.clock.now(),
        kind,
        user_id: None,
        actor_id: None,
        session_id: None,
        ip: client.ip,
        user_agent: client.user_agent.clone(),
        detail: AuditDetail::new(),
    }
}

/// An event the principal caused on their own account, in their current session.
pub(crate) fn own(ports: &Ports, kind: AuditKind, principal: &Principal, client: &Client) -> AuditEvent {
    AuditEvent { user_id: Some(principal.user_id()), session_id: principal.session_id(), ..event(ports, kind, client) }
}

/// An event an admin caused on account `target`: `actor_id` names the admin. The admin's
/// session stays out of it, since the target's owner reads the event too.
pub(crate) fn by_admin(ports: &Ports, kind: AuditKind, admin: &Principal, target: UserId, client: &Client) -> AuditEvent {
    AuditEvent { user_id: Some(target), actor_id: Some(admin.user_id()), ..event(ports, kind, client) }
}
