//! Personal access tokens on the in-memory adapters: the principal a token makes and the one
//! scope decision, lifetimes with a moved clock, `last_used_at` once a minute, the fresh rule,
//! the limit, a deactivated owner, introspection and revocation of every kind of token, and the
//! purge.

use crate::support::{PASSWORD, World, candidate};
use chrono::Duration;
use domain::{
    Access, AuthenticateError, Client, Clock, CreatePatError, Introspection, Need, PatName, PatPolicy, PatRequest, PatScope, PatScopes,
    PatText, Principal, ReauthError, Refusal, ScopeRefusal, TokenRejected,
};

fn request(scopes: &[&str], days: Option<u32>) -> PatRequest {
    PatRequest { name: PatName::parse("ci").unwrap(), scopes: PatScopes::parse(scopes.iter().copied()).unwrap(), expires_in_days: days }
}

fn create(w: &World, owner: &Principal, scopes: &[&str], days: Option<u32>) -> PatText {
    w.app.tokens.create(owner, None, request(scopes, days), &Client::default()).unwrap().1
}

fn by_token(w: &World, text: &PatText) -> Result<Principal, AuthenticateError> {
    w.app.tokens.authenticate(&PatText::parse(text.expose()).unwrap())
}

#[test]
fn a_tokens_principal_may_do_what_its_scopes_name_and_a_session_everything_but_introspect() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let token = by_token(&w, &create(&w, &ada, &["profile", "projects:read"], None)).unwrap();
    assert!(matches!(token.access(), Access::Token { .. }));
    assert_eq!(token.session_id(), None);
    assert_eq!(token.may(Need::Profile), Ok(()));
    assert_eq!(token.may(Need::ProjectsWrite), Err(Refusal::Scope(ScopeRefusal::Missing(PatScope::ProjectsWrite))));
    assert_eq!(token.may(Need::AccountManagement), Err(Refusal::Scope(ScopeRefusal::AccountManagement)));
    assert_eq!(ada.may(Need::AccountManagement), Ok(()));
    assert_eq!(ada.may(Need::AdminRead), Ok(()), "a session's admin rights are the admin service's to judge");
    assert_eq!(ada.may(Need::Introspect), Err(Refusal::TokenOnly));
}

#[test]
fn a_token_expires_at_the_end_of_its_days() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let text = create(&w, &ada, &["profile"], Some(2));
    w.mem.clock.advance(Duration::days(2) - Duration::seconds(1));
    assert!(by_token(&w, &text).is_ok());
    w.mem.clock.advance(Duration::seconds(1));
    assert!(matches!(by_token(&w, &text), Err(AuthenticateError::Rejected(TokenRejected::Revoked))));
    assert!(w.app.tokens.list(&ada).unwrap().is_empty());
    assert!(matches!(w.app.tokens.introspect(text.expose()).unwrap(), Introspection::Inactive));
}

#[test]
fn lifetimes_are_bounded_by_the_setting() {
    let w = World::with_policy(domain::SessionPolicy { pat: PatPolicy { max_days: 10 }, ..Default::default() });
    let (ada, _) = w.signed_in("ada@example.com");
    assert!(matches!(
        w.app.tokens.create(&ada, None, request(&["profile"], Some(11)), &Client::default()),
        Err(CreatePatError::Lifetime(_))
    ));
    let (token, _) = w.app.tokens.create(&ada, None, request(&["profile"], None), &Client::default()).unwrap();
    assert_eq!(token.expires_at - token.created_at, Duration::days(10), "the default never exceeds the setting");
}

#[test]
fn last_used_at_moves_at_most_once_a_minute() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let text = create(&w, &ada, &["profile"], None);
    let first = w.mem.clock.now();
    by_token(&w, &text).unwrap();
    w.mem.clock.advance(Duration::seconds(59));
    by_token(&w, &text).unwrap();
    assert_eq!(w.app.tokens.list(&ada).unwrap()[0].last_used_at, Some(first));
    w.mem.clock.advance(Duration::seconds(1));
    by_token(&w, &text).unwrap();
    assert_eq!(w.app.tokens.list(&ada).unwrap()[0].last_used_at, Some(first + Duration::seconds(60)));
}

#[test]
fn a_stale_session_needs_the_password_and_a_token_never_creates_one() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let token = by_token(&w, &create(&w, &ada, &["profile"], None)).unwrap();
    assert!(matches!(
        w.app.tokens.create(&token, None, request(&["profile"], None), &Client::default()),
        Err(CreatePatError::Reauth(ReauthError::CurrentPasswordRequired))
    ));
    w.mem.clock.advance(Duration::minutes(6));
    assert!(matches!(
        w.app.tokens.create(&ada, None, request(&["profile"], None), &Client::default()),
        Err(CreatePatError::Reauth(ReauthError::CurrentPasswordRequired))
    ));
    let with_password = w.app.tokens.create(&ada, Some(&candidate(PASSWORD)), request(&["profile"], None), &Client::default());
    assert!(with_password.is_ok());
}

#[test]
fn the_limit_counts_live_tokens_only() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    for _ in 0..PatPolicy::MAX_LIVE_PER_ACCOUNT - 1 {
        create(&w, &ada, &["profile"], Some(1));
    }
    create(&w, &ada, &["profile"], Some(5));
    assert!(matches!(w.app.tokens.create(&ada, None, request(&["profile"], None), &Client::default()), Err(CreatePatError::AtLimit)));
    // A day on, 49 expired: room again.
    w.mem.clock.advance(Duration::days(1));
    let ada = w.principal(&w.login("ada@example.com"));
    assert!(w.app.tokens.create(&ada, None, request(&["profile"], None), &Client::default()).is_ok());
    assert_eq!(w.app.tokens.list(&ada).unwrap().len(), 2);
}

#[test]
fn a_deactivated_owners_token_is_refused_and_inactive() {
    let w = World::new();
    let (root, _) = w.signed_in_admin("root@example.com");
    let (ada, _) = w.signed_in("ada@example.com");
    let text = create(&w, &ada, &["profile"], None);
    w.deactivate(&root, &ada);
    assert!(by_token(&w, &text).is_err());
    assert!(matches!(w.app.tokens.introspect(text.expose()).unwrap(), Introspection::Inactive));
}

#[test]
fn introspection_judges_each_kind_of_token_by_what_is_stored_now() {
    let w = World::new();
    let (ada, pair) = w.signed_in("ada@example.com");
    match w.app.tokens.introspect(pair.access_token.expose()).unwrap() {
        Introspection::Access { claims, user } => assert_eq!((claims.session_id, user.id), (ada.session_id().unwrap(), ada.user_id())),
        other => panic!("{other:?}"),
    }
    assert!(matches!(w.app.tokens.introspect(pair.refresh_token.expose()).unwrap(), Introspection::Refresh { .. }));
    let text = create(&w, &ada, &["introspect"], None);
    assert!(matches!(w.app.tokens.introspect(text.expose()).unwrap(), Introspection::Personal { .. }));

    // RFC 7009 by the access token: the session ends, both its tokens go inactive.
    w.app.tokens.revoke_any(pair.access_token.expose(), &Client::default()).unwrap();
    assert!(matches!(w.app.tokens.introspect(pair.access_token.expose()).unwrap(), Introspection::Inactive));
    assert!(matches!(w.app.tokens.introspect(pair.refresh_token.expose()).unwrap(), Introspection::Inactive));
    w.app.tokens.revoke_any(text.expose(), &Client::default()).unwrap();
    assert!(matches!(w.app.tokens.introspect(text.expose()).unwrap(), Introspection::Inactive));
    for nothing in ["", "garbage", "gatehouse_pat_", "a.b.c"] {
        assert!(matches!(w.app.tokens.introspect(nothing).unwrap(), Introspection::Inactive), "{nothing}");
        w.app.tokens.revoke_any(nothing, &Client::default()).unwrap();
    }
}

#[test]
fn the_purge_forgets_revoked_and_expired_tokens() {
    use domain::{PatIssuer, PatRepository};
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let kept = create(&w, &ada, &["profile"], Some(30));
    let expired = create(&w, &ada, &["profile"], Some(1));
    let (revoked, revoked_text) = w.app.tokens.create(&ada, None, request(&["profile"], Some(30)), &Client::default()).unwrap();
    w.app.tokens.revoke(&ada, revoked.id, &Client::default()).unwrap();
    w.mem.clock.advance(Duration::days(2));
    w.app.maintenance.purge("me", Duration::minutes(20)).unwrap();
    let stored = |text: &PatText| w.mem.store.find_by_digest(&domain::memory::FakePatIssuer::default().digest(text)).unwrap().is_some();
    assert!(stored(&kept));
    assert!(!stored(&expired) && !stored(&revoked_text));
    assert!(w.mem.store.events().iter().any(|e| e.kind == domain::AuditKind::TokenRevoked));
}
