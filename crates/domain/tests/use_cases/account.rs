use crate::support::{PASSWORD, World, candidate};
use domain::{
    DeleteAccountError, Email, PageRequest, Password, PasswordChangeError, ProfileError, ProfileUpdate, ProjectDraft, ProjectName,
    ResourceError, UserName, UserRepository,
};

fn new_password() -> Password {
    Password::new("a brand new secret", 72).unwrap()
}

#[test]
fn updating_the_name_needs_no_password() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let update = ProfileUpdate { name: Some(UserName::parse("Ada L.").unwrap()), ..Default::default() };
    let user = w.app.accounts.update_profile(&ada, update, &domain::Client::default()).unwrap();
    assert_eq!(user.name.as_str(), "Ada L.");
    assert_eq!(w.mem.store.find(ada.user_id()).unwrap().unwrap().name.as_str(), "Ada L.");
}

#[test]
fn changing_the_email_needs_the_right_current_password() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let change = |password: Option<&str>| ProfileUpdate {
        email: Some(Email::parse("new@example.com").unwrap()),
        current_password: password.map(candidate),
        ..Default::default()
    };
    assert!(matches!(
        w.app.accounts.update_profile(&ada, change(None), &domain::Client::default()),
        Err(ProfileError::CurrentPasswordRequired)
    ));
    assert!(matches!(
        w.app.accounts.update_profile(&ada, change(Some("wrong pass")), &domain::Client::default()),
        Err(ProfileError::WrongPassword)
    ));
    let user = w.app.accounts.update_profile(&ada, change(Some(PASSWORD)), &domain::Client::default()).unwrap();
    assert_eq!((user.email.as_str(), user.pending_email.as_ref().map(Email::as_str)), ("ada@example.com", Some("new@example.com")));
    w.app.links.confirm_email_change(&w.link_token("new@example.com"), &domain::Client::default()).unwrap();
    assert!(w.app.auth.login("new@example.com", &candidate(PASSWORD), &domain::Client::default()).is_ok());
}

#[test]
fn restating_the_current_email_is_no_change_and_needs_no_password() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let update = ProfileUpdate { email: Some(Email::parse("ADA@example.com").unwrap()), ..Default::default() };
    let user = w.app.accounts.update_profile(&ada, update, &domain::Client::default()).unwrap();
    assert_eq!(user.updated_at, ada.user().updated_at);
}

#[test]
fn changing_to_an_email_in_use_is_refused() {
    let w = World::new();
    w.register("bob@example.com");
    let (ada, _) = w.signed_in("ada@example.com");
    let update = ProfileUpdate {
        email: Some(Email::parse("bob@example.com").unwrap()),
        current_password: Some(candidate(PASSWORD)),
        ..Default::default()
    };
    assert!(matches!(w.app.accounts.update_profile(&ada, update, &domain::Client::default()), Err(ProfileError::EmailTaken)));
}

#[test]
fn changing_the_password_revokes_the_other_sessions_but_not_this_one() {
    let w = World::new();
    let (ada, current) = w.signed_in("ada@example.com");
    let other = w.login("ada@example.com");
    assert!(matches!(
        w.app.accounts.change_password(&ada, Some(&candidate("wrong pass")), &new_password(), &domain::Client::default()),
        Err(PasswordChangeError::WrongPassword)
    ));
    w.app.accounts.change_password(&ada, Some(&candidate(PASSWORD)), &new_password(), &domain::Client::default()).unwrap();
    assert!(w.app.auth.authenticate(current.access_token.expose()).is_ok());
    assert!(w.app.auth.authenticate(other.access_token.expose()).is_err());
    assert!(w.app.auth.refresh(other.refresh_token.expose(), &domain::Client::default()).is_err());
    assert!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &domain::Client::default()).is_err());
    assert!(w.app.auth.login("ada@example.com", &candidate("a brand new secret"), &domain::Client::default()).is_ok());
}

#[test]
fn deleting_the_account_needs_the_password_and_removes_everything_it_owns() {
    let w = World::new();
    let (ada, tokens) = w.signed_in("ada@example.com");
    let draft = ProjectDraft { name: ProjectName::parse("P").unwrap(), description: Default::default() };
    let project = w.app.projects.create(&ada, draft).unwrap();
    assert!(matches!(
        w.app.accounts.delete_account(&ada, Some(&candidate("wrong pass")), &domain::Client::default()),
        Err(DeleteAccountError::WrongPassword)
    ));
    w.app.accounts.delete_account(&ada, Some(&candidate(PASSWORD)), &domain::Client::default()).unwrap();
    assert_eq!(w.mem.store.find(ada.user_id()).unwrap(), None);
    assert!(w.app.auth.authenticate(tokens.access_token.expose()).is_err());
    assert!(domain::ProjectRepository::find(w.mem.store.as_ref(), project.id, ada.user_id()).unwrap().is_none());
    assert!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &domain::Client::default()).is_err());
}

#[test]
fn the_last_active_admin_cannot_delete_their_own_account() {
    let w = World::new();
    let (root, _) = w.signed_in_admin("root@example.com");
    assert!(matches!(
        w.app.accounts.delete_account(&root, Some(&candidate(PASSWORD)), &domain::Client::default()),
        Err(DeleteAccountError::LastActiveAdmin)
    ));
    w.signed_in_admin("second@example.com");
    w.app.accounts.delete_account(&root, Some(&candidate(PASSWORD)), &domain::Client::default()).unwrap();
}

#[test]
fn the_session_list_shows_live_sessions_and_marks_the_current_one() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let ended = w.login("ada@example.com");
    w.login("ada@example.com");
    w.app.auth.logout(ended.refresh_token.expose(), &domain::Client::default()).unwrap();
    let page = w.app.accounts.sessions(&ada, PageRequest::default()).unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items.iter().filter(|s| s.current).count(), 1);
    assert!(page.items.iter().any(|s| s.current && s.session.id == ada.session_id().unwrap()));
}

#[test]
fn a_user_can_revoke_their_own_sessions_but_not_someone_elses() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let other = w.login("ada@example.com");
    let other_session = w.principal(&other).session_id().unwrap();
    let (bob, _) = w.signed_in("bob@example.com");
    assert!(matches!(w.app.accounts.revoke_session(&bob, other_session, &domain::Client::default()), Err(ResourceError::NotFound)));
    assert!(w.app.auth.authenticate(other.access_token.expose()).is_ok());
    w.app.accounts.revoke_session(&ada, other_session, &domain::Client::default()).unwrap();
    assert!(w.app.auth.authenticate(other.access_token.expose()).is_err());
    assert!(matches!(w.app.accounts.revoke_session(&ada, other_session, &domain::Client::default()), Err(ResourceError::NotFound)));
}

#[test]
fn an_account_deleted_meanwhile_is_gone_not_a_wrong_password() {
    let w = World::new();
    let (root, _) = w.signed_in_admin("root@example.com");
    let (ada, _) = w.signed_in("ada@example.com");
    w.app.admin.delete_user(&root, ada.user_id(), &domain::Client::default()).unwrap();
    // `ada` was authenticated before the deletion, as a request already running would be.
    assert!(matches!(
        w.app.accounts.change_password(&ada, Some(&candidate(PASSWORD)), &new_password(), &domain::Client::default()),
        Err(PasswordChangeError::AccountGone)
    ));
    assert!(matches!(
        w.app.accounts.delete_account(&ada, Some(&candidate(PASSWORD)), &domain::Client::default()),
        Err(DeleteAccountError::AccountGone)
    ));
    let change_email = ProfileUpdate {
        email: Some(Email::parse("new@example.com").unwrap()),
        current_password: Some(candidate(PASSWORD)),
        ..Default::default()
    };
    assert!(matches!(w.app.accounts.update_profile(&ada, change_email, &domain::Client::default()), Err(ProfileError::AccountGone)));
}
