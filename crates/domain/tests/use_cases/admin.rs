use crate::support::{PASSWORD, World, candidate};
use domain::{AdminError, AdminUpdate, CreatedAdmin, Email, PageRequest, Password, Role, UserName};

#[test]
fn only_admins_list_users() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let (root, _) = w.signed_in_admin("root@example.com");
    assert!(matches!(w.app.admin.list_users(&ada, PageRequest::default()), Err(AdminError::Forbidden)));
    let page = w.app.admin.list_users(&root, PageRequest::default()).unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].id, ada.user_id(), "oldest first");
}

#[test]
fn a_non_admin_sees_only_themselves_and_others_are_not_found() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let (bob, _) = w.signed_in("bob@example.com");
    let (root, _) = w.signed_in_admin("root@example.com");
    assert_eq!(w.app.admin.get_user(&ada, ada.user_id()).unwrap().id, ada.user_id());
    assert!(matches!(w.app.admin.get_user(&ada, bob.user_id()), Err(AdminError::NotFound)));
    assert_eq!(w.app.admin.get_user(&root, bob.user_id()).unwrap().id, bob.user_id());
}

#[test]
fn non_admins_cannot_change_or_delete_accounts() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let (bob, _) = w.signed_in("bob@example.com");
    let promote = AdminUpdate { role: Some(Role::Admin), ..Default::default() };
    assert!(matches!(w.app.admin.update_user(&ada, ada.user_id(), promote, &domain::Client::default()), Err(AdminError::Forbidden)));
    assert!(matches!(w.app.admin.delete_user(&ada, bob.user_id(), &domain::Client::default()), Err(AdminError::Forbidden)));
}

#[test]
fn an_admin_changes_name_role_and_activity_and_deactivation_revokes_sessions() {
    let w = World::new();
    let (root, _) = w.signed_in_admin("root@example.com");
    let (ada, tokens) = w.signed_in("ada@example.com");
    let update = AdminUpdate { name: Some(UserName::parse("Ada").unwrap()), role: Some(Role::Admin), is_active: Some(false) };
    let user = w.app.admin.update_user(&root, ada.user_id(), update, &domain::Client::default()).unwrap();
    assert_eq!((user.name.as_str(), user.role, user.is_active), ("Ada", Role::Admin, false));
    assert!(w.app.auth.refresh(tokens.refresh_token.expose(), &domain::Client::default()).is_err());
    let reactivate = AdminUpdate { is_active: Some(true), ..Default::default() };
    w.app.admin.update_user(&root, ada.user_id(), reactivate, &domain::Client::default()).unwrap();
    assert!(w.app.auth.authenticate(tokens.access_token.expose()).is_err(), "reactivation does not revive revoked sessions");
}

#[test]
fn the_last_active_admin_cannot_be_demoted_deactivated_or_deleted() {
    let w = World::new();
    let (root, _) = w.signed_in_admin("root@example.com");
    let id = root.user_id();
    let demote = AdminUpdate { role: Some(Role::User), ..Default::default() };
    let deactivate = AdminUpdate { is_active: Some(false), ..Default::default() };
    assert!(matches!(w.app.admin.update_user(&root, id, demote, &domain::Client::default()), Err(AdminError::LastActiveAdmin)));
    assert!(matches!(w.app.admin.update_user(&root, id, deactivate, &domain::Client::default()), Err(AdminError::LastActiveAdmin)));
    assert!(matches!(w.app.admin.delete_user(&root, id, &domain::Client::default()), Err(AdminError::LastActiveAdmin)));
    // With a second active admin each of these is allowed.
    w.signed_in_admin("second@example.com");
    let demote = AdminUpdate { role: Some(Role::User), ..Default::default() };
    assert_eq!(w.app.admin.update_user(&root, id, demote, &domain::Client::default()).unwrap().role, Role::User);
}

#[test]
fn an_admin_deletes_an_account_and_a_missing_one_is_not_found() {
    let w = World::new();
    let (root, _) = w.signed_in_admin("root@example.com");
    let (ada, tokens) = w.signed_in("ada@example.com");
    w.app.admin.delete_user(&root, ada.user_id(), &domain::Client::default()).unwrap();
    assert!(w.app.auth.authenticate(tokens.access_token.expose()).is_err());
    assert!(matches!(w.app.admin.delete_user(&root, ada.user_id(), &domain::Client::default()), Err(AdminError::NotFound)));
    assert!(matches!(w.app.admin.get_user(&root, ada.user_id()), Err(AdminError::NotFound)));
}

#[test]
fn create_admin_promotes_an_existing_account_sets_its_password_and_revokes_its_sessions() {
    let w = World::new();
    let (ada, tokens) = w.signed_in("ada@example.com");
    let outcome = w
        .app
        .admin
        .create_admin(
            Email::parse("ada@example.com").unwrap(),
            UserName::parse("Ada").unwrap(),
            &Password::new("recovered password", 72).unwrap(),
        )
        .unwrap();
    let CreatedAdmin::Promoted(user) = outcome else { panic!("expected a promotion") };
    assert_eq!((user.id, user.role, user.is_active), (ada.user_id(), Role::Admin, true));
    assert!(w.app.auth.authenticate(tokens.access_token.expose()).is_err());
    assert!(w.app.auth.login("ada@example.com", &candidate(PASSWORD), &domain::Client::default()).is_err());
    assert!(w.app.auth.login("ada@example.com", &candidate("recovered password"), &domain::Client::default()).is_ok());
    let recorded =
        w.app.accounts.events(&w.principal(&w.login_with("ada@example.com", "recovered password")), PageRequest::default()).unwrap();
    let created = recorded.items.iter().find(|e| e.kind == domain::AuditKind::AdminCreated).expect("an admin.created event");
    assert_eq!(created.detail, domain::AuditDetail::new().flag("promoted", true));
    assert!(created.ip.is_none() && created.actor_id.is_none(), "the command line has no client and no acting account");
}
