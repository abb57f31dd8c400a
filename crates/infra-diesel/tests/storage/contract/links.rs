//! Emailed links: stored with their change and messages in one transaction, used up once,
//! replaced by newer ones, dead when their address or password moves on.

use crate::contract::support::{digest, hash, session, t, user, uuid};
use chrono::Duration;
use domain::{
    AuditDetail, AuditEvent, AuditFilter, AuditKind, AuditLog, Email, EmailLink, EmailLinks, LinkDigest, LinkEffect, LinkIssue,
    LinkPurpose, LinkWrite, Outbox, OutgoingMail, ProfileChanges, Redeemed, SessionRepository, UniqueEmailError, User, UserName,
    UserRepository, UserWrite,
};
use std::sync::Barrier;

/// What the link tests need of a store: the ports, and how many messages it has queued.
pub(crate) trait LinkStore: EmailLinks + UserRepository + SessionRepository + AuditLog + Sync {
    fn queued(&self) -> u64;
}

impl LinkStore for infra_diesel::DieselStore {
    fn queued(&self) -> u64 {
        self.counts().unwrap().pending
    }
}

impl LinkStore for domain::memory::MemoryStore {
    fn queued(&self) -> u64 {
        self.outbox().counts().unwrap().pending
    }
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn link(n: u128, owner: &User, purpose: LinkPurpose, to: &str) -> EmailLink {
    EmailLink {
        digest: LinkDigest::new(format!("sha256:link-{n}")),
        user_id: owner.id,
        purpose,
        email: email(to),
        created_at: t(0),
        expires_at: t(3_600),
    }
}

fn issue(link: &EmailLink) -> LinkIssue {
    // One message per link, its id from the link's number (`sha256:link-{n}`).
    let n: u128 = link.digest.as_str().rsplit('-').next().and_then(|n| n.parse().ok()).expect("a numbered link");
    let mail = OutgoingMail {
        id: uuid(7_000_000 + n),
        created_at: t(0),
        to: link.email.clone(),
        subject: "Your link".into(),
        text: "open it".into(),
        html: "<p>open it</p>".into(),
    };
    LinkIssue { link: link.clone(), mail: vec![mail] }
}

fn event(n: u128, kind: AuditKind, owner: &User) -> AuditEvent {
    AuditEvent {
        id: uuid(8_000 + n),
        at: t(1),
        kind,
        user_id: Some(owner.id),
        actor_id: None,
        session_id: None,
        ip: None,
        user_agent: None,
        detail: AuditDetail::new(),
    }
}

fn events(store: &impl LinkStore) -> Vec<AuditKind> {
    AuditLog::list(store, &AuditFilter::default(), crate::contract::support::page(100, 0))
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn an_account_its_link_its_mail_and_its_event_are_one_write_and_the_link_works_once(store: &impl LinkStore) {
    let ada = user(1, "ada@x.io", t(0));
    let verify = link(1, &ada, LinkPurpose::Verify, "ada@x.io");
    store.insert_user_with_link(&ada, &hash("a"), &issue(&verify), &[event(1, AuditKind::UserRegistered, &ada)]).unwrap();
    assert_eq!(EmailLinks::find(store, &verify.digest).unwrap(), Some(verify.clone()));
    assert_eq!(store.queued(), 1);
    let twin = user(2, "ada@x.io", t(0));
    let other = link(2, &twin, LinkPurpose::Verify, "ada@x.io");
    let taken = store.insert_user_with_link(&twin, &hash("t"), &issue(&other), &[event(2, AuditKind::UserRegistered, &twin)]);
    assert!(matches!(taken, Err(UniqueEmailError::EmailTaken(_))));
    assert_eq!(
        (EmailLinks::find(store, &other.digest).unwrap(), store.queued(), events(store).len()),
        (None, 1, 1),
        "the refused one left nothing"
    );

    assert_eq!(store.redeem(&verify, &LinkEffect::Verify, t(10), &[event(3, AuditKind::EmailVerified, &ada)]).unwrap(), Redeemed::Done);
    assert!(UserRepository::find(store, ada.id).unwrap().unwrap().email_verified);
    assert_eq!(store.redeem(&verify, &LinkEffect::Verify, t(11), &[event(4, AuditKind::EmailVerified, &ada)]).unwrap(), Redeemed::Invalid);
    assert_eq!(EmailLinks::find(store, &verify.digest).unwrap(), None);
    assert_eq!(events(store).iter().filter(|k| **k == AuditKind::EmailVerified).count(), 1);
}

fn an_expired_link_or_one_whose_address_moved_on_does_nothing(store: &impl LinkStore) {
    let ada = user(1, "ada@x.io", t(0));
    let verify = link(1, &ada, LinkPurpose::Verify, "ada@x.io");
    store.insert_user_with_link(&ada, &hash("a"), &issue(&verify), &[]).unwrap();
    assert_eq!(store.redeem(&verify, &LinkEffect::Verify, t(3_600), &[]).unwrap(), Redeemed::Invalid);
    assert!(!UserRepository::find(store, ada.id).unwrap().unwrap().email_verified);
    let reset = link(2, &ada, LinkPurpose::Reset, "ada@x.io");
    assert_eq!(store.issue(&issue(&reset), &[]).unwrap(), LinkWrite::Issued);
    let changes = ProfileChanges { email: Some(email("ada@new.io")), ..Default::default() };
    store.update_profile(ada.id, &changes, t(5), &[]).unwrap();
    assert_eq!(store.redeem(&reset, &LinkEffect::SetPassword(hash("new")), t(6), &[]).unwrap(), Redeemed::Invalid);
    assert_eq!(store.password_hash(ada.id).unwrap(), Some(hash("a")));
    let stale = link(3, &ada, LinkPurpose::Reset, "ada@x.io");
    assert_eq!(store.issue(&issue(&stale), &[event(1, AuditKind::PasswordResetRequested, &ada)]).unwrap(), LinkWrite::AccountGone);
    assert_eq!((EmailLinks::find(store, &stale.digest).unwrap(), store.queued(), events(store).len()), (None, 2, 0));
}

fn a_newer_link_replaces_older_ones_of_its_purpose_only(store: &impl LinkStore) {
    let ada = user(1, "ada@x.io", t(0));
    let verify = link(1, &ada, LinkPurpose::Verify, "ada@x.io");
    store.insert_user_with_link(&ada, &hash("a"), &issue(&verify), &[]).unwrap();
    let first = link(2, &ada, LinkPurpose::Reset, "ada@x.io");
    let second = link(3, &ada, LinkPurpose::Reset, "ada@x.io");
    store.issue(&issue(&first), &[]).unwrap();
    store.issue(&issue(&second), &[event(1, AuditKind::PasswordResetRequested, &ada)]).unwrap();
    assert_eq!(EmailLinks::find(store, &first.digest).unwrap(), None);
    assert_eq!(EmailLinks::find(store, &second.digest).unwrap(), Some(second.clone()));
    assert_eq!(EmailLinks::find(store, &verify.digest).unwrap(), Some(verify));
    assert_eq!((store.queued(), events(store)), (3, vec![AuditKind::PasswordResetRequested]));
}

fn a_reset_ends_every_session_and_any_password_change_ends_the_reset_links(store: &impl LinkStore) {
    let ada = user(1, "ada@x.io", t(0));
    let reset = link(1, &ada, LinkPurpose::Reset, "ada@x.io");
    store.insert_user_with_link(&ada, &hash("a"), &issue(&reset), &[]).unwrap();
    let s = session(1, ada.id, t(0), t(86_400));
    SessionRepository::insert(store, &s, &digest("s1"), &[]).unwrap();
    assert_eq!(store.redeem(&reset, &LinkEffect::SetPassword(hash("new")), t(10), &[]).unwrap(), Redeemed::Done);
    let after = UserRepository::find(store, ada.id).unwrap().unwrap();
    assert_eq!((store.password_hash(ada.id).unwrap(), after.email_verified), (Some(hash("new")), true));
    assert!(store.find_with_user(s.id).unwrap().unwrap().0.revoked_at.is_some());

    let again = link(2, &ada, LinkPurpose::Reset, "ada@x.io");
    store.issue(&issue(&again), &[]).unwrap();
    store.set_password_hash(ada.id, &hash("changed"), None, t(20), &[]).unwrap();
    assert_eq!(EmailLinks::find(store, &again.digest).unwrap(), None, "a password change kills the reset link");
}

fn an_email_change_waits_then_switches_unless_the_address_was_taken(store: &impl LinkStore) {
    let ada = user(1, "ada@x.io", t(0));
    store.insert_user_with_link(&ada, &hash("a"), &issue(&link(9, &ada, LinkPurpose::Verify, "ada@x.io")), &[]).unwrap();
    UserRepository::insert(store, &user(2, "bob@x.io", t(0)), &hash("b"), &[]).unwrap();
    let to_bob = link(1, &ada, LinkPurpose::EmailChange, "bob@x.io");
    let taken = store.request_email_change(ada.id, None, &issue(&to_bob), t(1), &[]);
    assert!(matches!(taken, Err(UniqueEmailError::EmailTaken(_))));
    assert_eq!(EmailLinks::find(store, &to_bob.digest).unwrap(), None);

    let change = link(2, &ada, LinkPurpose::EmailChange, "ada@new.io");
    let name = UserName::parse("Ada L").unwrap();
    let UserWrite::Updated(waiting) =
        store.request_email_change(ada.id, Some(&name), &issue(&change), t(2), &[event(1, AuditKind::EmailChangeRequested, &ada)]).unwrap()
    else {
        panic!("account gone")
    };
    assert_eq!((waiting.email.as_str(), waiting.pending_email.as_ref().map(Email::as_str)), ("ada@x.io", Some("ada@new.io")));
    assert_eq!(waiting.name, name);
    assert_eq!(store.queued(), 2);

    let carol = user(3, "ada@new.io", t(3));
    UserRepository::insert(store, &carol, &hash("c"), &[]).unwrap();
    assert_eq!(store.redeem(&change, &LinkEffect::SwitchEmail, t(4), &[]).unwrap(), Redeemed::EmailTaken);
    assert!(EmailLinks::find(store, &change.digest).unwrap().is_some(), "the refused switch kept its link");
    UserRepository::delete(store, carol.id, &[]).unwrap();
    assert_eq!(store.redeem(&change, &LinkEffect::SwitchEmail, t(5), &[event(2, AuditKind::EmailChanged, &ada)]).unwrap(), Redeemed::Done);
    let moved = UserRepository::find(store, ada.id).unwrap().unwrap();
    assert_eq!((moved.email.as_str(), moved.pending_email, moved.email_verified), ("ada@new.io", None, true));
    assert_eq!(events(store), vec![AuditKind::EmailChanged, AuditKind::EmailChangeRequested]);
}

fn expired_links_are_purged_and_deleted_accounts_take_theirs(store: &impl LinkStore) {
    let ada = user(1, "ada@x.io", t(0));
    let verify = link(1, &ada, LinkPurpose::Verify, "ada@x.io");
    store.insert_user_with_link(&ada, &hash("a"), &issue(&verify), &[]).unwrap();
    let bob = user(2, "bob@x.io", t(0));
    let long = EmailLink { expires_at: t(0) + Duration::days(7), ..link(2, &bob, LinkPurpose::Reset, "bob@x.io") };
    store.insert_user_with_link(&bob, &hash("b"), &issue(&long), &[]).unwrap();
    assert_eq!(EmailLinks::purge(store, t(3_600)).unwrap(), 1);
    assert_eq!(EmailLinks::find(store, &verify.digest).unwrap(), None);
    UserRepository::delete(store, bob.id, &[]).unwrap();
    assert_eq!(EmailLinks::find(store, &long.digest).unwrap(), None);
}

fn racing_uses_of_one_link_give_one_success(store: &impl LinkStore) {
    const RACERS: usize = 8;
    for round in 0..5_u128 {
        let owner = user(10 + round, &format!("r{round}@x.io"), t(0));
        let reset = link(100 + round, &owner, LinkPurpose::Reset, owner.email.as_str());
        store.insert_user_with_link(&owner, &hash("old"), &issue(&reset), &[]).unwrap();
        let start = Barrier::new(RACERS);
        let results: Vec<Redeemed> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|n| {
                    let (store, start, reset) = (store, &start, &reset);
                    s.spawn(move || {
                        start.wait();
                        store.redeem(reset, &LinkEffect::SetPassword(hash(&format!("new-{n}"))), t(10), &[]).unwrap()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|r| **r == Redeemed::Done).count(), 1, "round {round}: {results:?}");
        assert!(results.iter().all(|r| matches!(r, Redeemed::Done | Redeemed::Invalid)));
    }
}

fn racing_issues_for_one_account_leave_one_live_link(store: &impl LinkStore) {
    const RACERS: usize = 8;
    for round in 0..5_u128 {
        let owner = user(20 + round, &format!("i{round}@x.io"), t(0));
        UserRepository::insert(store, &owner, &hash("h"), &[]).unwrap();
        let links: Vec<EmailLink> =
            (0..RACERS as u128).map(|n| link(1_000 + round * 100 + n, &owner, LinkPurpose::Reset, owner.email.as_str())).collect();
        let start = Barrier::new(RACERS);
        std::thread::scope(|s| {
            for link in &links {
                let (store, start) = (store, &start);
                s.spawn(move || {
                    start.wait();
                    assert_eq!(store.issue(&issue(link), &[]).unwrap(), LinkWrite::Issued);
                });
            }
        });
        let live = links.iter().filter(|l| EmailLinks::find(store, &l.digest).unwrap().is_some()).count();
        assert_eq!(live, 1, "round {round}: each newer link replaced the one before it");
    }
}

/// `ada` with a pending change to `to`, its link returned.
fn pending_change(store: &impl LinkStore, n: u128, ada: &User, to: &str) -> EmailLink {
    let change = link(n, ada, LinkPurpose::EmailChange, to);
    assert!(matches!(store.request_email_change(ada.id, None, &issue(&change), t(1), &[]).unwrap(), UserWrite::Updated(_)));
    change
}

fn recovery_ends_a_pending_email_change_and_its_link(store: &impl LinkStore) {
    let ada = user(1, "ada@x.io", t(0));
    UserRepository::insert(store, &ada, &hash("a"), &[]).unwrap();
    let pending = || UserRepository::find(store, ada.id).unwrap().unwrap().pending_email;

    // A password change.
    let first = pending_change(store, 1, &ada, "mallory@evil.io");
    store.set_password_hash(ada.id, &hash("changed"), None, t(2), &[]).unwrap();
    assert_eq!(pending(), None, "a password change leaves the change pending");
    assert_eq!(EmailLinks::find(store, &first.digest).unwrap(), None);
    assert_eq!(store.redeem(&first, &LinkEffect::SwitchEmail, t(3), &[]).unwrap(), Redeemed::Invalid);

    // A reset.
    let second = pending_change(store, 2, &ada, "mallory@evil.io");
    let reset = link(3, &ada, LinkPurpose::Reset, "ada@x.io");
    store.issue(&issue(&reset), &[]).unwrap();
    assert_eq!(store.redeem(&reset, &LinkEffect::SetPassword(hash("reset")), t(4), &[]).unwrap(), Redeemed::Done);
    assert_eq!(pending(), None, "a reset leaves the change pending");
    assert_eq!(store.redeem(&second, &LinkEffect::SwitchEmail, t(5), &[]).unwrap(), Redeemed::Invalid);

    // The owner's own cancel (a profile write naming the current address).
    let third = pending_change(store, 4, &ada, "mallory@evil.io");
    let cancel = ProfileChanges { cancel_pending_email: true, ..ProfileChanges::default() };
    let UserWrite::Updated(after) = store.update_profile(ada.id, &cancel, t(6), &[]).unwrap() else { panic!("account gone") };
    assert_eq!((after.email.as_str(), after.pending_email), ("ada@x.io", None));
    assert_eq!(store.redeem(&third, &LinkEffect::SwitchEmail, t(7), &[]).unwrap(), Redeemed::Invalid);
    assert_eq!(UserRepository::find(store, ada.id).unwrap().unwrap().email.as_str(), "ada@x.io");
}

fn a_switch_racing_a_reset_never_lands_after_it(store: &impl LinkStore) {
    for round in 0..10_u128 {
        let owner = user(40 + round, &format!("o{round}@x.io"), t(0));
        UserRepository::insert(store, &owner, &hash("old"), &[]).unwrap();
        let change = pending_change(store, 2_000 + round * 10, &owner, &format!("thief{round}@evil.io"));
        let reset = link(2_001 + round * 10, &owner, LinkPurpose::Reset, owner.email.as_str());
        store.issue(&issue(&reset), &[]).unwrap();
        let start = Barrier::new(2);
        let (switched, recovered) = std::thread::scope(|s| {
            let switch = s.spawn(|| {
                start.wait();
                store.redeem(&change, &LinkEffect::SwitchEmail, t(10), &[]).unwrap()
            });
            let recover = s.spawn(|| {
                start.wait();
                store.redeem(&reset, &LinkEffect::SetPassword(hash("recovered")), t(10), &[]).unwrap()
            });
            (switch.join().unwrap(), recover.join().unwrap())
        });
        let after = UserRepository::find(store, owner.id).unwrap().unwrap();
        match (switched, recovered) {
            (Redeemed::Invalid, Redeemed::Done) => {
                assert_eq!((after.email.as_str(), after.pending_email), (owner.email.as_str(), None), "round {round}");
            }
            // The switch came first: the reset link names the address the account no longer has.
            (Redeemed::Done, Redeemed::Invalid) => assert_eq!(store.password_hash(owner.id).unwrap(), Some(hash("old")), "round {round}"),
            other => panic!("round {round}: switch and reset ended {other:?}"),
        }
    }
}

store_contract_tests!(
    racing_issues_for_one_account_leave_one_live_link,
    an_account_its_link_its_mail_and_its_event_are_one_write_and_the_link_works_once,
    an_expired_link_or_one_whose_address_moved_on_does_nothing,
    a_newer_link_replaces_older_ones_of_its_purpose_only,
    a_reset_ends_every_session_and_any_password_change_ends_the_reset_links,
    an_email_change_waits_then_switches_unless_the_address_was_taken,
    expired_links_are_purged_and_deleted_accounts_take_theirs,
    racing_uses_of_one_link_give_one_success,
    recovery_ends_a_pending_email_change_and_its_link,
    a_switch_racing_a_reset_never_lands_after_it,
);
