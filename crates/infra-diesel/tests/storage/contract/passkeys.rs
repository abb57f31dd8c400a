//! Passkeys and their ceremonies' challenges: a passkey reads back equal and is found by its
//! credential id (byte-wise), an account holds at most 20 (also under racing registrations), a
//! credential is registered once, a removal never takes the last way in (also under racing
//! removals), a sign-in's counter only moves forward, a challenge is taken by exactly one of
//! racing takers, and the passkeys count in the second factors' status and removal, an identity's
//! unlink and an account's deletion; on every backend and in memory.

use crate::contract::support::{hash, page, t, user, uuid};
use domain::{
    AuditDetail, AuditEvent, AuditFilter, AuditKind, AuditLog, CeremonyPurpose, Email, Identity, IdentityId, IdentityLink,
    IdentityRepository, Passkey, PasskeyAdded, PasskeyChallenge, PasskeyId, PasskeyName, PasskeyRemoved, PasskeyRules, PasskeyStore,
    PasskeyUse, PasswordHash, ProviderId, SecondFactorStore, Timestamp, Unlink, UserDelete, UserId, UserRepository,
};
use std::sync::Barrier;

/// What the passkey tests need of a store.
pub(crate) trait KeyStore: PasskeyStore + SecondFactorStore + IdentityRepository + UserRepository + AuditLog + Sync {}

impl<T: PasskeyStore + SecondFactorStore + IdentityRepository + UserRepository + AuditLog + Sync> KeyStore for T {}

/// Threads released at once in each race.
const RACERS: usize = 8;

fn account(store: &impl KeyStore, n: u128, password: &PasswordHash) -> UserId {
    let account = user(n, &format!("pk{n}@x.io"), t(0));
    UserRepository::insert(store, &account, password, &[]).unwrap();
    account.id
}

/// Passkey `n` of `user`: a credential of several KB, a credential id that needs a byte-wise
/// comparison (`-`, `_`, both cases), registered at `n` seconds.
fn passkey(n: u128, user_id: UserId) -> Passkey {
    Passkey {
        id: PasskeyId::from_uuid(uuid(10_000 + n)),
        user_id,
        credential_id: format!("Cr-{n}_aZ"),
        name: PasskeyName::parse(&format!("Key {n} ✓")).unwrap(),
        credential: format!("{{\"cred\":{n},\"key\":\"{}\"}}", "pQ".repeat(4_000)),
        counter: 0,
        backed_up: n.is_multiple_of(2),
        transports: vec!["usb".to_owned(), "hybrid".to_owned()],
        created_at: t(i64::try_from(n).unwrap()),
        last_used_at: None,
    }
}

fn challenge(n: u128, purpose: CeremonyPurpose, expires_at: Timestamp) -> PasskeyChallenge {
    PasskeyChallenge {
        id: uuid(20_000 + n),
        purpose,
        state: format!("{{\"challenge\":{n},\"exclude\":\"{}\"}}", "x".repeat(6_000)),
        expires_at,
    }
}

fn event(n: u128, kind: AuditKind, user: UserId) -> AuditEvent {
    AuditEvent {
        id: uuid(30_000 + n),
        at: t(1),
        kind,
        user_id: Some(user),
        actor_id: None,
        session_id: None,
        ip: None,
        user_agent: None,
        detail: AuditDetail::new(),
    }
}

/// How many events of `kind` were recorded.
fn recorded(store: &impl KeyStore, kind: AuditKind) -> u64 {
    AuditLog::list(store, &AuditFilter { kind: Some(kind), ..AuditFilter::default() }, page(100, 0)).unwrap().total
}

fn keys(store: &impl KeyStore, user: UserId) -> Vec<Passkey> {
    PasskeyStore::list(store, user).unwrap()
}

fn a_passkey_reads_back_equal_and_is_found_by_its_credential_id(store: &impl KeyStore) {
    let (ada, bob) = (account(store, 1, &hash("h")), account(store, 2, &hash("h")));
    let (later, earlier) = (passkey(2, ada), passkey(1, ada));
    let bare = Passkey { transports: Vec::new(), ..passkey(3, bob) };
    assert_eq!(store.add(&later, &[event(1, AuditKind::PasskeyAdded, ada)]).unwrap(), PasskeyAdded::Added);
    assert_eq!(store.add(&earlier, &[]).unwrap(), PasskeyAdded::Added);
    assert_eq!(store.add(&bare, &[]).unwrap(), PasskeyAdded::Added);
    assert_eq!(keys(store, ada), [earlier.clone(), later.clone()], "every field, oldest first");
    assert_eq!(keys(store, bob), std::slice::from_ref(&bare), "no transports");
    assert_eq!(store.find_by_credential("Cr-2_aZ").unwrap(), Some(later));
    assert_eq!(store.find_by_credential("Cr-3_aZ").unwrap(), Some(bare));
    assert_eq!(store.find_by_credential("cr-2_az").unwrap(), None, "base64url is case-sensitive");
    assert_eq!(store.find_by_credential("Cr-9_aZ").unwrap(), None);
    assert_eq!(recorded(store, AuditKind::PasskeyAdded), 1);
    assert!(keys(store, account(store, 3, &hash("h"))).is_empty());
}

fn an_account_holds_at_most_20_passkeys(store: &impl KeyStore) {
    let (ada, bob) = (account(store, 1, &hash("h")), account(store, 2, &hash("h")));
    let max = u128::from(PasskeyRules::MAX_PER_ACCOUNT);
    for n in 0..max {
        assert_eq!(store.add(&passkey(n, ada), &[]).unwrap(), PasskeyAdded::Added, "passkey {n}");
    }
    let over = event(1, AuditKind::PasskeyAdded, ada);
    assert_eq!(store.add(&passkey(max, ada), &[over]).unwrap(), PasskeyAdded::LimitReached);
    assert_eq!(keys(store, ada).len(), 20);
    assert!(store.find_by_credential(&passkey(max, ada).credential_id).unwrap().is_none(), "nothing written");
    assert_eq!(recorded(store, AuditKind::PasskeyAdded), 0, "no event either");
    assert_eq!(store.add(&passkey(100, bob), &[]).unwrap(), PasskeyAdded::Added, "another account's own limit");
}

fn a_credential_is_registered_once(store: &impl KeyStore) {
    let (ada, bob) = (account(store, 1, &hash("h")), account(store, 2, &hash("h")));
    let held = passkey(1, ada);
    assert_eq!(store.add(&held, &[]).unwrap(), PasskeyAdded::Added);
    let stolen = Passkey { id: PasskeyId::from_uuid(uuid(10_900)), user_id: bob, ..held.clone() };
    assert_eq!(store.add(&stolen, &[event(1, AuditKind::PasskeyAdded, bob)]).unwrap(), PasskeyAdded::Duplicate);
    let again = Passkey { id: PasskeyId::from_uuid(uuid(10_901)), ..held.clone() };
    assert_eq!(store.add(&again, &[]).unwrap(), PasskeyAdded::Duplicate, "the same account's too");
    assert!(keys(store, bob).is_empty());
    assert_eq!(keys(store, ada), std::slice::from_ref(&held));
    assert_eq!(store.find_by_credential(&held.credential_id).unwrap().unwrap().user_id, ada);
    assert_eq!(recorded(store, AuditKind::PasskeyAdded), 0);
}

fn a_passkey_is_renamed_by_its_owner_only(store: &impl KeyStore) {
    let (ada, bob) = (account(store, 1, &hash("h")), account(store, 2, &hash("h")));
    let key = passkey(1, ada);
    store.add(&key, &[]).unwrap();
    let name = PasskeyName::parse("YubiKey 5C").unwrap();
    let renamed = store.rename(ada, key.id, &name).unwrap().unwrap();
    assert_eq!(renamed, Passkey { name: name.clone(), ..key.clone() });
    assert_eq!(keys(store, ada), std::slice::from_ref(&renamed));
    assert_eq!(store.rename(bob, key.id, &PasskeyName::parse("Mine").unwrap()).unwrap(), None, "another account's");
    assert_eq!(store.rename(ada, PasskeyId::from_uuid(uuid(10_999)), &name).unwrap(), None, "unknown");
    assert_eq!(keys(store, ada), [renamed], "unchanged");
}

fn a_removal_never_takes_the_last_way_in(store: &impl KeyStore) {
    let removed = |n| [event(n, AuditKind::PasskeyRemoved, UserId::from_uuid(uuid(0)))];
    let with_password = account(store, 1, &hash("h"));
    let passwordless = account(store, 2, &PasswordHash::none());
    let (own, only) = (passkey(1, with_password), passkey(2, passwordless));
    store.add(&own, &[]).unwrap();
    store.add(&only, &[]).unwrap();
    assert_eq!(store.remove(passwordless, own.id, &removed(1)).unwrap(), PasskeyRemoved::NotFound, "another account's");
    assert_eq!(store.remove(with_password, PasskeyId::from_uuid(uuid(10_999)), &removed(2)).unwrap(), PasskeyRemoved::NotFound);
    assert_eq!(store.remove(passwordless, only.id, &removed(3)).unwrap(), PasskeyRemoved::LastWayIn);
    assert_eq!(keys(store, passwordless), std::slice::from_ref(&only), "nothing written");
    assert_eq!(recorded(store, AuditKind::PasskeyRemoved), 0, "no event either");
    assert_eq!(store.remove(with_password, own.id, &removed(4)).unwrap(), PasskeyRemoved::Removed, "the password still signs in");
    assert!(keys(store, with_password).is_empty());
    assert_eq!(recorded(store, AuditKind::PasskeyRemoved), 1);
    assert_eq!(store.remove(with_password, own.id, &removed(5)).unwrap(), PasskeyRemoved::NotFound, "once");

    // A linked identity signs in too, and a passkey keeps the last identity linked.
    let identity = Identity {
        id: IdentityId::from_uuid(uuid(40_000)),
        user_id: passwordless,
        provider: ProviderId::parse("acme").unwrap(),
        issuer: "https://sso.example".into(),
        subject: "s-1".into(),
        email: Some(Email::parse("sso@x.io").unwrap()),
        linked_at: t(5),
        last_sign_in_at: None,
    };
    assert_eq!(store.link(&identity, &[]).unwrap(), IdentityLink::Linked);
    assert_eq!(store.unlink(passwordless, identity.id, &[]).unwrap(), Unlink::Unlinked, "the passkey still signs in");
    assert_eq!(store.link(&identity, &[]).unwrap(), IdentityLink::Linked);
    assert_eq!(store.remove(passwordless, only.id, &removed(6)).unwrap(), PasskeyRemoved::Removed, "the identity still signs in");
    assert_eq!(store.unlink(passwordless, identity.id, &[]).unwrap(), Unlink::LastWayIn);
}

fn a_sign_in_moves_the_counter_forward_only(store: &impl KeyStore) {
    let ada = account(store, 1, &hash("h"));
    let (no_counter, counting) = (passkey(1, ada), Passkey { counter: 5, ..passkey(2, ada) });
    store.add(&no_counter, &[]).unwrap();
    store.add(&counting, &[]).unwrap();
    let used = |key: &Passkey, counter, backed_up, at| PasskeyUse { id: key.id, counter, backed_up, now: t(at) };
    let stored = |key: &Passkey| store.find_by_credential(&key.credential_id).unwrap().unwrap();

    assert!(store.record_use(used(&no_counter, 0, true, 10)).unwrap(), "0 to 0: the authenticator keeps none");
    assert_eq!(stored(&no_counter), Passkey { backed_up: true, last_used_at: Some(t(10)), ..no_counter.clone() });

    assert!(!store.record_use(used(&counting, 5, false, 20)).unwrap(), "the same counter");
    assert!(!store.record_use(used(&counting, 4, false, 20)).unwrap(), "a lower one");
    assert!(!store.record_use(used(&counting, 0, false, 20)).unwrap(), "back to zero");
    assert_eq!(stored(&counting), counting, "nothing written");
    assert!(store.record_use(used(&counting, 6, true, 30)).unwrap());
    assert_eq!(stored(&counting), Passkey { counter: 6, backed_up: true, last_used_at: Some(t(30)), ..counting.clone() });
    assert!(store.record_use(used(&counting, u32::MAX, true, 40)).unwrap(), "the whole u32 range");
    assert_eq!(stored(&counting).counter, u32::MAX);
    assert!(!store.record_use(used(&counting, u32::MAX, true, 50)).unwrap());

    assert!(store.record_use(used(&no_counter, 1, true, 60)).unwrap(), "an authenticator that starts counting");
    assert!(!store.record_use(used(&no_counter, 0, true, 70)).unwrap(), "and then stops: a clone");
    let unknown = Passkey { id: PasskeyId::from_uuid(uuid(10_999)), ..no_counter };
    assert!(!store.record_use(used(&unknown, 9, true, 80)).unwrap());
}

fn a_challenge_is_taken_once_even_by_racing_takers(store: &impl KeyStore) {
    let ada = account(store, 1, &hash("h"));
    let made = [
        challenge(1, CeremonyPurpose::Register(ada), t(300)),
        challenge(2, CeremonyPurpose::SignIn, t(300)),
        challenge(3, CeremonyPurpose::SecondStep(ada), t(300)),
    ];
    for c in &made {
        PasskeyStore::insert_challenge(store, c).unwrap();
    }
    for c in &made {
        assert_eq!(store.take_challenge(c.id).unwrap(), Some(c.clone()), "every field and purpose");
        assert_eq!(store.take_challenge(c.id).unwrap(), None, "once");
    }
    assert_eq!(store.take_challenge(uuid(29_999)).unwrap(), None, "unknown");
    let expired = challenge(4, CeremonyPurpose::SignIn, t(-1));
    PasskeyStore::insert_challenge(store, &expired).unwrap();
    assert_eq!(store.take_challenge(expired.id).unwrap(), Some(expired), "an expired one is taken and returned");

    for round in 0..20_u128 {
        let racing = challenge(100 + round, CeremonyPurpose::SignIn, t(300));
        PasskeyStore::insert_challenge(store, &racing).unwrap();
        let start = Barrier::new(RACERS);
        let taken: Vec<Option<PasskeyChallenge>> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|_| {
                    let (start, id) = (&start, racing.id);
                    s.spawn(move || {
                        start.wait();
                        store.take_challenge(id).unwrap()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let winners: Vec<_> = taken.into_iter().flatten().collect();
        assert_eq!(winners, [racing], "round {round}");
    }
}

fn racing_registrations_never_pass_the_limit(store: &impl KeyStore) {
    let max = u128::from(PasskeyRules::MAX_PER_ACCOUNT);
    for round in 0..3_u128 {
        let owner = account(store, 10 + round, &hash("h"));
        let base = round * 1_000;
        for n in 0..max - 1 {
            assert_eq!(store.add(&passkey(base + n, owner), &[]).unwrap(), PasskeyAdded::Added);
        }
        let start = Barrier::new(RACERS);
        let outcomes: Vec<PasskeyAdded> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS as u128)
                .map(|i| {
                    let start = &start;
                    s.spawn(move || {
                        let key = passkey(base + 100 + i, owner);
                        start.wait();
                        store.add(&key, &[event(base + i, AuditKind::PasskeyAdded, owner)]).unwrap()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|o| **o == PasskeyAdded::Added).count(), 1, "round {round}: {outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| **o == PasskeyAdded::LimitReached).count(), RACERS - 1, "round {round}: {outcomes:?}");
        assert_eq!(keys(store, owner).len(), 20, "round {round}");
        assert_eq!(recorded(store, AuditKind::PasskeyAdded), u64::try_from(round + 1).unwrap(), "the winner's event only");
    }
}

fn racing_removals_never_take_the_last_way_in(store: &impl KeyStore) {
    for round in 0..8_u128 {
        let passwordless = account(store, 100 + round, &PasswordHash::none());
        let pair = [passkey(round * 10, passwordless), passkey(round * 10 + 1, passwordless)];
        pair.iter().for_each(|k| assert_eq!(store.add(k, &[]).unwrap(), PasskeyAdded::Added));
        let start = Barrier::new(2);
        let outcomes: Vec<PasskeyRemoved> = std::thread::scope(|s| {
            let racers: Vec<_> = pair
                .iter()
                .map(|k| {
                    let start = &start;
                    s.spawn(move || {
                        start.wait();
                        store.remove(passwordless, k.id, &[]).unwrap()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|o| **o == PasskeyRemoved::Removed).count(), 1, "round {round}: {outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| **o == PasskeyRemoved::LastWayIn).count(), 1, "round {round}: {outcomes:?}");
        assert_eq!(keys(store, passwordless).len(), 1);
    }
}

fn the_purge_deletes_expired_challenges_only(store: &impl KeyStore) {
    let ada = account(store, 1, &hash("h"));
    let (soon, later) = (challenge(1, CeremonyPurpose::Register(ada), t(300)), challenge(2, CeremonyPurpose::SignIn, t(600)));
    PasskeyStore::insert_challenge(store, &soon).unwrap();
    PasskeyStore::insert_challenge(store, &later).unwrap();
    assert_eq!(PasskeyStore::purge_challenges(store, t(299)).unwrap(), 0, "both live");
    assert_eq!(PasskeyStore::purge_challenges(store, t(300)).unwrap(), 1, "no longer live at its expiry");
    assert_eq!(store.take_challenge(soon.id).unwrap(), None);
    assert_eq!(store.take_challenge(later.id).unwrap(), Some(later));
}

fn passkeys_count_as_second_factors_and_go_with_them(store: &impl KeyStore) {
    let ada = account(store, 1, &hash("h"));
    let bob = account(store, 2, &hash("h"));
    assert_eq!(store.status(ada).unwrap().passkeys, 0);
    for n in 0..3 {
        store.add(&passkey(n, ada), &[]).unwrap();
    }
    store.add(&passkey(10, bob), &[]).unwrap();
    assert_eq!(store.status(ada).unwrap().passkeys, 3);
    assert!(!store.remove_second_factors(ada, false, false, t(10), &[], &[]).unwrap(), "no TOTP, and passkeys not asked for");
    assert_eq!(keys(store, ada).len(), 3);
    let removed = [event(1, AuditKind::PasskeyRemoved, ada)];
    assert!(store.remove_second_factors(ada, true, false, t(10), &removed, &[]).unwrap(), "its passkeys count");
    assert!(keys(store, ada).is_empty());
    assert_eq!(store.status(ada).unwrap().passkeys, 0);
    assert_eq!(recorded(store, AuditKind::PasskeyRemoved), 1);
    assert_eq!(keys(store, bob).len(), 1, "another account's stay");
    assert!(!store.remove_second_factors(ada, true, false, t(20), &[], &[]).unwrap(), "none left");
}

fn an_account_goes_with_its_passkeys_and_challenges(store: &impl KeyStore) {
    let (ada, bob) = (account(store, 1, &hash("h")), account(store, 2, &hash("h")));
    let (key, kept) = (passkey(1, ada), passkey(2, bob));
    store.add(&key, &[]).unwrap();
    store.add(&kept, &[]).unwrap();
    let (register, second, sign_in) = (
        challenge(1, CeremonyPurpose::Register(ada), t(300)),
        challenge(2, CeremonyPurpose::SecondStep(ada), t(300)),
        challenge(3, CeremonyPurpose::SignIn, t(300)),
    );
    for c in [&register, &second, &sign_in] {
        PasskeyStore::insert_challenge(store, c).unwrap();
    }
    assert_eq!(UserRepository::delete(store, ada, &[]).unwrap(), UserDelete::Deleted);
    assert_eq!(store.find_by_credential(&key.credential_id).unwrap(), None);
    assert_eq!(store.take_challenge(register.id).unwrap(), None);
    assert_eq!(store.take_challenge(second.id).unwrap(), None);
    assert_eq!(store.take_challenge(sign_in.id).unwrap(), Some(sign_in), "nobody's");
    assert_eq!(keys(store, bob), [kept]);
    // Its credential id may be registered anew.
    assert_eq!(store.add(&Passkey { id: PasskeyId::from_uuid(uuid(10_500)), ..passkey(1, bob) }, &[]).unwrap(), PasskeyAdded::Added);
}

store_contract_tests!(
    a_passkey_reads_back_equal_and_is_found_by_its_credential_id,
    an_account_holds_at_most_20_passkeys,
    a_credential_is_registered_once,
    a_passkey_is_renamed_by_its_owner_only,
    a_removal_never_takes_the_last_way_in,
    a_sign_in_moves_the_counter_forward_only,
    a_challenge_is_taken_once_even_by_racing_takers,
    racing_registrations_never_pass_the_limit,
    racing_removals_never_take_the_last_way_in,
    the_purge_deletes_expired_challenges_only,
    passkeys_count_as_second_factors_and_go_with_them,
    an_account_goes_with_its_passkeys_and_challenges,
);
