//! Two writers at once must never both win, and the loser must get a meaningful answer, not an
//! internal error.

use crate::support::{digest, hash, session, t, user};
use domain::{RefreshTokenState, SessionRepository, UniqueEmailError, UserRepository};
use infra_diesel::Database;
use std::sync::Barrier;

const RACERS: u128 = 8;

fn racing_registrations_of_one_email_give_one_account(db: &Database) {
    let store = db.store();
    let start = Barrier::new(RACERS as usize);

    let results: Vec<_> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..RACERS)
            .map(|n| {
                let (store, start) = (&store, &start);
                s.spawn(move || {
                    start.wait();
                    UserRepository::insert(store, &user(n, "same@x.io", t(0)), &hash("h"))
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });

    let won = results.iter().filter(|r| r.is_ok()).count();
    let taken = results.iter().filter(|r| matches!(r, Err(UniqueEmailError::EmailTaken(_)))).count();
    assert_eq!((won, taken), (1, RACERS as usize - 1), "{results:?}");
    assert_eq!(store.list(crate::support::page(10, 0)).unwrap().total, 1);
}

fn racing_rotations_of_one_token_give_one_success(db: &Database) {
    let store = db.store();
    let ada = user(1, "ada@x.io", t(0));
    UserRepository::insert(&store, &ada, &hash("h")).unwrap();
    let s = session(1, ada.id, t(0), t(3600));
    SessionRepository::insert(&store, &s, &digest("presented")).unwrap();
    let start = Barrier::new(RACERS as usize);

    let results: Vec<_> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..RACERS)
            .map(|n| {
                let (store, start) = (&store, &start);
                scope.spawn(move || {
                    start.wait();
                    store.rotate(s.id, &digest("presented"), &digest(&format!("next-{n}")), t(10))
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });

    let won: Vec<_> = results.iter().enumerate().filter(|(_, r)| matches!(r, Ok(true))).map(|(n, _)| n).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok()), "losers get false, not an error: {results:?}");
    assert_eq!(store.find_by_refresh_digest(&digest("presented")).unwrap().unwrap().1, RefreshTokenState::Retired);
    for n in 0..RACERS as usize {
        let found = store.find_by_refresh_digest(&digest(&format!("next-{n}"))).unwrap().map(|(_, state)| state);
        assert_eq!(found, (n == won[0]).then_some(RefreshTokenState::Current), "next-{n}");
    }
}

contract_tests!(racing_registrations_of_one_email_give_one_account, racing_rotations_of_one_token_give_one_success);
