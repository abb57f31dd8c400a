use crate::contract::Store;
use crate::contract::support::{digest, hash, mask, page, retired, session, t, user};
use domain::{InfraErrorKind, RefreshTokenState, Session, SessionRepository, UserAgent};
use domain::{Revocation, Rotation};

/// A store with one user (n = 1) in it.
fn store_with_user(store: &impl Store) -> domain::User {
    let ada = user(1, "ada@example.com", t(0));
    domain::UserRepository::insert(store, &ada, &hash("h"), &[]).unwrap();
    ada
}

fn a_new_session_is_found_by_its_digest_as_current(store: &impl Store) {
    let ada = store_with_user(store);
    let mut s = session(1, ada.id, t(0), t(3600));
    // The longest label the domain keeps, in multi-byte characters.
    s.user_agent = UserAgent::from_header(&"é".repeat(300));

    SessionRepository::insert(store, &s, &digest("one"), &[]).unwrap();

    assert_eq!(store.find_by_refresh_digest(&digest("one")).unwrap(), Some((s.clone(), RefreshTokenState::Current)));
    assert_eq!(store.find_by_refresh_digest(&digest("other")).unwrap(), None);
    assert_eq!(store.find_by_refresh_digest(&domain::RefreshTokenDigest::new("SHA256:ONE".into())).unwrap(), None, "digests match exactly");
}

fn a_session_of_an_unknown_user_is_an_error(store: &impl Store) {
    let ghost = user(9, "ghost@x.io", t(0));

    let result = SessionRepository::insert(store, &session(1, ghost.id, t(0), t(3600)), &digest("x"), &[]);

    assert_eq!(result.unwrap_err().kind(), InfraErrorKind::Internal);
    assert_eq!(store.find_by_refresh_digest(&digest("x")).unwrap(), None, "nothing half-written");
}

fn rotation_retires_the_presented_token_and_keeps_every_retired_one(store: &impl Store) {
    let ada = store_with_user(store);
    let s = session(1, ada.id, t(0), t(3600));
    SessionRepository::insert(store, &s, &digest("1"), &[]).unwrap();

    assert_eq!(store.rotate(s.id, &digest("1"), &digest("2"), &mask("2"), t(10)).unwrap(), Rotation::Rotated);
    let refused = store.rotate(s.id, &digest("1"), &digest("2b"), &mask("2b"), t(20)).unwrap();
    assert_eq!(refused, Rotation::Stale, "a retired token rotates no more");
    assert_eq!(store.rotate(s.id, &digest("2"), &digest("3"), &mask("3"), t(30)).unwrap(), Rotation::Rotated);

    // Each retired token keeps when it was exchanged and its successor's mask.
    let used = Session { last_used_at: t(30), ..s.clone() };
    assert_eq!(store.find_by_refresh_digest(&digest("1")).unwrap(), Some((used.clone(), retired(t(10), "2"))));
    assert_eq!(store.find_by_refresh_digest(&digest("2")).unwrap(), Some((used.clone(), retired(t(30), "3"))));
    assert_eq!(store.find_by_refresh_digest(&digest("3")).unwrap(), Some((used, RefreshTokenState::Current)));
    assert_eq!(store.find_by_refresh_digest(&digest("2b")).unwrap(), None, "a refused rotation stores nothing");
}

fn rotation_needs_a_live_session_and_its_current_token(store: &impl Store) {
    let ada = store_with_user(store);
    let live = session(1, ada.id, t(0), t(3600));
    let other = session(2, ada.id, t(0), t(3600));
    let revoked = session(3, ada.id, t(0), t(3600));
    SessionRepository::insert(store, &live, &digest("live"), &[]).unwrap();
    SessionRepository::insert(store, &other, &digest("other"), &[]).unwrap();
    SessionRepository::insert(store, &revoked, &digest("revoked"), &[]).unwrap();
    assert_eq!(store.revoke(revoked.id, t(5), &[]).unwrap(), Revocation::Revoked);

    assert_eq!(
        store.rotate(live.id, &digest("other"), &digest("n1"), &mask("n1"), t(10)).unwrap(),
        Rotation::Stale,
        "another session's token"
    );
    assert_eq!(store.rotate(live.id, &digest("unknown"), &digest("n2"), &mask("n2"), t(10)).unwrap(), Rotation::Stale);
    assert_eq!(store.rotate(revoked.id, &digest("revoked"), &digest("n3"), &mask("n3"), t(10)).unwrap(), Rotation::Stale);
    assert_eq!(
        store.rotate(live.id, &digest("live"), &digest("n4"), &mask("n4"), t(3600)).unwrap(),
        Rotation::Stale,
        "expired at its expiry instant"
    );

    assert_eq!(store.find_by_refresh_digest(&digest("live")).unwrap(), Some((live, RefreshTokenState::Current)), "untouched");
    for n in ["n1", "n2", "n3", "n4"] {
        assert_eq!(store.find_by_refresh_digest(&digest(n)).unwrap(), None);
    }
}

fn find_with_user_returns_both_in_one_look_up(store: &impl Store) {
    let ada = store_with_user(store);
    let s = session(1, ada.id, t(0), t(3600));
    SessionRepository::insert(store, &s, &digest("1"), &[]).unwrap();

    assert_eq!(store.find_with_user(s.id).unwrap(), Some((s, ada.clone())));
    assert_eq!(store.find_with_user(session(2, ada.id, t(0), t(1)).id).unwrap(), None);
}

fn list_live_is_most_recently_used_first_without_dead_sessions(store: &impl Store) {
    let ada = store_with_user(store);
    let bob = user(2, "bob@x.io", t(0));
    domain::UserRepository::insert(store, &bob, &hash("h"), &[]).unwrap();
    let used_at = |n, last: i64| Session { last_used_at: t(last), ..session(n, ada.id, t(0), t(3600)) };
    // 2 and 4 were last used at the same time: the larger id comes first.
    for (n, last) in [(1, 100), (2, 300), (3, 200), (4, 300)] {
        SessionRepository::insert(store, &used_at(n, last), &digest(&format!("d{n}")), &[]).unwrap();
    }
    SessionRepository::insert(store, &session(5, ada.id, t(0), t(50)), &digest("expired"), &[]).unwrap();
    SessionRepository::insert(store, &session(6, ada.id, t(0), t(3600)), &digest("revoked"), &[]).unwrap();
    store.revoke(session(6, ada.id, t(0), t(0)).id, t(1), &[]).unwrap();
    SessionRepository::insert(store, &session(7, bob.id, t(0), t(3600)), &digest("bob"), &[]).unwrap();

    let listed = store.list_live(ada.id, t(60), page(10, 0)).unwrap();
    let ids: Vec<_> = listed.items.iter().map(|s| s.id).collect();
    let expected: Vec<_> = [4, 2, 3, 1].iter().map(|n| session(*n, ada.id, t(0), t(0)).id).collect();
    assert_eq!(ids, expected);
    assert_eq!(listed.total, 4);
    assert_eq!(listed.items[0], used_at(4, 300));

    let second = store.list_live(ada.id, t(60), page(2, 2)).unwrap();
    assert_eq!(second.items.iter().map(|s| s.id).collect::<Vec<_>>(), expected[2..]);
    assert_eq!(second.total, 4);
    assert_eq!(store.list_live(ada.id, t(60), page(2, 8)).unwrap().total, 4, "past the end");
    assert_eq!(store.list_live(ada.id, t(3600), page(10, 0)).unwrap().total, 0, "all expired by then");
}

fn revoke_takes_effect_once(store: &impl Store) {
    let ada = store_with_user(store);
    let s = session(1, ada.id, t(0), t(3600));
    SessionRepository::insert(store, &s, &digest("1"), &[]).unwrap();

    assert_eq!(store.revoke(s.id, t(10), &[]).unwrap(), Revocation::Revoked);
    assert_eq!(store.revoke(s.id, t(20), &[]).unwrap(), Revocation::Unchanged);

    let (found, _) = store.find_with_user(s.id).unwrap().unwrap();
    assert_eq!(found.revoked_at, Some(t(10)), "the first revocation time stays");
    assert_eq!(store.revoke(session(2, ada.id, t(0), t(1)).id, t(10), &[]).unwrap(), Revocation::Unchanged, "unknown session");
}

fn revoke_all_spares_the_kept_session_and_other_users(store: &impl Store) {
    let ada = store_with_user(store);
    let bob = user(2, "bob@x.io", t(0));
    domain::UserRepository::insert(store, &bob, &hash("h"), &[]).unwrap();
    for n in 1..=4 {
        SessionRepository::insert(store, &session(n, ada.id, t(0), t(3600)), &digest(&format!("a{n}")), &[]).unwrap();
    }
    SessionRepository::insert(store, &session(5, bob.id, t(0), t(3600)), &digest("b"), &[]).unwrap();
    store.revoke(session(4, ada.id, t(0), t(0)).id, t(1), &[]).unwrap();
    let keep = session(1, ada.id, t(0), t(0)).id;

    assert_eq!(store.revoke_all(ada.id, Some(keep), t(10), &[]).unwrap(), 2, "sessions 2 and 3; 4 was revoked already");

    assert_eq!(store.list_live(ada.id, t(10), page(10, 0)).unwrap().items.iter().map(|s| s.id).collect::<Vec<_>>(), [keep]);
    assert_eq!(store.list_live(bob.id, t(10), page(10, 0)).unwrap().total, 1);
    let (four, _) = store.find_with_user(session(4, ada.id, t(0), t(0)).id).unwrap().unwrap();
    assert_eq!(four.revoked_at, Some(t(1)), "an earlier revocation is not overwritten");
    assert_eq!(store.revoke_all(ada.id, None, t(20), &[]).unwrap(), 1);
    assert_eq!(store.list_live(ada.id, t(20), page(10, 0)).unwrap().total, 0);
}

fn revoke_oldest_beyond_keeps_the_newest_live_sessions(store: &impl Store) {
    let ada = store_with_user(store);
    // Live sessions created at 10, 20, 20, 30, 40 (the two at 20 ordered by id: 2 before 3).
    for (n, created) in [(5, 40), (3, 20), (1, 10), (4, 30), (2, 20)] {
        SessionRepository::insert(store, &session(n, ada.id, t(created), t(3600)), &digest(&format!("d{n}")), &[]).unwrap();
    }
    SessionRepository::insert(store, &session(6, ada.id, t(0), t(3600)), &digest("revoked"), &[]).unwrap();
    store.revoke(session(6, ada.id, t(0), t(0)).id, t(1), &[]).unwrap();
    SessionRepository::insert(store, &session(7, ada.id, t(0), t(50)), &digest("expired"), &[]).unwrap();

    assert_eq!(store.revoke_oldest_beyond(ada.id, 10, t(60)).unwrap(), 0);
    assert_eq!(store.revoke_oldest_beyond(ada.id, 2, t(60)).unwrap(), 3);

    let mut live: Vec<_> = store.list_live(ada.id, t(60), page(10, 0)).unwrap().items.iter().map(|s| s.id).collect();
    live.sort();
    assert_eq!(live, [session(4, ada.id, t(0), t(0)).id, session(5, ada.id, t(0), t(0)).id]);
    let (two, _) = store.find_with_user(session(2, ada.id, t(0), t(0)).id).unwrap().unwrap();
    assert_eq!(two.revoked_at, Some(t(60)));
    assert_eq!(store.revoke_oldest_beyond(ada.id, 0, t(60)).unwrap(), 2);
}

fn purge_deletes_revoked_and_expired_sessions_with_their_digests(store: &impl Store) {
    let ada = store_with_user(store);
    let live = session(1, ada.id, t(0), t(3600));
    SessionRepository::insert(store, &live, &digest("live"), &[]).unwrap();
    SessionRepository::insert(store, &session(2, ada.id, t(0), t(3600)), &digest("revoked"), &[]).unwrap();
    store.rotate(session(2, ada.id, t(0), t(0)).id, &digest("revoked"), &digest("revoked-next"), &mask("revoked-next"), t(5)).unwrap();
    store.revoke(session(2, ada.id, t(0), t(0)).id, t(10), &[]).unwrap();
    SessionRepository::insert(store, &session(3, ada.id, t(0), t(100)), &digest("expired"), &[]).unwrap();
    SessionRepository::insert(store, &session(4, ada.id, t(0), t(101)), &digest("live-until-101"), &[]).unwrap();

    assert_eq!(SessionRepository::purge(store, t(100)).unwrap(), 2);

    for gone in ["revoked", "revoked-next", "expired"] {
        assert_eq!(store.find_by_refresh_digest(&digest(gone)).unwrap(), None, "{gone}");
    }
    assert_eq!(store.find_by_refresh_digest(&digest("live")).unwrap(), Some((live, RefreshTokenState::Current)));
    assert!(store.find_by_refresh_digest(&digest("live-until-101")).unwrap().is_some());
    assert_eq!(SessionRepository::purge(store, t(100)).unwrap(), 0);
}

store_contract_tests!(
    a_new_session_is_found_by_its_digest_as_current,
    a_session_of_an_unknown_user_is_an_error,
    rotation_retires_the_presented_token_and_keeps_every_retired_one,
    rotation_needs_a_live_session_and_its_current_token,
    find_with_user_returns_both_in_one_look_up,
    list_live_is_most_recently_used_first_without_dead_sessions,
    revoke_takes_effect_once,
    revoke_all_spares_the_kept_session_and_other_users,
    revoke_oldest_beyond_keeps_the_newest_live_sessions,
    purge_deletes_revoked_and_expired_sessions_with_their_digests,
);
