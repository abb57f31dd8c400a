//! The per-account lockout: counted before the password is checked, on every path that checks
//! one, and cleared by a right password.

use crate::support::{PASSWORD, World, candidate};
use domain::{DeleteAccountError, LoginError, Password, PasswordChangeError};
use std::sync::Barrier;

#[test]
fn forty_guesses_at_once_check_at_most_ten_passwords() {
    let w = World::new();
    w.register("ada@example.com");
    let before = w.mem.hasher.verify_count();
    let start = Barrier::new(40);

    let results: Vec<_> = std::thread::scope(|s| {
        let guesses: Vec<_> = (0..40)
            .map(|n| {
                let (w, start) = (&w, &start);
                s.spawn(move || {
                    start.wait();
                    w.app.auth.login("ada@example.com", &candidate(&format!("guess {n}")), &domain::Client::default())
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });

    let wrong = results.iter().filter(|r| matches!(r, Err(LoginError::InvalidCredentials))).count();
    let locked = results.iter().filter(|r| matches!(r, Err(LoginError::Locked { .. }))).count();
    assert_eq!((wrong, locked), (10, 30), "{results:?}");
    assert_eq!(w.mem.hasher.verify_count() - before, 10, "only the reserved guesses were checked");
    assert!(
        matches!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &domain::Client::default()), Err(LoginError::Locked { .. })),
        "even the right one"
    );
}

#[test]
fn current_password_guesses_count_toward_the_same_lockout() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let new = Password::new("another long password", 72).unwrap();
    for _ in 0..5 {
        assert!(matches!(
            w.app.accounts.change_password(&ada, Some(&candidate("wrong")), &new, &domain::Client::default()),
            Err(PasswordChangeError::WrongPassword)
        ));
    }
    for _ in 0..5 {
        assert!(matches!(
            w.app.accounts.delete_account(&ada, Some(&candidate("wrong")), &domain::Client::default()),
            Err(DeleteAccountError::WrongPassword)
        ));
    }

    assert!(matches!(
        w.app.accounts.change_password(&ada, Some(&candidate(PASSWORD)), &new, &domain::Client::default()),
        Err(PasswordChangeError::Locked { .. })
    ));
    assert!(matches!(
        w.app.auth.login("ada@example.com", &candidate(PASSWORD), &domain::Client::default()),
        Err(LoginError::Locked { .. })
    ));
    w.mem.clock.advance(chrono::Duration::seconds(901));
    w.app.accounts.change_password(&ada, Some(&candidate(PASSWORD)), &new, &domain::Client::default()).expect("the window ended");
}

#[test]
fn a_right_password_clears_the_failures() {
    let w = World::new();
    w.register("ada@example.com");
    for _ in 0..9 {
        assert!(matches!(
            w.app.auth.login("ada@example.com", &candidate("wrong"), &domain::Client::default()),
            Err(LoginError::InvalidCredentials)
        ));
    }
    w.login("ada@example.com");
    for _ in 0..9 {
        assert!(matches!(
            w.app.auth.login("ada@example.com", &candidate("wrong"), &domain::Client::default()),
            Err(LoginError::InvalidCredentials)
        ));
    }
    w.login("ada@example.com");
}
