//! Personal access tokens: found by digest with their owner, listed while live, revoked once,
//! `last_used_at` moved only when stale, the limit held by racing creations, the purge, on every
//! backend and in memory.

use crate::contract::support::{t, user};
use chrono::Duration;
use domain::{
    NewPat, PatDigest, PatId, PatInsert, PatName, PatRepository, PatScopes, PersonalAccessToken, Timestamp, UserId, UserRepository,
};
use std::sync::Barrier;

/// What the token tests need of a store.
pub(crate) trait TokenStore: PatRepository + UserRepository + Sync {}

impl<T: PatRepository + UserRepository + Sync> TokenStore for T {}

fn owner(store: &impl TokenStore, n: u128) -> UserId {
    let owner = user(n, &format!("pat{n}@x.io"), t(0));
    UserRepository::insert(store, &owner, &crate::contract::support::hash("h"), &[]).unwrap();
    owner.id
}

fn token(n: u128, user: UserId, created: Timestamp, expires: Timestamp) -> PersonalAccessToken {
    PersonalAccessToken {
        id: PatId::from_uuid(crate::contract::support::uuid(n)),
        user_id: user,
        name: PatName::parse(&format!("token {n}")).unwrap(),
        scopes: PatScopes::from_space_separated("profile projects:read").unwrap(),
        created_at: created,
        expires_at: expires,
        last_used_at: None,
        revoked_at: None,
    }
}

fn digest(n: u128) -> PatDigest {
    PatDigest::new(format!("{n:064x}"))
}

fn insert(store: &impl TokenStore, token: &PersonalAccessToken, n: u128, max_live: u32) -> PatInsert {
    store.insert_capped(&NewPat { token, digest: &digest(n), max_live, audit: &[], mail: &[] }).unwrap()
}

fn a_token_is_found_by_its_digest_with_its_owner_and_listed_while_live(store: &impl TokenStore) {
    let ada = owner(store, 1);
    let kept = token(10, ada, t(0), t(100));
    assert_eq!(insert(store, &kept, 10, 50), PatInsert::Inserted);
    assert_eq!(insert(store, &token(11, ada, t(5), t(20)), 11, 50), PatInsert::Inserted);
    let (found, by) = store.find_by_digest(&digest(10)).unwrap().unwrap();
    assert_eq!((found, by.id), (kept.clone(), ada));
    assert!(store.find_by_digest(&digest(99)).unwrap().is_none());
    let live: Vec<PatId> = store.list_live(ada, t(10)).unwrap().iter().map(|p| p.id).collect();
    assert_eq!(live, [token(11, ada, t(5), t(20)).id, kept.id], "newest first");
    assert_eq!(store.list_live(ada, t(20)).unwrap().len(), 1, "expired at its expiry");
}

fn a_revocation_happens_once_and_only_for_the_owner(store: &impl TokenStore) {
    let ada = owner(store, 1);
    let bob = owner(store, 2);
    let pat = token(10, ada, t(0), t(100));
    insert(store, &pat, 10, 50);
    assert!(!store.revoke(bob, pat.id, t(1), &[]).unwrap(), "not Bob's");
    assert!(store.revoke(ada, pat.id, t(1), &[]).unwrap());
    assert!(!store.revoke(ada, pat.id, t(2), &[]).unwrap(), "once");
    assert_eq!(store.find_by_digest(&digest(10)).unwrap().unwrap().0.revoked_at, Some(t(1)));
    assert!(store.list_live(ada, t(1)).unwrap().is_empty());
}

fn a_use_is_recorded_only_when_the_last_is_stale(store: &impl TokenStore) {
    let ada = owner(store, 1);
    let pat = token(10, ada, t(0), t(1_000));
    insert(store, &pat, 10, 50);
    let used = |store: &dyn PatRepository| store.find_by_digest(&digest(10)).unwrap().unwrap().0.last_used_at;
    store.record_use(pat.id, t(10), t(10) - Duration::minutes(1)).unwrap();
    assert_eq!(used(store), Some(t(10)));
    store.record_use(pat.id, t(40), t(40) - Duration::minutes(1)).unwrap();
    assert_eq!(used(store), Some(t(10)), "within the minute: no write");
    store.record_use(pat.id, t(70), t(70) - Duration::minutes(1)).unwrap();
    assert_eq!(used(store), Some(t(70)));
}

fn the_limit_counts_live_tokens_and_holds_under_racing_creations(store: &impl TokenStore) {
    let ada = owner(store, 1);
    assert_eq!(insert(store, &token(10, ada, t(0), t(5)), 10, 2), PatInsert::Inserted);
    assert_eq!(insert(store, &token(11, ada, t(0), t(100)), 11, 2), PatInsert::Inserted);
    assert_eq!(insert(store, &token(12, ada, t(1), t(100)), 12, 2), PatInsert::AtLimit);
    assert_eq!(insert(store, &token(12, ada, t(6), t(100)), 12, 2), PatInsert::Inserted, "the first expired");
    let gone = UserId::from_uuid(crate::contract::support::uuid(77));
    assert_eq!(insert(store, &token(13, gone, t(6), t(100)), 13, 2), PatInsert::OwnerGone);

    const RACERS: u128 = 8;
    for round in 0..4_u128 {
        let bob = owner(store, 100 + round);
        let start = Barrier::new(RACERS as usize);
        let inserted = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|i| {
                    let start = &start;
                    let n = 1_000 + round * 100 + i;
                    s.spawn(move || {
                        let pat = token(n, bob, t(10), t(100));
                        start.wait();
                        insert(store, &pat, n, 3)
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).filter(|r| *r == PatInsert::Inserted).count()
        });
        assert_eq!(inserted, 3, "round {round}");
        assert_eq!(store.list_live(bob, t(10)).unwrap().len(), 3, "round {round}");
    }
}

fn the_purge_deletes_revoked_and_expired_tokens(store: &impl TokenStore) {
    let ada = owner(store, 1);
    for (n, expires) in [(10, 100), (11, 20), (12, 100)] {
        insert(store, &token(n, ada, t(0), t(expires)), n, 50);
    }
    store.revoke(ada, token(12, ada, t(0), t(100)).id, t(5), &[]).unwrap();
    assert_eq!(store.purge(t(30)).unwrap(), 2);
    assert!(store.find_by_digest(&digest(10)).unwrap().is_some());
    assert!(store.find_by_digest(&digest(11)).unwrap().is_none() && store.find_by_digest(&digest(12)).unwrap().is_none());
}

store_contract_tests!(
    a_token_is_found_by_its_digest_with_its_owner_and_listed_while_live,
    a_revocation_happens_once_and_only_for_the_owner,
    a_use_is_recorded_only_when_the_last_is_stale,
    the_limit_counts_live_tokens_and_holds_under_racing_creations,
    the_purge_deletes_revoked_and_expired_tokens,
);
