use crate::contract::Store;
use crate::contract::support::{digest, hash, page, session, t, user, uuid};
use domain::{
    AdminChanges, AdminWrite, AuditDetail, AuditEvent, AuditFilter, AuditKind, AuditLog, PasswordWrite, ProfileChanges, SessionId,
    SessionRepository, UserAgent, UserDelete, UserId, UserRepository, UserWrite,
};

fn event(n: u128, kind: AuditKind, user: Option<UserId>, at: domain::Timestamp) -> AuditEvent {
    AuditEvent {
        id: uuid(5_000 + n),
        at,
        kind,
        user_id: user,
        actor_id: None,
        session_id: None,
        ip: None,
        user_agent: None,
        detail: AuditDetail::new(),
    }
}

fn an_event_reads_back_equal_with_every_field(store: &impl Store) {
    let audit: &dyn AuditLog = store;
    let ada = UserId::from_uuid(uuid(1));
    let full = AuditEvent {
        actor_id: Some(UserId::from_uuid(uuid(2))),
        session_id: Some(SessionId::from_uuid(uuid(3))),
        ip: Some("2001:db8::7".parse().unwrap()),
        user_agent: UserAgent::from_header("curl/8 é"),
        detail: AuditDetail::new().word("role", "admin").flag("is_active", false).count("sessions_revoked", 3),
        ..event(1, AuditKind::UserUpdated, Some(ada), t(10) + chrono::Duration::nanoseconds(789))
    };
    audit.record(&full).unwrap();
    audit.record(&event(2, AuditKind::LoginFailed, None, t(5))).unwrap();

    let listed = audit.list(&AuditFilter::default(), page(10, 0)).unwrap();
    assert_eq!(listed.total, 2);
    let expected = AuditEvent { at: domain::truncate_to_micros(full.at), ..full };
    assert_eq!(listed.items, vec![expected, event(2, AuditKind::LoginFailed, None, t(5))], "newest first, every field back");
}

fn filters_and_pages_are_newest_first(store: &impl Store) {
    let audit: &dyn AuditLog = store;
    let (ada, bob) = (UserId::from_uuid(uuid(1)), UserId::from_uuid(uuid(2)));
    for n in 0..6 {
        let who = if n % 2 == 0 { ada } else { bob };
        let kind = if n < 3 { AuditKind::LoginSucceeded } else { AuditKind::Logout };
        audit.record(&event(n, kind, Some(who), t(i64::try_from(n).unwrap()))).unwrap();
    }
    // Two events at one instant: the id breaks the tie, descending too.
    audit.record(&event(10, AuditKind::Logout, Some(ada), t(5))).unwrap();

    let ids = |filter: AuditFilter, limit, offset| {
        let page = audit.list(&filter, page(limit, offset)).unwrap();
        (page.total, page.items.iter().map(|e| e.id.as_u128() - uuid(5_000).as_u128()).collect::<Vec<_>>())
    };
    assert_eq!(ids(AuditFilter::default(), 3, 0), (7, vec![10, 5, 4]));
    assert_eq!(ids(AuditFilter::default(), 3, 3), (7, vec![3, 2, 1]));
    assert_eq!(ids(AuditFilter { user_id: Some(ada), ..AuditFilter::default() }, 10, 0), (4, vec![10, 4, 2, 0]));
    assert_eq!(ids(AuditFilter { kind: Some(AuditKind::LoginSucceeded), ..AuditFilter::default() }, 10, 0), (3, vec![2, 1, 0]));
    let window = AuditFilter { since: Some(t(2)), until: Some(t(5)), ..AuditFilter::default() };
    assert_eq!(ids(window, 10, 0), (3, vec![4, 3, 2]), "since inclusive, until exclusive");
    let both = AuditFilter { user_id: Some(bob), kind: Some(AuditKind::Logout), ..AuditFilter::default() };
    assert_eq!(ids(both, 10, 0), (2, vec![5, 3]));
}

fn purge_deletes_only_older_events(store: &impl Store) {
    let audit: &dyn AuditLog = store;
    for n in 0..4 {
        audit.record(&event(n, AuditKind::Logout, None, t(i64::try_from(n).unwrap() * 10))).unwrap();
    }
    assert_eq!(audit.purge(t(20)).unwrap(), 2);
    assert_eq!(audit.purge(t(20)).unwrap(), 0);
    assert_eq!(audit.list(&AuditFilter::default(), page(10, 0)).unwrap().total, 2);
}

fn an_accounts_events_outlive_it(store: &impl Store) {
    let ada = user(1, "ada@x.io", t(0));
    UserRepository::insert(store, &ada, &hash("h"), &[]).unwrap();
    AuditLog::record(store, &event(1, AuditKind::UserDeleted, Some(ada.id), t(1))).unwrap();
    UserRepository::delete(store, ada.id, &[]).unwrap();
    let filter = AuditFilter { user_id: Some(ada.id), ..AuditFilter::default() };
    assert_eq!(AuditLog::list(store, &filter, page(10, 0)).unwrap().total, 1);
}

fn a_write_and_its_events_commit_together_or_not_at_all(store: &impl Store) {
    let ada = user(1, "ada@x.io", t(0));
    let opened =
        |n| AuditEvent { session_id: Some(session(n, ada.id, t(0), t(60)).id), ..event(n, AuditKind::LoginSucceeded, Some(ada.id), t(1)) };
    // The account does not exist yet: the session's foreign key fails, and its event is not kept.
    assert!(SessionRepository::insert(store, &session(1, ada.id, t(0), t(60)), &digest("one"), &[opened(1)]).is_err());
    assert_eq!(AuditLog::list(store, &AuditFilter::default(), page(10, 0)).unwrap().total, 0);
    UserRepository::insert(store, &ada, &hash("h"), &[]).unwrap();
    SessionRepository::insert(store, &session(2, ada.id, t(0), t(60)), &digest("two"), &[opened(2)]).unwrap();
    let kept = AuditLog::list(store, &AuditFilter::default(), page(10, 0)).unwrap();
    assert_eq!(kept.items, vec![opened(2)]);
}

/// The other way round: an event that cannot be stored (its id is taken) undoes the session
/// it was written with; and a write with several events keeps each of them.
fn an_event_that_fails_takes_its_session_with_it(store: &impl Store) {
    let ada = user(1, "ada@x.io", t(0));
    UserRepository::insert(store, &ada, &hash("h"), &[]).unwrap();
    let opened = |n| event(n, AuditKind::LoginSucceeded, Some(ada.id), t(1));
    AuditLog::record(store, &opened(1)).unwrap();

    let refused = SessionRepository::insert(store, &session(1, ada.id, t(0), t(60)), &digest("one"), &[opened(2), opened(1)]);
    assert!(refused.is_err(), "the second event's id is taken");
    assert_eq!(store.find_by_refresh_digest(&digest("one")).unwrap(), None, "no session without its events");
    assert_eq!(AuditLog::list(store, &AuditFilter::default(), page(10, 0)).unwrap().items, vec![opened(1)], "nor half of them");

    SessionRepository::insert(store, &session(2, ada.id, t(0), t(60)), &digest("two"), &[opened(3), opened(4)]).unwrap();
    assert!(store.find_by_refresh_digest(&digest("two")).unwrap().is_some());
    let kept = AuditLog::list(store, &AuditFilter::default(), page(10, 0)).unwrap().items;
    assert_eq!(kept, vec![opened(4), opened(3), opened(1)]);
}

/// Every account write records its events only when it changed what it names: a refused or
/// empty write leaves no event behind.
fn account_writes_record_their_events_only_when_they_take_effect(store: &impl Store) {
    let users: &dyn UserRepository = store;
    let ev = |n, kind| event(n, kind, None, t(1));
    let root = domain::User { role: domain::Role::Admin, ..user(1, "root@x.io", t(0)) };
    let ada = user(2, "ada@x.io", t(0));
    users.insert(&root, &hash("r"), &[ev(1, AuditKind::AdminCreated)]).unwrap();
    users.insert(&ada, &hash("a"), &[ev(2, AuditKind::UserRegistered)]).unwrap();
    let twin = user(3, "ada@x.io", t(0));
    assert!(users.insert(&twin, &hash("t"), &[ev(3, AuditKind::UserRegistered)]).is_err(), "the email is taken");

    let gone = user(9, "gone@x.io", t(0)).id;
    let email = ProfileChanges { email: Some(domain::Email::parse("ada2@x.io").unwrap()), ..ProfileChanges::default() };
    assert_eq!(users.update_profile(gone, &email, t(2), &[ev(4, AuditKind::EmailChanged)]).unwrap(), UserWrite::NotFound);
    assert!(users.update_profile(root.id, &email, t(2), &[ev(5, AuditKind::EmailChanged)]).is_ok());
    let taken = email.clone(); // root's address now
    assert!(users.update_profile(ada.id, &taken, t(2), &[ev(6, AuditKind::EmailChanged)]).is_err(), "taken meanwhile");

    let demote = AdminChanges { role: Some(domain::Role::User), ..AdminChanges::default() };
    let promote = AdminChanges { role: Some(domain::Role::Admin), ..AdminChanges::default() };
    assert_eq!(users.update_by_admin(root.id, &demote, t(3), &[ev(7, AuditKind::UserUpdated)]).unwrap(), AdminWrite::LastActiveAdmin);
    assert!(matches!(
        users.update_by_admin(root.id, &promote, t(3), &[ev(8, AuditKind::UserUpdated)]).unwrap(),
        AdminWrite::Updated { changed: false, .. }
    ));
    assert!(matches!(
        users.update_by_admin(ada.id, &promote, t(3), &[ev(9, AuditKind::UserUpdated)]).unwrap(),
        AdminWrite::Updated { changed: true, .. }
    ));

    assert_eq!(
        users.set_password_hash(gone, &hash("x"), None, t(4), &[ev(10, AuditKind::PasswordChanged)]).unwrap(),
        PasswordWrite::NotFound
    );
    assert_eq!(
        users.set_password_hash(ada.id, &hash("b"), None, t(4), &[ev(11, AuditKind::PasswordChanged)]).unwrap(),
        PasswordWrite::Replaced
    );

    assert_eq!(users.delete(gone, &[ev(12, AuditKind::UserDeleted)]).unwrap(), UserDelete::NotFound);
    assert_eq!(users.delete(ada.id, &[ev(13, AuditKind::UserDeleted)]).unwrap(), UserDelete::Deleted);
    assert_eq!(users.delete(root.id, &[ev(14, AuditKind::UserDeleted)]).unwrap(), UserDelete::LastActiveAdmin);

    // Newest first; all at one time, so by id: reversed, the order they were written in.
    let kept = AuditLog::list(store, &AuditFilter::default(), page(100, 0)).unwrap().items;
    let kept: Vec<_> = kept.into_iter().rev().map(|e| e.id).collect();
    assert_eq!(kept, [1, 2, 5, 9, 11, 13].map(|n| uuid(5_000 + n)), "exactly the writes that took effect left their events");
}

store_contract_tests!(
    account_writes_record_their_events_only_when_they_take_effect,
    a_revocation_records_its_events_once_and_revoke_all_always,
    a_write_and_its_events_commit_together_or_not_at_all,
    an_event_reads_back_equal_with_every_field,
    filters_and_pages_are_newest_first,
    purge_deletes_only_older_events,
    an_accounts_events_outlive_it,
);

/// On the databases only: their primary key is what refuses a taken event id (the in-memory
/// store trusts the ids, which are fresh UUIDv7s).
mod database_keys {
    use super::an_event_that_fails_takes_its_session_with_it;
    per_backend!(infra_diesel::Database::store; an_event_that_fails_takes_its_session_with_it);
}

fn a_revocation_records_its_events_once_and_revoke_all_always(store: &impl Store) {
    let ada = user(1, "ada@x.io", t(0));
    UserRepository::insert(store, &ada, &hash("h"), &[]).unwrap();
    let s = session(1, ada.id, t(0), t(60));
    SessionRepository::insert(store, &s, &digest("one"), &[]).unwrap();
    let ended = |n| AuditEvent { session_id: Some(s.id), ..event(n, AuditKind::Logout, Some(ada.id), t(2)) };
    assert_eq!(SessionRepository::revoke(store, s.id, t(2), &[ended(1)]).unwrap(), domain::Revocation::Revoked);
    assert_eq!(SessionRepository::revoke(store, s.id, t(3), &[ended(2)]).unwrap(), domain::Revocation::Unchanged);
    let all = |n| event(n, AuditKind::LogoutAll, Some(ada.id), t(4));
    assert_eq!(SessionRepository::revoke_all(store, ada.id, None, t(4), &[all(3)]).unwrap(), 0);
    let kept = AuditLog::list(store, &AuditFilter::default(), page(10, 0)).unwrap();
    assert_eq!(kept.items, vec![all(3), ended(1)], "the second revoke changed nothing and recorded nothing");
}
