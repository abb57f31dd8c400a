use crate::support::World;
use chrono::Duration;
use domain::{Clock, PageRequest, RefreshError, SessionRepository};

#[test]
fn refresh_rotates_the_refresh_token_and_keeps_the_session() {
    let w = World::new();
    let (ada, tokens) = w.signed_in("ada@example.com");
    let next = w.app.auth.refresh(tokens.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert_ne!(next.refresh_token.expose(), tokens.refresh_token.expose());
    let again = w.principal(&next);
    assert_eq!((again.user_id(), again.session_id().unwrap()), (ada.user_id(), ada.session_id().unwrap()));
    assert!(w.app.auth.refresh(next.refresh_token.expose(), &domain::Client::default()).is_ok());
}

#[test]
fn reusing_a_rotated_refresh_token_revokes_the_whole_session() {
    let w = World::new();
    let (_, first) = w.signed_in("ada@example.com");
    let second = w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert!(matches!(w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()), Err(RefreshError::Reused)));
    // The token that replaced it and the session's access tokens are dead too.
    assert!(matches!(w.app.auth.refresh(second.refresh_token.expose(), &domain::Client::default()), Err(RefreshError::InvalidToken)));
    assert!(w.app.auth.authenticate(second.access_token.expose()).is_err());
    assert!(w.app.auth.authenticate(first.access_token.expose()).is_err());
}

#[test]
fn reuse_of_an_older_not_the_last_retired_token_is_detected() {
    let w = World::new();
    let (_, first) = w.signed_in("ada@example.com");
    let second = w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()).unwrap();
    let third = w.app.auth.refresh(second.refresh_token.expose(), &domain::Client::default()).unwrap();
    let fourth = w.app.auth.refresh(third.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert!(matches!(w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()), Err(RefreshError::Reused)));
    assert!(w.app.auth.refresh(fourth.refresh_token.expose(), &domain::Client::default()).is_err());
}

#[test]
fn reuse_in_one_session_leaves_the_users_other_sessions_alone() {
    let w = World::new();
    let (_, stolen) = w.signed_in("ada@example.com");
    let other = w.login("ada@example.com");
    w.app.auth.refresh(stolen.refresh_token.expose(), &domain::Client::default()).unwrap();
    let _ = w.app.auth.refresh(stolen.refresh_token.expose(), &domain::Client::default());
    assert!(w.app.auth.authenticate(other.access_token.expose()).is_ok());
}

#[test]
fn two_concurrent_refreshes_with_one_token_give_exactly_one_success() {
    let w = World::new();
    let (_, tokens) = w.signed_in("ada@example.com");
    let token = tokens.refresh_token.expose().to_owned();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| w.app.auth.refresh(&token, &domain::Client::default()))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(results.iter().filter(|r| r.is_err()).all(|r| matches!(r, Err(RefreshError::Reused | RefreshError::InvalidToken))));
}

#[test]
fn an_unknown_refresh_token_is_invalid_and_revokes_nothing() {
    let w = World::new();
    let (_, tokens) = w.signed_in("ada@example.com");
    assert!(matches!(w.app.auth.refresh("fake-rt-999", &domain::Client::default()), Err(RefreshError::InvalidToken)));
    assert!(w.app.auth.authenticate(tokens.access_token.expose()).is_ok());
}

#[test]
fn the_session_expires_at_the_time_fixed_at_login_whatever_the_rotations() {
    let w = World::new();
    let (_, mut tokens) = w.signed_in("ada@example.com");
    let day = Duration::days(1);
    for elapsed in 1..14 {
        w.mem.clock.advance(day);
        tokens = w.app.auth.refresh(tokens.refresh_token.expose(), &domain::Client::default()).unwrap();
        assert_eq!(tokens.refresh_expires_in, (Duration::days(14) - day * elapsed).num_seconds(), "rotation never extends the session");
    }
    // The last access token is cut at the session's end, not 15 minutes after the refresh.
    assert_eq!(tokens.expires_in, 900);
    w.mem.clock.advance(day);
    assert!(matches!(w.app.auth.refresh(tokens.refresh_token.expose(), &domain::Client::default()), Err(RefreshError::InvalidToken)));
}

#[test]
fn an_access_token_never_outlives_its_session() {
    let w = World::new();
    let (_, tokens) = w.signed_in("ada@example.com");
    w.mem.clock.advance(Duration::days(14) - Duration::seconds(60));
    let last = w.app.auth.refresh(tokens.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert_eq!((last.expires_in, last.refresh_expires_in), (60, 60));
}

#[test]
fn last_used_at_moves_on_refresh_but_not_on_reads() {
    let w = World::new();
    let (ada, tokens) = w.signed_in("ada@example.com");
    let created = w.mem.store.find_with_user(ada.session_id().unwrap()).unwrap().unwrap().0;
    assert_eq!(created.last_used_at, created.created_at);
    w.mem.clock.advance(Duration::minutes(5));
    w.principal(&tokens);
    w.app.accounts.sessions(&ada, PageRequest::default()).unwrap();
    assert_eq!(w.mem.store.find_with_user(ada.session_id().unwrap()).unwrap().unwrap().0.last_used_at, created.last_used_at);
    w.app.auth.refresh(tokens.refresh_token.expose(), &domain::Client::default()).unwrap();
    let used = w.mem.store.find_with_user(ada.session_id().unwrap()).unwrap().unwrap().0;
    assert_eq!(used.last_used_at, created.last_used_at + Duration::minutes(5));
}

#[test]
fn a_deactivated_user_cannot_refresh() {
    let w = World::new();
    let (admin, _) = w.signed_in_admin("root@example.com");
    let (ada, tokens) = w.signed_in("ada@example.com");
    w.deactivate(&admin, &ada);
    assert!(w.app.auth.refresh(tokens.refresh_token.expose(), &domain::Client::default()).is_err());
}

#[test]
fn purge_removes_expired_and_revoked_sessions_but_keeps_live_ones() {
    let w = World::new();
    let (_, dead) = w.signed_in("ada@example.com");
    let (_, live) = w.signed_in("bob@example.com");
    w.app.auth.logout(dead.refresh_token.expose(), &domain::Client::default()).unwrap();
    let now = w.mem.clock.now();
    assert_eq!(w.mem.store.purge(now).unwrap(), 1);
    assert!(w.app.auth.authenticate(live.access_token.expose()).is_ok());
    w.mem.clock.advance(Duration::days(15));
    assert_eq!(w.mem.store.purge(w.mem.clock.now()).unwrap(), 1);
}

fn with_grace(secs: i64) -> World {
    World::with_policy(domain::SessionPolicy { refresh_grace: Duration::seconds(secs), ..domain::SessionPolicy::default() })
}

#[test]
fn within_the_grace_window_the_token_just_exchanged_gets_the_same_sessions_pair() {
    let w = with_grace(10);
    let (ada, first) = w.signed_in("ada@example.com");
    let tab_one = w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()).unwrap();
    w.mem.clock.advance(Duration::seconds(10));
    let tab_two = w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert_eq!(tab_two.refresh_token.expose(), tab_one.refresh_token.expose(), "both tabs hold the one current token");
    assert_eq!(w.principal(&tab_two).session_id().unwrap(), ada.session_id().unwrap());
    assert!(w.app.auth.authenticate(tab_one.access_token.expose()).is_ok(), "the first tab's access token still works");
    // Either tab rotates on; the other, presenting the same token, is in the window again.
    let next = w.app.auth.refresh(tab_one.refresh_token.expose(), &domain::Client::default()).unwrap();
    let same = w.app.auth.refresh(tab_two.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert_eq!(same.refresh_token.expose(), next.refresh_token.expose());
}

#[test]
fn outside_the_grace_window_or_for_an_older_token_reuse_is_still_theft() {
    let w = with_grace(10);
    let (_, first) = w.signed_in("ada@example.com");
    let second = w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()).unwrap();
    w.mem.clock.advance(Duration::seconds(11));
    assert!(matches!(w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()), Err(RefreshError::Reused)));
    assert!(w.app.auth.authenticate(second.access_token.expose()).is_err(), "the session is revoked");

    // An older token: its successor is no longer current, however recent.
    let (_, first) = w.signed_in("bob@example.com");
    let second = w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()).unwrap();
    let third = w.app.auth.refresh(second.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert!(matches!(w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()), Err(RefreshError::Reused)));
    assert!(w.app.auth.refresh(third.refresh_token.expose(), &domain::Client::default()).is_err());
}

#[test]
fn without_a_grace_window_the_token_just_exchanged_is_theft_at_once() {
    let w = World::new();
    let (_, first) = w.signed_in("ada@example.com");
    w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert!(matches!(w.app.auth.refresh(first.refresh_token.expose(), &domain::Client::default()), Err(RefreshError::Reused)));
}
