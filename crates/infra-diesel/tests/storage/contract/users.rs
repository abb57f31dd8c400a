use crate::contract::Store;
use crate::contract::support::{digest, hash, page, project, session, t, task, user};
use chrono::Duration;
use domain::TaskInsert;
use domain::{
    AdminChanges, AdminWrite, Email, PasswordWrite, ProfileChanges, ProjectRepository, Role, SessionRepository, TaskRepository,
    UniqueEmailError, User, UserDelete, UserName, UserRepository, UserWrite, truncate_to_micros,
};

fn inserted_user_reads_back_equal_by_id_and_by_email(store: &impl Store) {
    let users: &dyn UserRepository = store;
    let mut ada = user(1, "ada@example.com", t(0));
    ada.role = Role::Admin;
    ada.email_verified = true;
    ada.pending_email = Some(Email::parse("ada.next@example.com").unwrap());
    // Nanoseconds are dropped on the way in: every backend keeps microseconds.
    ada.updated_at = t(5) + Duration::nanoseconds(789);

    users.insert(&ada, &hash("ada"), &[]).unwrap();

    let expected = User { updated_at: truncate_to_micros(ada.updated_at), ..ada.clone() };
    assert_eq!(users.find(ada.id).unwrap(), Some(expected.clone()));
    assert_eq!(users.find_credentials(&ada.email).unwrap(), Some((expected, hash("ada"))));
    assert_eq!(users.password_hash(ada.id).unwrap(), Some(hash("ada")));
    assert_eq!(users.find(user(2, "x@example.com", t(0)).id).unwrap(), None);
    assert_eq!(users.find_credentials(&Email::parse("nobody@example.com").unwrap()).unwrap(), None);
    assert_eq!(users.password_hash(user(2, "x@example.com", t(0)).id).unwrap(), None);
}

fn a_taken_email_is_refused_but_accents_are_distinct(store: &impl Store) {
    let users: &dyn UserRepository = store;
    users.insert(&user(1, "e@e.io", t(0)), &hash("1"), &[]).unwrap();

    let again = users.insert(&user(2, "e@e.io", t(1)), &hash("2"), &[]);

    assert!(matches!(again, Err(UniqueEmailError::EmailTaken(_))), "{again:?}");
    // A collation that folds accents would call these equal.
    users.insert(&user(3, "e@é.io", t(2)), &hash("3"), &[]).unwrap();
    assert_eq!(users.list(page(10, 0)).unwrap().total, 2);
}

fn a_profile_update_writes_only_name_email_and_its_time(store: &impl Store) {
    let users: &dyn UserRepository = store;
    let ada = User { email_verified: true, ..user(1, "ada@example.com", t(0)) };
    let bob = User { email_verified: true, ..user(2, "bob@example.com", t(1)) };
    users.insert(&ada, &hash("ada"), &[]).unwrap();
    users.insert(&bob, &hash("bob"), &[]).unwrap();
    // An admin's change that lands while the owner's update is in flight.
    let admin_change = AdminChanges { role: Some(Role::Admin), is_active: Some(false), ..AdminChanges::default() };
    assert!(matches!(users.update_by_admin(ada.id, &admin_change, t(5), &[]).unwrap(), AdminWrite::Updated { .. }));

    let changes = ProfileChanges {
        name: Some(UserName::parse("Countess").unwrap()),
        email: Some(Email::parse("lovelace@example.com").unwrap()),
        ..ProfileChanges::default()
    };
    let written = users.update_profile(ada.id, &changes, t(10), &[]).unwrap();

    let expected = User {
        email: Email::parse("lovelace@example.com").unwrap(),
        name: UserName::parse("Countess").unwrap(),
        role: Role::Admin,
        is_active: false,
        updated_at: t(10),
        email_verified: false,
        ..ada.clone()
    };
    assert_eq!(
        written,
        UserWrite::Updated(expected.clone()),
        "role and is_active stay as the admin left them; the new address is unverified"
    );
    assert_eq!(users.find(ada.id).unwrap(), Some(expected.clone()));
    assert_eq!(users.password_hash(ada.id).unwrap(), Some(hash("ada")), "the hash is not part of an update");
    let name_only = ProfileChanges { name: Some(UserName::parse("Ada").unwrap()), ..ProfileChanges::default() };
    let UserWrite::Updated(renamed) = users.update_profile(ada.id, &name_only, t(11), &[]).unwrap() else { panic!("account gone") };
    assert_eq!((renamed.name.as_str(), renamed.email.as_str()), ("Ada", "lovelace@example.com"));
    let stealing = ProfileChanges { email: Some(bob.email.clone()), ..ProfileChanges::default() };
    assert!(matches!(users.update_profile(ada.id, &stealing, t(12), &[]), Err(UniqueEmailError::EmailTaken(_))));
    assert_eq!(users.find(ada.id).unwrap().unwrap().email, expected.email);
    let ghost = user(3, "ghost@example.com", t(0));
    assert_eq!(users.update_profile(ghost.id, &name_only, t(13), &[]).unwrap(), UserWrite::NotFound);
    let UserWrite::Updated(bob) = users.update_profile(bob.id, &name_only, t(14), &[]).unwrap() else { panic!("account gone") };
    assert!(bob.email_verified, "a new name leaves the address verified");
}

fn an_admin_update_writes_only_the_named_columns(store: &impl Store) {
    let users: &dyn UserRepository = store;
    let ada = user(1, "ada@example.com", t(0));
    users.insert(&ada, &hash("ada"), &[]).unwrap();

    let promote = AdminChanges { role: Some(Role::Admin), ..AdminChanges::default() };
    let written = users.update_by_admin(ada.id, &promote, t(10), &[]).unwrap();

    let promoted = User { role: Role::Admin, updated_at: t(10), ..ada.clone() };
    assert_eq!(written, AdminWrite::Updated { user: promoted.clone(), changed: true });
    assert_eq!(users.find(ada.id).unwrap(), Some(promoted.clone()));
    assert_eq!(
        users.update_by_admin(ada.id, &promote, t(20), &[]).unwrap(),
        AdminWrite::Updated { user: promoted.clone(), changed: false },
        "a change to what is stored already writes nothing, not even the time"
    );
    let bob = User { role: Role::Admin, ..user(2, "bob@example.com", t(0)) };
    users.insert(&bob, &hash("bob"), &[]).unwrap();
    let sessions: &dyn SessionRepository = store;
    sessions.insert(&session(1, ada.id, t(0), t(3_600)), &digest("ada"), &[]).unwrap();
    sessions.insert(&session(2, bob.id, t(0), t(3_600)), &digest("bob"), &[]).unwrap();
    let deactivate = AdminChanges { is_active: Some(false), ..AdminChanges::default() };
    let AdminWrite::Updated { user: left, changed: true } = users.update_by_admin(ada.id, &deactivate, t(30), &[]).unwrap() else {
        panic!("two admins: one may go")
    };
    assert!(!left.is_active && left.role == Role::Admin);
    assert_eq!(sessions.list_live(ada.id, t(31), page(10, 0)).unwrap().total, 0, "a deactivation ends the account's sessions with it");
    assert_eq!(sessions.list_live(bob.id, t(31), page(10, 0)).unwrap().total, 1, "and no one else's");
    assert_eq!(users.update_by_admin(user(3, "x@x.io", t(0)).id, &promote, t(40), &[]).unwrap(), AdminWrite::NotFound);
}

fn the_last_active_admin_can_be_neither_demoted_deactivated_nor_deleted(store: &impl Store) {
    let users: &dyn UserRepository = store;
    let admin = |n, active| User { role: Role::Admin, is_active: active, ..user(n, &format!("a{n}@x.io"), t(0)) };
    let (only, inactive, plain) = (admin(1, true), admin(2, false), user(3, "plain@x.io", t(0)));
    for u in [&only, &inactive, &plain] {
        users.insert(u, &hash("h"), &[]).unwrap();
    }
    let demote = AdminChanges { role: Some(Role::User), ..AdminChanges::default() };
    let deactivate = AdminChanges { is_active: Some(false), ..AdminChanges::default() };

    assert_eq!(users.update_by_admin(only.id, &demote, t(1), &[]).unwrap(), AdminWrite::LastActiveAdmin);
    assert_eq!(users.update_by_admin(only.id, &deactivate, t(1), &[]).unwrap(), AdminWrite::LastActiveAdmin);
    assert_eq!(users.delete(only.id, &[]).unwrap(), UserDelete::LastActiveAdmin);
    assert_eq!(users.find(only.id).unwrap(), Some(only.clone()), "nothing was written");
    // Others may go, and a renamed last admin is still one.
    let rename = AdminChanges { name: Some(UserName::parse("Root").unwrap()), ..AdminChanges::default() };
    assert!(matches!(users.update_by_admin(only.id, &rename, t(2), &[]).unwrap(), AdminWrite::Updated { changed: true, .. }));
    assert_eq!(users.delete(inactive.id, &[]).unwrap(), UserDelete::Deleted);
    assert_eq!(users.delete(plain.id, &[]).unwrap(), UserDelete::Deleted);
    assert_eq!(users.delete(plain.id, &[]).unwrap(), UserDelete::NotFound);
    // With a second active admin, the first may leave.
    let second = admin(4, true);
    users.insert(&second, &hash("h"), &[]).unwrap();
    assert_eq!(users.delete(only.id, &[]).unwrap(), UserDelete::Deleted);
    assert_eq!(users.delete(second.id, &[]).unwrap(), UserDelete::LastActiveAdmin);
}

fn set_password_hash_replaces_it_and_ends_the_other_sessions(store: &impl Store) {
    let users: &dyn UserRepository = store;
    let sessions: &dyn SessionRepository = store;
    let (ada, bob) = (user(1, "ada@example.com", t(0)), user(2, "bob@example.com", t(0)));
    users.insert(&ada, &hash("old"), &[]).unwrap();
    users.insert(&bob, &hash("bob"), &[]).unwrap();
    let (current, other, bobs) =
        (session(1, ada.id, t(0), t(3_600)), session(2, ada.id, t(0), t(3_600)), session(3, bob.id, t(0), t(3_600)));
    for (s, d) in [(&current, "1"), (&other, "2"), (&bobs, "3")] {
        sessions.insert(s, &digest(d), &[]).unwrap();
    }

    assert_eq!(users.set_password_hash(ada.id, &hash("new"), Some(current.id), t(60), &[]).unwrap(), PasswordWrite::Replaced);

    assert_eq!(users.password_hash(ada.id).unwrap(), Some(hash("new")));
    assert_eq!(users.find(ada.id).unwrap().unwrap().updated_at, t(60));
    let live = |u| sessions.list_live(u, t(61), page(10, 0)).unwrap().items.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(live(ada.id), vec![current.id], "only the session it keeps survives the new password");
    assert_eq!(live(bob.id), vec![bobs.id]);
    users.set_password_hash(ada.id, &hash("newer"), None, t(70), &[]).unwrap();
    assert!(live(ada.id).is_empty(), "keeping none ends them all");
    assert_eq!(users.set_password_hash(user(9, "x@x.io", t(0)).id, &hash("x"), None, t(60), &[]).unwrap(), PasswordWrite::NotFound);
}

fn a_hash_upgrade_applies_only_over_the_hash_it_verified(store: &impl Store) {
    let users: &dyn UserRepository = store;
    let ada = user(1, "ada@example.com", t(0));
    users.insert(&ada, &hash("old-cost"), &[]).unwrap();

    assert_eq!(users.upgrade_password_hash(ada.id, &hash("old-cost"), &hash("new-cost")).unwrap(), PasswordWrite::Replaced);
    assert_eq!(users.password_hash(ada.id).unwrap(), Some(hash("new-cost")));
    assert_eq!(users.find(ada.id).unwrap().unwrap().updated_at, ada.updated_at, "an upgrade is no change of the account");

    // A password change landed between the login's check and its upgrade.
    users.set_password_hash(ada.id, &hash("changed"), None, t(5), &[]).unwrap();
    assert_eq!(users.upgrade_password_hash(ada.id, &hash("new-cost"), &hash("stale-upgrade")).unwrap(), PasswordWrite::Stale);
    assert_eq!(users.password_hash(ada.id).unwrap(), Some(hash("changed")));
    assert_eq!(users.upgrade_password_hash(user(2, "b@x.io", t(0)).id, &hash("a"), &hash("b")).unwrap(), PasswordWrite::NotFound);
}

fn deleting_a_user_cascades_to_everything_it_owns(store: &impl Store) {
    let ada = user(1, "ada@example.com", t(0));
    let bob = user(2, "bob@example.com", t(0));
    UserRepository::insert(store, &ada, &hash("a"), &[]).unwrap();
    UserRepository::insert(store, &bob, &hash("b"), &[]).unwrap();
    let (ada_session, bob_session) = (session(1, ada.id, t(0), t(3600)), session(2, bob.id, t(0), t(3600)));
    SessionRepository::insert(store, &ada_session, &digest("ada"), &[]).unwrap();
    SessionRepository::insert(store, &bob_session, &digest("bob"), &[]).unwrap();
    let (ada_project, bob_project) = (project(1, ada.id, t(0)), project(2, bob.id, t(0)));
    ProjectRepository::insert(store, &ada_project).unwrap();
    ProjectRepository::insert(store, &bob_project).unwrap();
    let (ada_task, bob_task) = (task(1, ada_project.id, t(0)), task(2, bob_project.id, t(0)));
    assert_eq!(TaskRepository::insert(store, &ada_task).unwrap(), TaskInsert::Inserted);
    assert_eq!(TaskRepository::insert(store, &bob_task).unwrap(), TaskInsert::Inserted);

    assert_eq!(UserRepository::delete(store, ada.id, &[]).unwrap(), UserDelete::Deleted);

    assert_eq!(UserRepository::find(store, ada.id).unwrap(), None);
    assert_eq!(store.find_with_user(ada_session.id).unwrap(), None);
    assert_eq!(store.find_by_refresh_digest(&digest("ada")).unwrap(), None);
    assert_eq!(ProjectRepository::find(store, ada_project.id, ada.id).unwrap(), None);
    assert_eq!(TaskRepository::find(store, ada_task.id, ada.id).unwrap(), None);
    assert_eq!(UserRepository::delete(store, ada.id, &[]).unwrap(), UserDelete::NotFound, "already gone");
    // Nothing of anyone else's went with it.
    assert!(store.find_with_user(bob_session.id).unwrap().is_some());
    assert!(store.find_by_refresh_digest(&digest("bob")).unwrap().is_some());
    assert!(ProjectRepository::find(store, bob_project.id, bob.id).unwrap().is_some());
    assert!(TaskRepository::find(store, bob_task.id, bob.id).unwrap().is_some());
    // The email is free again.
    UserRepository::insert(store, &user(3, "ada@example.com", t(1)), &hash("c"), &[]).unwrap();
}

fn list_is_oldest_first_with_ties_broken_by_id(store: &impl Store) {
    let users: &dyn UserRepository = store;
    // Inserted out of order; 4 and 2 share a creation time, so the id decides (2 first).
    for (n, secs) in [(4, 10), (1, 20), (2, 10), (5, 0), (3, 30)] {
        users.insert(&user(n, &format!("u{n}@x.io"), t(secs)), &hash("h"), &[]).unwrap();
    }
    let order = |limit, offset| -> Vec<String> {
        users.list(page(limit, offset)).unwrap().items.iter().map(|u| u.email.as_str().to_owned()).collect()
    };

    assert_eq!(order(10, 0), ["u5@x.io", "u2@x.io", "u4@x.io", "u1@x.io", "u3@x.io"]);
    assert_eq!(order(2, 1), ["u2@x.io", "u4@x.io"]);
    let beyond = users.list(page(10, 7)).unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!((beyond.total, beyond.limit, beyond.offset), (5, 10, 7));
    assert_eq!(users.list(page(2, 0)).unwrap().total, 5);
}

store_contract_tests!(
    inserted_user_reads_back_equal_by_id_and_by_email,
    a_taken_email_is_refused_but_accents_are_distinct,
    a_profile_update_writes_only_name_email_and_its_time,
    an_admin_update_writes_only_the_named_columns,
    the_last_active_admin_can_be_neither_demoted_deactivated_nor_deleted,
    set_password_hash_replaces_it_and_ends_the_other_sessions,
    a_hash_upgrade_applies_only_over_the_hash_it_verified,
    deleting_a_user_cascades_to_everything_it_owns,
    list_is_oldest_first_with_ties_broken_by_id,
);
