use crate::support::{digest, hash, page, project, session, t, task, user};
use chrono::Duration;
use domain::{
    Email, ProjectRepository, Role, SessionRepository, TaskRepository, UniqueEmailError, User, UserName, UserRepository, truncate_to_micros,
};
use infra_diesel::Database;

fn inserted_user_reads_back_equal_by_id_and_by_email(db: &Database) {
    let store = db.store();
    let users: &dyn UserRepository = &store;
    let mut ada = user(1, "ada@example.com", t(0));
    ada.role = Role::Admin;
    // Nanoseconds are dropped on the way in: every backend keeps microseconds.
    ada.updated_at = t(5) + Duration::nanoseconds(789);

    users.insert(&ada, &hash("ada")).unwrap();

    let expected = User { updated_at: truncate_to_micros(ada.updated_at), ..ada.clone() };
    assert_eq!(users.find(ada.id).unwrap(), Some(expected.clone()));
    assert_eq!(users.find_credentials(&ada.email).unwrap(), Some((expected, hash("ada"))));
    assert_eq!(users.password_hash(ada.id).unwrap(), Some(hash("ada")));
    assert_eq!(users.find(user(2, "x@example.com", t(0)).id).unwrap(), None);
    assert_eq!(users.find_credentials(&Email::parse("nobody@example.com").unwrap()).unwrap(), None);
    assert_eq!(users.password_hash(user(2, "x@example.com", t(0)).id).unwrap(), None);
}

fn a_taken_email_is_refused_but_accents_are_distinct(db: &Database) {
    let store = db.store();
    let users: &dyn UserRepository = &store;
    users.insert(&user(1, "e@x.io", t(0)), &hash("1")).unwrap();

    let again = users.insert(&user(2, "e@x.io", t(1)), &hash("2"));

    assert!(matches!(again, Err(UniqueEmailError::EmailTaken(_))), "{again:?}");
    // A collation that folds accents would call these equal.
    users.insert(&user(3, "é@x.io", t(2)), &hash("3")).unwrap();
    assert_eq!(users.list(page(10, 0)).unwrap().total, 2);
}

fn update_saves_every_field_but_id_and_creation_time(db: &Database) {
    let store = db.store();
    let users: &dyn UserRepository = &store;
    let ada = user(1, "ada@example.com", t(0));
    let bob = user(2, "bob@example.com", t(1));
    users.insert(&ada, &hash("ada")).unwrap();
    users.insert(&bob, &hash("bob")).unwrap();

    let changed = User {
        email: Email::parse("lovelace@example.com").unwrap(),
        name: UserName::parse("Countess").unwrap(),
        role: Role::Admin,
        is_active: false,
        created_at: t(999),
        updated_at: t(10),
        ..ada.clone()
    };
    assert!(users.update(&changed).unwrap());

    assert_eq!(users.find(ada.id).unwrap(), Some(User { created_at: ada.created_at, ..changed.clone() }));
    assert_eq!(users.password_hash(ada.id).unwrap(), Some(hash("ada")), "the hash is not part of an update");
    assert!(users.update(&changed).unwrap(), "saving unchanged values still finds the account");
    let stealing = User { email: bob.email.clone(), ..changed.clone() };
    assert!(matches!(users.update(&stealing), Err(UniqueEmailError::EmailTaken(_))));
    assert_eq!(users.find(ada.id).unwrap().unwrap().email, changed.email);
    let ghost = user(3, "ghost@example.com", t(0));
    assert!(!users.update(&ghost).unwrap());
    assert!(matches!(users.update(&User { email: bob.email.clone(), ..ghost }), Err(UniqueEmailError::EmailTaken(_))));
}

fn set_password_hash_replaces_it_and_stamps_the_account(db: &Database) {
    let store = db.store();
    let users: &dyn UserRepository = &store;
    let ada = user(1, "ada@example.com", t(0));
    users.insert(&ada, &hash("old")).unwrap();

    assert!(users.set_password_hash(ada.id, &hash("new"), t(60)).unwrap());

    assert_eq!(users.password_hash(ada.id).unwrap(), Some(hash("new")));
    assert_eq!(users.find(ada.id).unwrap().unwrap().updated_at, t(60));
    assert!(!users.set_password_hash(user(2, "b@x.io", t(0)).id, &hash("x"), t(60)).unwrap());
}

fn deleting_a_user_cascades_to_everything_it_owns(db: &Database) {
    let store = db.store();
    let ada = user(1, "ada@example.com", t(0));
    let bob = user(2, "bob@example.com", t(0));
    UserRepository::insert(&store, &ada, &hash("a")).unwrap();
    UserRepository::insert(&store, &bob, &hash("b")).unwrap();
    let (ada_session, bob_session) = (session(1, ada.id, t(0), t(3600)), session(2, bob.id, t(0), t(3600)));
    SessionRepository::insert(&store, &ada_session, &digest("ada")).unwrap();
    SessionRepository::insert(&store, &bob_session, &digest("bob")).unwrap();
    let (ada_project, bob_project) = (project(1, ada.id, t(0)), project(2, bob.id, t(0)));
    ProjectRepository::insert(&store, &ada_project).unwrap();
    ProjectRepository::insert(&store, &bob_project).unwrap();
    let (ada_task, bob_task) = (task(1, ada_project.id, t(0)), task(2, bob_project.id, t(0)));
    assert!(TaskRepository::insert(&store, &ada_task).unwrap());
    assert!(TaskRepository::insert(&store, &bob_task).unwrap());

    assert!(UserRepository::delete(&store, ada.id).unwrap());

    assert_eq!(UserRepository::find(&store, ada.id).unwrap(), None);
    assert_eq!(store.find_with_user(ada_session.id).unwrap(), None);
    assert_eq!(store.find_by_refresh_digest(&digest("ada")).unwrap(), None);
    assert_eq!(ProjectRepository::find(&store, ada_project.id, ada.id).unwrap(), None);
    assert_eq!(TaskRepository::find(&store, ada_task.id, ada.id).unwrap(), None);
    assert!(!UserRepository::delete(&store, ada.id).unwrap(), "already gone");
    // Nothing of anyone else's went with it.
    assert!(store.find_with_user(bob_session.id).unwrap().is_some());
    assert!(store.find_by_refresh_digest(&digest("bob")).unwrap().is_some());
    assert!(ProjectRepository::find(&store, bob_project.id, bob.id).unwrap().is_some());
    assert!(TaskRepository::find(&store, bob_task.id, bob.id).unwrap().is_some());
    // The email is free again.
    UserRepository::insert(&store, &user(3, "ada@example.com", t(1)), &hash("c")).unwrap();
}

fn list_is_oldest_first_with_ties_broken_by_id(db: &Database) {
    let store = db.store();
    let users: &dyn UserRepository = &store;
    // Inserted out of order; 4 and 2 share a creation time, so the id decides (2 first).
    for (n, secs) in [(4, 10), (1, 20), (2, 10), (5, 0), (3, 30)] {
        users.insert(&user(n, &format!("u{n}@x.io"), t(secs)), &hash("h")).unwrap();
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

fn counts_only_active_admins(db: &Database) {
    let store = db.store();
    let users: &dyn UserRepository = &store;
    assert_eq!(users.count_active_admins().unwrap(), 0);
    let admin = |n, active| User { role: Role::Admin, is_active: active, ..user(n, &format!("a{n}@x.io"), t(0)) };
    users.insert(&admin(1, true), &hash("h")).unwrap();
    users.insert(&admin(2, false), &hash("h")).unwrap();
    users.insert(&user(3, "plain@x.io", t(0)), &hash("h")).unwrap();
    users.insert(&admin(4, true), &hash("h")).unwrap();

    assert_eq!(users.count_active_admins().unwrap(), 2);
}

contract_tests!(
    inserted_user_reads_back_equal_by_id_and_by_email,
    a_taken_email_is_refused_but_accents_are_distinct,
    update_saves_every_field_but_id_and_creation_time,
    set_password_hash_replaces_it_and_stamps_the_account,
    deleting_a_user_cascades_to_everything_it_owns,
    list_is_oldest_first_with_ties_broken_by_id,
    counts_only_active_admins,
);
