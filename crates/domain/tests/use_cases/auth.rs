use crate::support::{PASSWORD, World, candidate};
use chrono::Duration;
use domain::{
    AuthenticateError, Email, LoginError, Password, PasswordHasher, RegisterError, Registration, Role, TokenRejected, UserName,
    UserRepository,
};

#[test]
fn register_creates_an_active_user_with_the_user_role_and_a_normalised_email() {
    let w = World::new();
    let user = w.register("Ada@Example.COM");
    assert_eq!(user.email.as_str(), "ada@example.com");
    assert_eq!((user.role, user.is_active), (Role::User, true));
    assert_eq!(w.mem.store.find(user.id).unwrap(), Some(user));
}

#[test]
fn register_refuses_an_email_that_differs_only_in_case() {
    let w = World::new();
    w.register("ada@example.com");
    let again = w.app.auth.register(
        Registration {
            email: Email::parse("ADA@example.com").unwrap(),
            password: Password::new(PASSWORD, 72).unwrap(),
            name: UserName::parse("Other").unwrap(),
        },
        &domain::Client::default(),
    );
    assert!(matches!(again, Err(RegisterError::EmailTaken)));
}

#[test]
fn register_never_stores_the_password_itself() {
    let w = World::new();
    let user = w.register("ada@example.com");
    let hash = w.mem.store.password_hash(user.id).unwrap().unwrap();
    assert!(!hash.as_str().contains(PASSWORD));
}

#[test]
fn login_with_the_right_password_returns_tokens_that_authenticate() {
    let w = World::new();
    let user = w.register("ada@example.com");
    let tokens = w.login("ADA@example.com");
    assert_eq!(tokens.expires_in, 900);
    assert_eq!(tokens.refresh_expires_in, 1_209_600);
    assert_eq!(w.principal(&tokens).user_id(), user.id);
}

#[test]
fn every_kind_of_bad_credentials_is_the_same_error() {
    let w = World::new();
    let user = w.register("ada@example.com");
    let admin = w.signed_in_admin("root@example.com").0;
    w.app
        .admin
        .update_user(&admin, user.id, domain::AdminUpdate { is_active: Some(false), ..Default::default() }, &domain::Client::default())
        .unwrap();
    w.register("bob@example.com");
    let attempts = [
        ("bob@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
        ("ada@example.com", PASSWORD), // deactivated
        ("bob@example.com", "short"),
    ];
    for (email, password) in attempts {
        let result = w.app.auth.login(email, &candidate(password), &domain::Client::default());
        assert!(matches!(result, Err(LoginError::InvalidCredentials)), "{email}/{password}");
    }
}

#[test]
fn an_unknown_email_costs_one_verification_against_a_dummy_hash_computed_once() {
    let w = World::new();
    let (hashes, verifies) = (w.mem.hasher.hash_count(), w.mem.hasher.verify_count());
    for _ in 0..2 {
        let result = w.app.auth.login("ghost@example.com", &candidate(PASSWORD), &domain::Client::default());
        assert!(matches!(result, Err(LoginError::InvalidCredentials)));
    }
    assert_eq!(w.mem.hasher.verify_count() - verifies, 2, "one verification per attempt");
    assert_eq!(w.mem.hasher.hash_count() - hashes, 1, "the dummy hash is computed lazily, once");
}

#[test]
fn a_password_longer_than_the_hasher_limit_fails_login_instead_of_matching_a_prefix() {
    let w = World::new();
    let exact = "p".repeat(72);
    w.app
        .auth
        .register(
            Registration {
                email: Email::parse("long@example.com").unwrap(),
                password: Password::new(&exact, 72).unwrap(),
                name: UserName::parse("Long").unwrap(),
            },
            &domain::Client::default(),
        )
        .unwrap();
    assert!(w.app.auth.login("long@example.com", &candidate(&exact), &domain::Client::default()).is_ok());
    let longer = format!("{exact}p");
    assert!(matches!(
        w.app.auth.login("long@example.com", &candidate(&longer), &domain::Client::default()),
        Err(LoginError::InvalidCredentials)
    ));
}

#[test]
fn login_upgrades_a_hash_made_with_outdated_parameters() {
    let w = World::new();
    let user = w.register("ada@example.com");
    w.mem.hasher.upgrade();
    let old = w.mem.store.password_hash(user.id).unwrap().unwrap();
    assert!(w.mem.hasher.needs_rehash(&old));
    w.login("ada@example.com");
    let new = w.mem.store.password_hash(user.id).unwrap().unwrap();
    assert_ne!(old, new);
    assert!(!w.mem.hasher.needs_rehash(&new));
    w.login("ada@example.com");
}

#[test]
fn a_tampered_access_token_is_refused() {
    let w = World::new();
    let (_, tokens) = w.signed_in("ada@example.com");
    let mut forged = tokens.access_token.expose().to_owned();
    forged = forged.replacen(".user.", ".admin.", 1);
    assert!(matches!(w.app.auth.authenticate(&forged), Err(AuthenticateError::Rejected(TokenRejected::Invalid))));
    assert!(matches!(w.app.auth.authenticate("garbage"), Err(AuthenticateError::Rejected(TokenRejected::Invalid))));
}

#[test]
fn an_access_token_expires_after_its_lifetime() {
    let w = World::new();
    let (_, tokens) = w.signed_in("ada@example.com");
    w.mem.clock.advance(Duration::seconds(899));
    assert!(w.app.auth.authenticate(tokens.access_token.expose()).is_ok());
    w.mem.clock.advance(Duration::seconds(1));
    assert!(matches!(w.app.auth.authenticate(tokens.access_token.expose()), Err(AuthenticateError::Rejected(TokenRejected::Expired))));
}

#[test]
fn verifying_a_token_checks_signature_and_expiry_without_storage() {
    let w = World::new();
    let (ada, tokens) = w.signed_in("ada@example.com");
    let verified = w.app.auth.verify_access_token(tokens.access_token.expose()).expect("a fresh token verifies");
    assert_eq!(verified.claims().user_id, ada.user_id());
    assert!(matches!(w.app.auth.verify_access_token("garbage"), Err(AuthenticateError::Rejected(TokenRejected::Invalid))));
    w.mem.clock.advance(Duration::seconds(900));
    assert!(matches!(
        w.app.auth.verify_access_token(tokens.access_token.expose()),
        Err(AuthenticateError::Rejected(TokenRejected::Expired))
    ));
}

#[test]
fn a_verified_token_grants_nothing_once_its_session_is_revoked_or_it_expires() {
    let w = World::new();
    let (_, tokens) = w.signed_in("ada@example.com");
    let verified = w.app.auth.verify_access_token(tokens.access_token.expose()).unwrap();
    assert!(w.app.auth.authenticate_verified(&verified).is_ok());
    // Expiry between verification and lookup counts.
    w.mem.clock.advance(Duration::seconds(900));
    assert!(matches!(w.app.auth.authenticate_verified(&verified), Err(AuthenticateError::Rejected(TokenRejected::Expired))));

    let (_, tokens) = w.signed_in("bob@example.com");
    let verified = w.app.auth.verify_access_token(tokens.access_token.expose()).unwrap();
    // Revocation between verification and lookup counts too: no state is carried over.
    w.app.auth.logout(tokens.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert!(matches!(w.app.auth.authenticate_verified(&verified), Err(AuthenticateError::Rejected(TokenRejected::Revoked))));
}

#[test]
fn a_deactivated_users_token_is_refused_at_once() {
    let w = World::new();
    let (admin, _) = w.signed_in_admin("root@example.com");
    let (ada, tokens) = w.signed_in("ada@example.com");
    w.deactivate(&admin, &ada);
    assert!(matches!(w.app.auth.authenticate(tokens.access_token.expose()), Err(AuthenticateError::Rejected(TokenRejected::Revoked))));
}

#[test]
fn a_deleted_users_token_is_refused() {
    let w = World::new();
    let (ada, tokens) = w.signed_in("ada@example.com");
    w.app.accounts.delete_account(&ada, Some(&candidate(PASSWORD)), &domain::Client::default()).unwrap();
    assert!(w.app.auth.authenticate(tokens.access_token.expose()).is_err());
}

#[test]
fn authorization_uses_the_stored_role_not_the_tokens_claim() {
    let w = World::new();
    let (root, _) = w.signed_in_admin("root@example.com");
    let (_, tokens) = w.signed_in_admin("second@example.com");
    let second = w.principal(&tokens);
    assert!(second.is_admin());
    w.app
        .admin
        .update_user(
            &root,
            second.user_id(),
            domain::AdminUpdate { role: Some(Role::User), ..Default::default() },
            &domain::Client::default(),
        )
        .unwrap();
    // Same token, issued while admin: the demotion applies on the next request.
    let again = w.principal(&tokens);
    assert!(!again.is_admin());
    assert!(matches!(w.app.admin.list_users(&again, Default::default()), Err(domain::AdminError::Forbidden)));
}

#[test]
fn logout_ends_the_session_and_tolerates_unknown_tokens() {
    let w = World::new();
    let (_, tokens) = w.signed_in("ada@example.com");
    w.app.auth.logout(tokens.refresh_token.expose(), &domain::Client::default()).unwrap();
    assert!(w.app.auth.authenticate(tokens.access_token.expose()).is_err());
    assert!(w.app.auth.refresh(tokens.refresh_token.expose(), &domain::Client::default()).is_err());
    w.app.auth.logout(tokens.refresh_token.expose(), &domain::Client::default()).unwrap();
    w.app.auth.logout("never-issued", &domain::Client::default()).unwrap();
}

#[test]
fn logout_all_ends_every_session_of_the_caller_only() {
    let w = World::new();
    let (ada, first) = w.signed_in("ada@example.com");
    let second = w.login("ada@example.com");
    let (_, bob) = w.signed_in("bob@example.com");
    w.app.auth.logout_all(&ada, &domain::Client::default()).unwrap();
    for t in [&first, &second] {
        assert!(w.app.auth.authenticate(t.access_token.expose()).is_err());
        assert!(w.app.auth.refresh(t.refresh_token.expose(), &domain::Client::default()).is_err());
    }
    assert!(w.app.auth.authenticate(bob.access_token.expose()).is_ok());
}

#[test]
fn a_user_keeps_at_most_one_hundred_live_sessions_and_loses_the_oldest() {
    let w = World::new();
    let (_, first) = w.signed_in("ada@example.com");
    for _ in 0..100 {
        w.login("ada@example.com");
    }
    assert!(w.app.auth.authenticate(first.access_token.expose()).is_err(), "the oldest session is revoked");
    let page =
        w.app.accounts.sessions(&w.principal(&w.login("ada@example.com")), domain::PageRequest::new(Some(100), None).unwrap()).unwrap();
    assert_eq!(page.total, 100);
}
