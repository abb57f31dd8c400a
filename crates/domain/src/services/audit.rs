//! Building the events the use cases record.

use crate::model::{AuditDetail, AuditEvent, AuditKind, Client};
use crate::services::Ports;

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
