//! Two writers at once must never both win, and the loser must get a meaningful answer, not an
//! internal error.

use crate::contract::Store;
use crate::contract::support::{digest, hash, mask, retired, session, t, user};
use domain::{AdminChanges, AdminWrite, RefreshTokenState, Role, SessionRepository, UniqueEmailError, User, UserDelete, UserRepository};
use std::sync::Barrier;

const RACERS: u128 = 8;

fn racing_registrations_of_one_email_give_one_account(store: &impl Store) {
    let start = Barrier::new(RACERS as usize);

    let results: Vec<_> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..RACERS)
            .map(|n| {
                let (store, start) = (store, &start);
                s.spawn(move || {
                    start.wait();
                    UserRepository::insert(store, &user(n, "same@x.io", t(0)), &hash("h"), &[])
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });

    let won = results.iter().filter(|r| r.is_ok()).count();
    let taken = results.iter().filter(|r| matches!(r, Err(UniqueEmailError::EmailTaken(_)))).count();
    assert_eq!((won, taken), (1, RACERS as usize - 1), "{results:?}");
    assert_eq!(UserRepository::list(store, crate::contract::support::page(10, 0)).unwrap().total, 1);
}

fn racing_rotations_of_one_token_give_one_success(store: &impl Store) {
    let ada = user(1, "ada@x.io", t(0));
    UserRepository::insert(store, &ada, &hash("h"), &[]).unwrap();
    let s = session(1, ada.id, t(0), t(3600));
    SessionRepository::insert(store, &s, &digest("presented"), &[]).unwrap();
    let start = Barrier::new(RACERS as usize);

    let results: Vec<_> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..RACERS)
            .map(|n| {
                let (store, start) = (store, &start);
                scope.spawn(move || {
                    start.wait();
                    store.rotate(s.id, &digest("presented"), &digest(&format!("next-{n}")), &mask(&format!("next-{n}")), t(10))
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });

    let won: Vec<_> = results.iter().enumerate().filter(|(_, r)| matches!(r, Ok(domain::Rotation::Rotated))).map(|(n, _)| n).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok()), "losers get false, not an error: {results:?}");
    let winner = format!("next-{}", won[0]);
    assert_eq!(store.find_by_refresh_digest(&digest("presented")).unwrap().unwrap().1, retired(t(10), &winner), "the winner's successor");
    for n in 0..RACERS as usize {
        let found = store.find_by_refresh_digest(&digest(&format!("next-{n}"))).unwrap().map(|(_, state)| state);
        assert_eq!(found, (n == won[0]).then_some(RefreshTokenState::Current), "next-{n}");
    }
}

/// Runs `racer(n)` on `RACERS` threads released at once by a barrier; their results in order.
fn race<T: Send>(racer: impl Fn(u128) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(RACERS as usize);
    std::thread::scope(|s| {
        let racers: Vec<_> = (0..RACERS)
            .map(|n| {
                let (racer, start) = (&racer, &start);
                s.spawn(move || {
                    start.wait();
                    racer(n)
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

/// Repetitions of each last-admin race: the window is a few statements wide.
const ROUNDS: u128 = 10;

fn racing_admins_who_remove_themselves_leave_one_active_admin(store: &impl Store) {
    let demote = AdminChanges { role: Some(Role::User), ..AdminChanges::default() };
    let deactivate = AdminChanges { is_active: Some(false), ..AdminChanges::default() };
    let mut survivor = None;
    for round in 0..ROUNDS {
        let admins: Vec<_> =
            (0..RACERS).map(|n| User { role: Role::Admin, ..user(round * RACERS + n, &format!("admin{round}-{n}@x.io"), t(0)) }).collect();
        for admin in &admins {
            UserRepository::insert(store, admin, &hash("h"), &[]).unwrap();
        }
        // The last round's survivor steps down now that others are there.
        if let Some(id) = survivor {
            assert!(matches!(UserRepository::update_by_admin(store, id, &demote, t(0), &[]).unwrap(), AdminWrite::Updated { .. }));
        }

        // Every racer removes itself: a third demote, a third deactivate, a third delete.
        let results = race(|n| {
            let id = admins[n as usize].id;
            match n % 3 {
                0 => UserRepository::update_by_admin(store, id, &demote, t(1), &[]).map(|w| matches!(w, AdminWrite::Updated { .. })),
                1 => UserRepository::update_by_admin(store, id, &deactivate, t(1), &[]).map(|w| matches!(w, AdminWrite::Updated { .. })),
                _ => UserRepository::delete(store, id, &[]).map(|d| d == UserDelete::Deleted),
            }
        });

        assert!(results.iter().all(Result::is_ok), "round {round}: losers are refused, not failed: {results:?}");
        let removed = results.iter().filter(|r| matches!(r, Ok(true))).count();
        assert_eq!(removed, RACERS as usize - 1, "round {round}: all but one may go: {results:?}");
        let left: Vec<_> =
            admins.iter().filter(|a| UserRepository::find(store, a.id).unwrap().is_some_and(|u| u.is_active_admin())).collect();
        assert_eq!(left.len(), 1, "round {round}: exactly one active admin remains");
        survivor = Some(left[0].id);
    }
}

store_contract_tests!(
    racing_registrations_of_one_email_give_one_account,
    racing_rotations_of_one_token_give_one_success,
    racing_admins_who_remove_themselves_leave_one_active_admin
);
