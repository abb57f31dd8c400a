//! The emailed flows: verification, reset, email change, invites, concealed registration.

use crate::support::{PASSWORD, World, candidate};
use chrono::Duration;
use domain::{
    AttemptPolicy, AuditFilter, AuditKind, AuditLog, Client, Email, EmailChangeMode, EmailPolicy, Invite, LinkError, LoginError,
    PageRequest, Password, ProfileUpdate, RefreshError, RegisterError, Registration, Role, SessionPolicy, UserName, UserRepository,
};

const NEW_PASSWORD: &str = "a brand new password";

fn with_email(email: EmailPolicy) -> World {
    World::with_policy(SessionPolicy { email, ..SessionPolicy::default() })
}

fn no_interval() -> EmailPolicy {
    EmailPolicy { min_interval: Duration::zero(), ..EmailPolicy::DEFAULT }
}

fn reset_request(w: &World, to: &Email, client: &Client) -> Result<(), domain::InfraError> {
    w.app.links.complete(w.app.links.request_password_reset(to, client)?)
}

fn resend(w: &World, to: &Email) -> Result<(), domain::InfraError> {
    w.app.links.complete(w.app.links.resend_verification(to)?)
}

fn kinds(w: &World) -> Vec<AuditKind> {
    AuditLog::list(&*w.mem.store, &AuditFilter::default(), PageRequest::new(Some(100), Some(0)).unwrap())
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn new_password() -> Password {
    Password::new(NEW_PASSWORD, 72).unwrap()
}

#[test]
fn registration_mails_a_verification_link_that_verifies_once() {
    let w = World::new();
    let user = w.register("ada@example.com");
    assert!(!user.email_verified);
    let mail = w.mail_to("ada@example.com");
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].subject, "Verify your email address");
    let token = w.link_token("ada@example.com");
    assert!(mail[0].html.contains(&format!("http://gatehouse.test/account/verify?token={token}")));
    w.app.links.verify_email(&token, &Client::default()).unwrap();
    assert!(w.mem.store.find(user.id).unwrap().unwrap().email_verified);
    assert!(matches!(w.app.links.verify_email(&token, &Client::default()), Err(LinkError::InvalidToken)));
    assert!(kinds(&w).contains(&AuditKind::EmailVerified));
}

#[test]
fn wrong_and_expired_tokens_are_refused_and_change_nothing() {
    let w = World::new();
    let user = w.register("ada@example.com");
    let token = w.link_token("ada@example.com");
    for wrong in ["", "fake-lt-999", "not a token", "gatehouse_rt_x"] {
        assert!(matches!(w.app.links.verify_email(wrong, &Client::default()), Err(LinkError::InvalidToken)), "{wrong:?}");
    }
    // A verification link is no reset link.
    assert!(matches!(w.app.links.reset_password(&token, &new_password(), &Client::default()), Err(LinkError::InvalidToken)));
    w.mem.clock.advance(Duration::seconds(86_400));
    assert!(matches!(w.app.links.verify_email(&token, &Client::default()), Err(LinkError::InvalidToken)));
    assert!(!w.mem.store.find(user.id).unwrap().unwrap().email_verified);
}

#[test]
fn a_reset_sets_the_password_ends_every_session_verifies_and_clears_the_lockout() {
    let lockout = AttemptPolicy { limit: 3, window: Duration::minutes(15) };
    let w = World::with_policy(SessionPolicy { lockout, ..SessionPolicy::default() });
    let user = w.register("ada@example.com");
    let before = w.login("ada@example.com");
    for _ in 0..3 {
        assert!(w.app.auth.login("ada@example.com", &candidate("wrong password"), &Client::default()).is_err());
    }
    assert!(matches!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &Client::default()), Err(LoginError::Locked { .. })));
    reset_request(&w, &email("ada@example.com"), &Client::default()).unwrap();
    let mail = w.mail_to("ada@example.com");
    assert_eq!(mail.last().unwrap().subject, "Reset your password");
    let token = w.link_token("ada@example.com");
    w.app.links.reset_password(&token, &new_password(), &Client::default()).unwrap();
    assert!(matches!(w.app.auth.refresh(before.refresh_token.expose(), &Client::default()), Err(RefreshError::InvalidToken)));
    assert!(matches!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &Client::default()), Err(LoginError::InvalidCredentials)));
    w.login_with("ada@example.com", NEW_PASSWORD);
    assert!(w.mem.store.find(user.id).unwrap().unwrap().email_verified);
    assert!(matches!(w.app.links.reset_password(&token, &new_password(), &Client::default()), Err(LinkError::InvalidToken)));
    let kinds = kinds(&w);
    assert!(kinds.contains(&AuditKind::PasswordResetRequested) && kinds.contains(&AuditKind::PasswordReset));
}

#[test]
fn a_newer_reset_link_replaces_the_older_and_a_password_change_kills_them() {
    let w = with_email(no_interval());
    let (me, _) = w.signed_in("ada@example.com");
    reset_request(&w, &email("ada@example.com"), &Client::default()).unwrap();
    let older = w.link_token("ada@example.com");
    reset_request(&w, &email("ada@example.com"), &Client::default()).unwrap();
    let newer = w.link_token("ada@example.com");
    assert_ne!(older, newer);
    assert!(matches!(w.app.links.reset_password(&older, &new_password(), &Client::default()), Err(LinkError::InvalidToken)));
    w.app.accounts.change_password(&me, Some(&candidate(PASSWORD)), &new_password(), &Client::default()).unwrap();
    assert!(matches!(w.app.links.reset_password(&newer, &new_password(), &Client::default()), Err(LinkError::InvalidToken)));
}

#[test]
fn unknown_addresses_get_no_mail_and_known_ones_one_per_interval() {
    let w = World::new();
    w.register("ada@example.com");
    reset_request(&w, &email("nobody@example.com"), &Client::default()).unwrap();
    assert!(w.mail_to("nobody@example.com").is_empty());
    let requested = AuditLog::list(&*w.mem.store, &AuditFilter::default(), PageRequest::new(Some(100), Some(0)).unwrap()).unwrap();
    assert!(requested.items.iter().any(|e| e.kind == AuditKind::PasswordResetRequested && e.user_id.is_none()));
    for _ in 0..3 {
        reset_request(&w, &email("ada@example.com"), &Client::default()).unwrap();
    }
    assert_eq!(w.mail_to("ada@example.com").len(), 2, "the verification and one reset");
    w.mem.clock.advance(Duration::seconds(61));
    reset_request(&w, &email("ada@example.com"), &Client::default()).unwrap();
    assert_eq!(w.mail_to("ada@example.com").len(), 3);
}

#[test]
fn resend_mails_only_unverified_accounts() {
    let w = with_email(no_interval());
    w.register("ada@example.com");
    resend(&w, &email("ada@example.com")).unwrap();
    assert_eq!(w.mail_to("ada@example.com").len(), 2);
    w.app.links.verify_email(&w.link_token("ada@example.com"), &Client::default()).unwrap();
    resend(&w, &email("ada@example.com")).unwrap();
    resend(&w, &email("nobody@example.com")).unwrap();
    assert_eq!(w.mail_to("ada@example.com").len(), 2);
    assert!(w.mail_to("nobody@example.com").is_empty());
}

#[test]
fn an_email_change_waits_for_the_new_address_and_tells_the_old_one() {
    let w = World::new();
    let (me, _) = w.signed_in("ada@example.com");
    let update =
        ProfileUpdate { email: Some(email("ada@new.example.com")), current_password: Some(candidate(PASSWORD)), ..Default::default() };
    let user = w.app.accounts.update_profile(&me, update, &Client::default()).unwrap();
    assert_eq!(user.email.as_str(), "ada@example.com");
    assert_eq!(user.pending_email.as_ref().map(Email::as_str), Some("ada@new.example.com"));
    let notice = w.mail_to("ada@example.com").pop().unwrap();
    assert!(notice.text.contains("ada@new.example.com") && !notice.text.contains("token="));
    let token = w.link_token("ada@new.example.com");
    w.app.links.confirm_email_change(&token, &Client::default()).unwrap();
    let user = w.mem.store.find(user.id).unwrap().unwrap();
    assert_eq!((user.email.as_str(), user.pending_email, user.email_verified), ("ada@new.example.com", None, true));
    assert!(matches!(w.app.links.confirm_email_change(&token, &Client::default()), Err(LinkError::InvalidToken)));
    w.login("ada@new.example.com");
}

#[test]
fn an_address_taken_before_or_while_the_change_waits_is_a_conflict() {
    let w = World::new();
    let (me, _) = w.signed_in("ada@example.com");
    w.register("bob@example.com");
    let to = |e: &str| ProfileUpdate { email: Some(email(e)), current_password: Some(candidate(PASSWORD)), ..Default::default() };
    assert!(matches!(w.app.accounts.update_profile(&me, to("bob@example.com"), &Client::default()), Err(domain::ProfileError::EmailTaken)));
    w.app.accounts.update_profile(&me, to("carol@example.com"), &Client::default()).unwrap();
    let token = w.link_token("carol@example.com");
    w.register("carol@example.com");
    assert!(matches!(w.app.links.confirm_email_change(&token, &Client::default()), Err(LinkError::EmailTaken)));
    assert_eq!(w.mem.store.find(me.user_id()).unwrap().unwrap().email.as_str(), "ada@example.com");
}

#[test]
fn immediate_email_changes_send_nothing_and_old_links_stop_working() {
    let w = with_email(EmailPolicy { email_change: EmailChangeMode::Immediate, ..EmailPolicy::DEFAULT });
    let (me, _) = w.signed_in("ada@example.com");
    let verify = w.link_token("ada@example.com");
    let update =
        ProfileUpdate { email: Some(email("ada@new.example.com")), current_password: Some(candidate(PASSWORD)), ..Default::default() };
    let user = w.app.accounts.update_profile(&me, update, &Client::default()).unwrap();
    assert_eq!(user.email.as_str(), "ada@new.example.com");
    assert!(w.mail_to("ada@new.example.com").is_empty());
    assert!(matches!(w.app.links.verify_email(&verify, &Client::default()), Err(LinkError::InvalidToken)), "sent to the old address");
}

#[test]
fn an_unverified_account_cannot_sign_in_when_verification_is_required() {
    let w = with_email(EmailPolicy { require_verified_email: true, ..EmailPolicy::DEFAULT });
    w.register("ada@example.com");
    assert!(matches!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &Client::default()), Err(LoginError::EmailNotVerified)));
    assert!(matches!(
        w.app.auth.login("ada@example.com", &candidate("wrong password"), &Client::default()),
        Err(LoginError::InvalidCredentials)
    ));
    w.app.links.verify_email(&w.link_token("ada@example.com"), &Client::default()).unwrap();
    w.login("ada@example.com");
}

#[test]
fn concealed_registration_mails_the_owner_of_a_taken_address_once_per_interval() {
    let w = with_email(EmailPolicy { conceal_registration: true, ..EmailPolicy::DEFAULT });
    w.register("ada@example.com");
    let again = || {
        let registration = Registration {
            email: email("ada@example.com"),
            password: Password::new("another password", 72).unwrap(),
            name: UserName::parse("Mallory").unwrap(),
        };
        w.app.auth.register(registration, &Client::default())
    };
    assert!(matches!(again(), Err(RegisterError::EmailTaken)));
    assert!(matches!(again(), Err(RegisterError::EmailTaken)));
    let mail = w.mail_to("ada@example.com");
    assert_eq!(mail.len(), 2, "the verification, then one notice");
    assert_eq!(mail[1].subject, "Someone tried to register with your address");
}

#[test]
fn an_invite_makes_an_account_its_owner_opens_through_the_link() {
    let w = World::new();
    let (admin, _) = w.signed_in_admin("root@example.com");
    let invite = || Invite { email: email("new@example.com"), name: UserName::parse("New").unwrap(), role: Role::User };
    let user = w.app.admin.invite(&admin, invite(), &Client::default()).unwrap();
    assert!(!user.email_verified);
    assert!(matches!(w.app.admin.invite(&admin, invite(), &Client::default()), Err(domain::AdminError::EmailTaken)));
    let token = w.link_token("new@example.com");
    assert_eq!(w.mail_to("new@example.com")[0].subject, "You are invited: set your password");
    assert!(w.app.auth.login("new@example.com", &candidate(&token), &Client::default()).is_err(), "nobody knows the placeholder");
    w.app.links.reset_password(&token, &new_password(), &Client::default()).unwrap();
    w.login_with("new@example.com", NEW_PASSWORD);
    assert!(w.mem.store.find(user.id).unwrap().unwrap().email_verified);
    let (plain, _) = w.signed_in("plain@example.com");
    let other = Invite { email: email("other@example.com"), name: UserName::parse("Other").unwrap(), role: Role::Admin };
    assert!(matches!(w.app.admin.invite(&plain, other, &Client::default()), Err(domain::AdminError::Forbidden)));
    assert!(kinds(&w).contains(&AuditKind::UserInvited));
}
