//! Provider identities and flows: an identity linked once (the pair issuer and `sub` held by one
//! account, also under racing links), sign-up with its account in one write, unlinking never
//! the last way in (also under racing unlinks), and a flow's `state` and an app's code each
//! taken by exactly one of racing takers; on every backend and in memory.

use crate::contract::support::{hash, t, user, uuid};
use domain::{
    Email, FlowDigest, FlowPurpose, Identity, IdentityId, IdentityLink, IdentityRepository, IdentitySignUp, OidcFlow, PasswordHash,
    PkceChallenge, ProviderId, SignInCode, Unlink, UserId, UserRepository,
};
use std::sync::Barrier;

/// What the identity tests need of a store.
pub(crate) trait IdentityStore: IdentityRepository + UserRepository + Sync {}

impl<T: IdentityRepository + UserRepository + Sync> IdentityStore for T {}

fn account(store: &impl IdentityStore, n: u128, password: &PasswordHash) -> UserId {
    let account = user(n, &format!("id{n}@x.io"), t(0));
    UserRepository::insert(store, &account, password, &[]).unwrap();
    account.id
}

fn identity(n: u128, user_id: UserId, subject: &str) -> Identity {
    Identity {
        id: IdentityId::from_uuid(uuid(n)),
        user_id,
        provider: ProviderId::parse("acme").unwrap(),
        issuer: "https://sso.example".into(),
        subject: subject.into(),
        email: Some(Email::parse("sso@x.io").unwrap()),
        linked_at: t(i64::try_from(n).unwrap()),
        last_sign_in_at: None,
    }
}

fn challenge() -> PkceChallenge {
    PkceChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").unwrap()
}

fn flow(n: u128, purpose: FlowPurpose) -> OidcFlow {
    OidcFlow {
        digest: FlowDigest::new(format!("{n:064x}")),
        provider: ProviderId::parse("acme").unwrap(),
        purpose,
        redirect_uri: "https://app.example/back?x=1".into(),
        nonce: format!("nonce-{n}"),
        pkce_verifier: format!("verifier-{n}"),
        expires_at: t(600),
    }
}

/// An app's code for `user`, expiring at 60 s.
fn code(n: u128, user_id: UserId) -> SignInCode {
    SignInCode {
        digest: FlowDigest::new(format!("{n:064x}")),
        user_id,
        provider: ProviderId::parse("acme").unwrap(),
        redirect_uri: "https://app.example/back".into(),
        app_challenge: challenge(),
        expires_at: t(60),
    }
}

fn an_identity_is_linked_to_one_account_and_found_by_issuer_and_subject(store: &impl IdentityStore) {
    let ada = account(store, 1, &hash("h"));
    let bob = account(store, 2, &hash("h"));
    let linked = identity(10, ada, "248289761001");
    assert_eq!(store.link(&linked, &[]).unwrap(), IdentityLink::Linked);
    assert_eq!(store.find_identity("https://sso.example", "248289761001").unwrap(), Some(linked.clone()));
    assert!(store.find_identity("https://other.example", "248289761001").unwrap().is_none(), "another issuer's sub is another identity");
    assert_eq!(store.link(&identity(11, ada, "248289761001"), &[]).unwrap(), IdentityLink::AlreadyYours);
    assert_eq!(store.link(&identity(12, bob, "248289761001"), &[]).unwrap(), IdentityLink::InUse);
    let gone = UserId::from_uuid(uuid(99));
    assert_eq!(store.link(&identity(13, gone, "other"), &[]).unwrap(), IdentityLink::OwnerGone);
    store.record_sign_in(linked.id, t(50)).unwrap();
    assert_eq!(store.list_identities(ada).unwrap()[0].last_sign_in_at, Some(t(50)));
    assert!(store.list_identities(bob).unwrap().is_empty());
}

fn a_sign_up_writes_the_account_and_its_identity_together(store: &impl IdentityStore) {
    // Holds id1@x.io.
    account(store, 1, &hash("h"));
    let new = user(2, "new@x.io", t(0));
    assert_eq!(store.sign_up(&new, &identity(20, new.id, "s-new"), None, &[]).unwrap(), IdentitySignUp::Created);
    assert!(!store.password_hash(new.id).unwrap().unwrap().is_set(), "no password");
    assert_eq!(store.list_identities(new.id).unwrap().len(), 1);
    let same_email = user(3, "id1@x.io", t(0));
    assert_eq!(store.sign_up(&same_email, &identity(21, same_email.id, "s-3"), None, &[]).unwrap(), IdentitySignUp::EmailTaken);
    assert!(store.find(same_email.id).unwrap().is_none() && store.find_identity("https://sso.example", "s-3").unwrap().is_none());
    let same_identity = user(4, "four@x.io", t(0));
    let outcome = store.sign_up(&same_identity, &identity(22, same_identity.id, "s-new"), None, &[]).unwrap();
    assert_eq!(outcome, IdentitySignUp::IdentityTaken);
    assert!(store.find(same_identity.id).unwrap().is_none(), "nothing written");
}

fn the_last_way_in_is_never_unlinked_even_by_racing_unlinks(store: &impl IdentityStore) {
    let with_password = account(store, 1, &hash("h"));
    let only = identity(10, with_password, "s-10");
    store.link(&only, &[]).unwrap();
    assert_eq!(store.unlink(with_password, IdentityId::from_uuid(uuid(77)), &[]).unwrap(), Unlink::NotFound);
    assert_eq!(store.unlink(with_password, only.id, &[]).unwrap(), Unlink::Unlinked, "the password still signs in");

    for round in 0..4_u128 {
        let passwordless = account(store, 100 + round, &PasswordHash::none());
        let pair = [
            identity(1_000 + round * 10, passwordless, &format!("a{round}")),
            identity(1_001 + round * 10, passwordless, &format!("b{round}")),
        ];
        pair.iter().for_each(|i| assert_eq!(store.link(i, &[]).unwrap(), IdentityLink::Linked));
        let start = Barrier::new(2);
        let outcomes: Vec<Unlink> = std::thread::scope(|s| {
            let racers: Vec<_> = pair
                .iter()
                .map(|i| {
                    let start = &start;
                    s.spawn(move || {
                        start.wait();
                        store.unlink(passwordless, i.id, &[]).unwrap()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|o| **o == Unlink::Unlinked).count(), 1, "round {round}: {outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| **o == Unlink::LastWayIn).count(), 1, "round {round}: {outcomes:?}");
        assert_eq!(store.list_identities(passwordless).unwrap().len(), 1);
    }
}

fn a_flow_and_a_code_are_taken_once_by_racing_takers(store: &impl IdentityStore) {
    let ada = account(store, 1, &hash("h"));
    let sign_in = flow(1, FlowPurpose::SignIn { app_challenge: challenge() });
    store.insert_flow(&sign_in).unwrap();
    store.insert_flow(&flow(2, FlowPurpose::Link { user_id: ada })).unwrap();
    assert_eq!(store.take_flow(&sign_in.digest).unwrap(), Some(sign_in.clone()));
    assert!(store.take_flow(&sign_in.digest).unwrap().is_none(), "once");
    assert_eq!(
        store.take_flow(&flow(2, FlowPurpose::Link { user_id: ada }).digest).unwrap().unwrap().purpose,
        FlowPurpose::Link { user_id: ada }
    );

    const RACERS: usize = 8;
    for round in 0..4_u128 {
        let code = code(500 + round, ada);
        store.insert_code(&code).unwrap();
        let racing_flow = flow(100 + round, FlowPurpose::SignIn { app_challenge: challenge() });
        store.insert_flow(&racing_flow).unwrap();
        let start = Barrier::new(RACERS);
        let (codes, flows) = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|i| {
                    let (start, code, racing_flow) = (&start, &code, &racing_flow);
                    s.spawn(move || {
                        start.wait();
                        if i % 2 == 0 {
                            (store.take_code(&code.digest).unwrap().is_some(), false)
                        } else {
                            (false, store.take_flow(&racing_flow.digest).unwrap().is_some())
                        }
                    })
                })
                .collect();
            let taken: Vec<(bool, bool)> = racers.into_iter().map(|r| r.join().unwrap()).collect();
            (taken.iter().filter(|(c, _)| *c).count(), taken.iter().filter(|(_, f)| *f).count())
        });
        assert_eq!((codes, flows), (1, 1), "round {round}");
    }
}

fn the_purge_deletes_expired_flows_and_codes(store: &impl IdentityStore) {
    let ada = account(store, 1, &hash("h"));
    store.insert_flow(&flow(1, FlowPurpose::Link { user_id: ada })).unwrap();
    let code = code(9, ada);
    store.insert_code(&code).unwrap();
    assert_eq!(store.purge_flows(t(59)).unwrap(), 0);
    assert_eq!(store.purge_flows(t(60)).unwrap(), 1, "the code");
    assert_eq!(store.purge_flows(t(600)).unwrap(), 1, "the flow");
    assert!(store.take_code(&code.digest).unwrap().is_none());
}

store_contract_tests!(
    an_identity_is_linked_to_one_account_and_found_by_issuer_and_subject,
    a_sign_up_writes_the_account_and_its_identity_together,
    the_last_way_in_is_never_unlinked_even_by_racing_unlinks,
    a_flow_and_a_code_are_taken_once_by_racing_takers,
    the_purge_deletes_expired_flows_and_codes,
);
