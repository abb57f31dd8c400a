//! Second factors and sign-in challenges: the enrolment waits and is confirmed once, a time
//! step is accepted once, a recovery code is used once, a challenge takes five failures and is
//! used once, on every backend and in memory, also when many threads race.

use crate::contract::support::{session, t, user};
use chrono::Duration;
use domain::{
    Amr, Answering, AuthMethod, ChallengeFailure, MfaChallenge, MfaTokenDigest, Outbox, RecoveryCodeDigest, Sealed, SecondFactorStore,
    SessionRepository, TotpConfirmation, TotpConfirmed, TotpStart, UserRepository,
};
use std::sync::Barrier;

/// What the second-factor tests need of a store.
pub(crate) trait FactorStore: SecondFactorStore + UserRepository + SessionRepository + Sync {
    fn queued(&self) -> u64;
}

impl FactorStore for infra_diesel::DieselStore {
    fn queued(&self) -> u64 {
        self.counts().unwrap().pending
    }
}

impl FactorStore for domain::memory::MemoryStore {
    fn queued(&self) -> u64 {
        self.outbox().counts().unwrap().pending
    }
}

fn sealed(n: u32) -> Sealed {
    Sealed { key_id: "k1".to_owned(), ciphertext: format!("sealed-{n}") }
}

fn codes(user: u128) -> Vec<RecoveryCodeDigest> {
    (0..10).map(|i| RecoveryCodeDigest::new(format!("k1:{user}-{i}"))).collect()
}

/// An account with TOTP on at step 100.
fn with_totp(store: &impl FactorStore, n: u128) -> domain::User {
    let owner = user(n, &format!("mfa{n}@x.io"), t(0));
    UserRepository::insert(store, &owner, &crate::contract::support::hash("h"), &[]).unwrap();
    let keep = session(n, owner.id, t(0), t(86_400));
    SessionRepository::insert(store, &keep, &crate::contract::support::digest(&format!("s{n}")), &[]).unwrap();
    assert_eq!(store.start_totp(owner.id, &sealed(1), t(600)).unwrap(), TotpStart::Started);
    let digests = codes(n);
    let confirmation = TotpConfirmation {
        user: owner.id,
        step: 100,
        codes: &digests,
        keep: keep.id,
        session_amr: Amr::PASSWORD.then(AuthMethod::Otp),
        now: t(10),
        audit: &[],
        mail: &[],
    };
    assert_eq!(store.confirm_totp(&confirmation).unwrap(), TotpConfirmed::Confirmed);
    owner
}

fn an_enrolment_waits_then_is_confirmed_once_ending_the_other_sessions(store: &impl FactorStore) {
    let ada = user(1, "ada@x.io", t(0));
    UserRepository::insert(store, &ada, &crate::contract::support::hash("h"), &[]).unwrap();
    let (keep, other) = (session(1, ada.id, t(0), t(86_400)), session(2, ada.id, t(0), t(86_400)));
    SessionRepository::insert(store, &keep, &crate::contract::support::digest("keep"), &[]).unwrap();
    SessionRepository::insert(store, &other, &crate::contract::support::digest("other"), &[]).unwrap();
    assert_eq!(store.start_totp(ada.id, &sealed(1), t(600)).unwrap(), TotpStart::Started);
    assert_eq!(store.start_totp(ada.id, &sealed(2), t(700)).unwrap(), TotpStart::Started, "a waiting enrolment is replaced");
    let waiting = store.totp(ada.id).unwrap().unwrap();
    assert_eq!((waiting.secret, waiting.confirmed_at), (sealed(2), None));
    let digests = codes(1);
    let confirm = |step, now| TotpConfirmation {
        user: ada.id,
        step,
        codes: &digests,
        keep: keep.id,
        session_amr: Amr::PASSWORD.then(AuthMethod::Otp),
        now,
        audit: &[],
        mail: &[],
    };
    assert_eq!(store.confirm_totp(&confirm(5, t(701))).unwrap(), TotpConfirmed::NoEnrolment, "expired");
    assert_eq!(store.confirm_totp(&confirm(5, t(10))).unwrap(), TotpConfirmed::Confirmed);
    assert_eq!(store.confirm_totp(&confirm(6, t(11))).unwrap(), TotpConfirmed::NoEnrolment, "once");
    assert_eq!(store.start_totp(ada.id, &sealed(3), t(800)).unwrap(), TotpStart::AlreadyOn);
    let status = store.status(ada.id).unwrap();
    assert_eq!((status.totp, status.totp_enabled_at, status.recovery_codes_left), (true, Some(t(10)), 10));
    assert!(store.find_with_user(other.id).unwrap().unwrap().0.revoked_at.is_some(), "the other session ended");
    let kept = store.find_with_user(keep.id).unwrap().unwrap().0;
    assert_eq!((kept.revoked_at, kept.amr), (None, Amr::PASSWORD.then(AuthMethod::Otp)));
}

fn a_step_is_accepted_once_and_never_an_earlier_one(store: &impl FactorStore) {
    let ada = with_totp(store, 2);
    assert!(!store.use_totp_step(ada.id, 100, None).unwrap(), "the confirming step");
    assert!(store.use_totp_step(ada.id, 101, None).unwrap());
    assert!(!store.use_totp_step(ada.id, 101, None).unwrap(), "twice");
    assert!(store.use_totp_step(ada.id, 103, None).unwrap());
    assert!(!store.use_totp_step(ada.id, 102, None).unwrap(), "an earlier step after a later one");
}

fn racing_uses_of_one_step_accept_one(store: &impl FactorStore) {
    const RACERS: usize = 8;
    let ada = with_totp(store, 3);
    for round in 0..5_i64 {
        let start = Barrier::new(RACERS);
        let won = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|_| {
                    let start = &start;
                    s.spawn(move || {
                        start.wait();
                        store.use_totp_step(ada.id, 200 + round, None).unwrap()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).filter(|won| *won).count()
        });
        assert_eq!(won, 1, "round {round}");
    }
}

fn a_recovery_code_is_used_once_also_racing_itself(store: &impl FactorStore) {
    const RACERS: usize = 8;
    let ada = with_totp(store, 4);
    let all = codes(4);
    assert!(!store.use_recovery_code(ada.id, &[RecoveryCodeDigest::new("k1:nothing".into())], t(20), None, &[], &[]).unwrap());
    for (round, code) in all.iter().take(4).enumerate() {
        let start = Barrier::new(RACERS);
        let won = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|_| {
                    let (start, code) = (&start, code.clone());
                    s.spawn(move || {
                        start.wait();
                        store.use_recovery_code(ada.id, &[code], t(20), None, &[], &[]).unwrap()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).filter(|won| *won).count()
        });
        assert_eq!(won, 1, "round {round}");
    }
    assert_eq!(store.status(ada.id).unwrap().recovery_codes_left, 6);
    assert!(store.replace_recovery_codes(ada.id, &codes(40), &[], &[]).unwrap());
    assert!(!store.use_recovery_code(ada.id, &[all[5].clone()], t(30), None, &[], &[]).unwrap(), "replaced codes die");
    assert_eq!(store.status(ada.id).unwrap().recovery_codes_left, 10);
}

fn removing_the_factors_ends_the_sessions_when_asked(store: &impl FactorStore) {
    let ada = with_totp(store, 5);
    let before = store.queued();
    let mail = domain::OutgoingMail {
        id: crate::contract::support::uuid(9_500),
        created_at: t(0),
        to: ada.email.clone(),
        subject: "reset".into(),
        text: "t".into(),
        html: "h".into(),
    };
    assert!(store.remove_second_factors(ada.id, true, true, t(50), &[], std::slice::from_ref(&mail)).unwrap());
    assert_eq!(store.queued(), before + 1, "the notice is queued with the change");
    assert!(!store.status(ada.id).unwrap().totp);
    assert!(store.totp(ada.id).unwrap().is_none());
    assert_eq!(store.list_live(ada.id, t(60), domain::PageRequest::default()).unwrap().total, 0);
    assert!(!store.remove_second_factors(ada.id, true, true, t(60), &[], &[mail]).unwrap(), "nothing left: nothing written");
    assert_eq!(store.queued(), before + 1);
}

fn challenge(n: u128, user: domain::UserId) -> MfaChallenge {
    MfaChallenge {
        digest: MfaTokenDigest::new(format!("sha256:challenge-{n}")),
        user_id: user,
        first: Amr::PASSWORD,
        created_at: t(0),
        expires_at: t(300),
        failures: 0,
    }
}

fn a_challenge_takes_five_failures_expires_and_is_used_once(store: &impl FactorStore) {
    let ada = with_totp(store, 6);
    let c = challenge(1, ada.id);
    store.insert_challenge(&c).unwrap();
    assert_eq!(store.find_challenge(&c.digest).unwrap(), Some(c.clone()));
    for n in 1..5 {
        assert_eq!(store.fail_challenge(&c.digest, &[]).unwrap(), ChallengeFailure::Counted, "failure {n}");
    }
    assert_eq!(store.find_challenge(&c.digest).unwrap().unwrap().failures, 4);
    assert_eq!(store.fail_challenge(&c.digest, &[]).unwrap(), ChallengeFailure::Exhausted);
    assert!(!store.consume_challenge(&c.digest, t(1)).unwrap(), "dead after five");
    assert_eq!(store.fail_challenge(&c.digest, &[]).unwrap(), ChallengeFailure::Gone);

    let late = challenge(2, ada.id);
    store.insert_challenge(&late).unwrap();
    assert!(!store.consume_challenge(&late.digest, t(300)).unwrap(), "expired");
    assert_eq!(store.purge_challenges(t(301)).unwrap(), 1);
    assert_eq!(store.find_challenge(&late.digest).unwrap(), None);
    let _ = Duration::zero();
}

fn racing_uses_of_one_challenge_give_one(store: &impl FactorStore) {
    const RACERS: usize = 8;
    let ada = with_totp(store, 7);
    for round in 0..5_u128 {
        let c = challenge(10 + round, ada.id);
        store.insert_challenge(&c).unwrap();
        let start = Barrier::new(RACERS);
        let won = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|_| {
                    let (start, digest) = (&start, &c.digest);
                    s.spawn(move || {
                        start.wait();
                        store.consume_challenge(digest, t(1)).unwrap()
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).filter(|won| *won).count()
        });
        assert_eq!(won, 1, "round {round}");
    }
}

fn answer(c: &MfaChallenge, at: i64) -> Option<Answering<'_>> {
    Some(Answering { challenge: &c.digest, now: t(at) })
}

fn a_code_and_the_challenge_it_answers_are_spent_together(store: &impl FactorStore) {
    const RACERS: usize = 8;
    let ada = with_totp(store, 8);
    let first = challenge(30, ada.id);
    store.insert_challenge(&first).unwrap();
    assert!(store.use_totp_step(ada.id, 300, answer(&first, 1)).unwrap());
    assert_eq!(store.find_challenge(&first.digest).unwrap(), None, "the challenge went with the code");
    assert!(!store.use_totp_step(ada.id, 301, answer(&first, 2)).unwrap(), "the challenge is gone");
    assert!(store.use_totp_step(ada.id, 301, None).unwrap(), "so step 301 was not spent");

    let late = challenge(31, ada.id);
    store.insert_challenge(&late).unwrap();
    let code = codes(8).remove(0);
    assert!(!store.use_recovery_code(ada.id, std::slice::from_ref(&code), t(300), answer(&late, 300), &[], &[]).unwrap(), "expired");
    assert_eq!(store.status(ada.id).unwrap().recovery_codes_left, 10, "the code was not spent");
    assert!(store.use_recovery_code(ada.id, &[code], t(300), None, &[], &[]).unwrap());

    // Racing answers to one challenge, each with a code of its own step: one signs in, and
    // only its step is spent.
    for round in 0..5_i64 {
        let c = challenge(40 + u128::try_from(round).unwrap(), ada.id);
        store.insert_challenge(&c).unwrap();
        let start = Barrier::new(RACERS);
        let winners: Vec<i64> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|i| {
                    let (start, c) = (&start, &c);
                    let step = 1_000 + 100 * round + i64::try_from(i).unwrap();
                    s.spawn(move || {
                        start.wait();
                        store.use_totp_step(ada.id, step, answer(c, 1)).unwrap().then_some(step)
                    })
                })
                .collect();
            racers.into_iter().filter_map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert_eq!(store.totp(ada.id).unwrap().unwrap().last_step, winners[0], "round {round}");
    }
}

store_contract_tests!(
    a_code_and_the_challenge_it_answers_are_spent_together,
    an_enrolment_waits_then_is_confirmed_once_ending_the_other_sessions,
    a_step_is_accepted_once_and_never_an_earlier_one,
    racing_uses_of_one_step_accept_one,
    a_recovery_code_is_used_once_also_racing_itself,
    removing_the_factors_ends_the_sessions_when_asked,
    a_challenge_takes_five_failures_expires_and_is_used_once,
    racing_uses_of_one_challenge_give_one,
);
