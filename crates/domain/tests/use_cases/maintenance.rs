use crate::support::World;
use domain::{AuditDetail, AuditEvent, AuditFilter, AuditKind, AuditLog, Clock, PageRequest, PurgeRun};

fn event(n: u128, at: domain::Timestamp) -> AuditEvent {
    AuditEvent {
        id: uuid::Uuid::from_u128(n),
        at,
        kind: AuditKind::Logout,
        user_id: None,
        actor_id: None,
        session_id: None,
        ip: None,
        user_agent: None,
        detail: AuditDetail::new(),
    }
}

#[test]
fn the_purge_deletes_security_events_past_their_retention_and_keeps_the_rest() {
    let w = World::new();
    let now = w.mem.clock.now();
    let retention = domain::SessionPolicy::default().audit_retention;
    w.mem.store.record(&event(1, now - retention - chrono::Duration::seconds(1))).unwrap();
    w.mem.store.record(&event(2, now - retention + chrono::Duration::seconds(1))).unwrap();

    assert_eq!(w.app.maintenance.purge("me", chrono::Duration::minutes(20)).unwrap(), PurgeRun::Purged(0), "no sessions to purge");
    let left = w.mem.store.list(&AuditFilter::default(), PageRequest::new(None, None).unwrap()).unwrap();
    assert_eq!(left.items.iter().map(|e| e.id.as_u128()).collect::<Vec<_>>(), vec![2]);
}

#[test]
fn a_purge_held_elsewhere_deletes_nothing() {
    let w = World::new();
    let now = w.mem.clock.now();
    w.mem.store.record(&event(1, now - chrono::Duration::days(3_650))).unwrap();
    assert!(matches!(w.app.maintenance.purge("a", chrono::Duration::minutes(20)).unwrap(), PurgeRun::Purged(_)));
    w.mem.store.record(&event(2, now - chrono::Duration::days(3_650))).unwrap();
    assert_eq!(w.app.maintenance.purge("b", chrono::Duration::minutes(20)).unwrap(), PurgeRun::HeldElsewhere);
    assert_eq!(w.mem.store.list(&AuditFilter::default(), PageRequest::new(None, None).unwrap()).unwrap().total, 1);
}
