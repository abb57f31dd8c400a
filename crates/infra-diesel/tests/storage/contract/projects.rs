use crate::contract::Store;
use crate::contract::support::{hash, page, project, t, task, user};
use domain::Removal;
use domain::{Description, InfraErrorKind, Project, ProjectName, ProjectPatch, ProjectRepository, TaskRepository, User, UserRepository};

fn store_with_users(store: &impl Store) -> (User, User) {
    let (ada, bob) = (user(1, "ada@x.io", t(0)), user(2, "bob@x.io", t(0)));
    UserRepository::insert(store, &ada, &hash("h"), &[]).unwrap();
    UserRepository::insert(store, &bob, &hash("h"), &[]).unwrap();
    (ada, bob)
}

fn a_project_is_found_only_by_its_owner(store: &impl Store) {
    let (ada, bob) = store_with_users(store);
    let projects: &dyn ProjectRepository = store;
    let p = Project { description: Description::parse("line one\nline two\t✓").unwrap(), ..project(1, ada.id, t(0)) };

    projects.insert(&p).unwrap();

    assert_eq!(projects.find(p.id, ada.id).unwrap(), Some(p.clone()));
    assert_eq!(projects.find(p.id, bob.id).unwrap(), None);
    assert_eq!(projects.find(project(2, ada.id, t(0)).id, ada.id).unwrap(), None);
}

fn a_project_of_an_unknown_owner_is_an_error(store: &impl Store) {
    let projects: &dyn ProjectRepository = store;
    let ghost = user(9, "ghost@x.io", t(0));

    let result = projects.insert(&project(1, ghost.id, t(0)));

    assert_eq!(result.unwrap_err().kind(), InfraErrorKind::Internal);
}

fn list_is_the_owners_projects_newest_first(store: &impl Store) {
    let (ada, bob) = store_with_users(store);
    let projects: &dyn ProjectRepository = store;
    // 2 and 4 share a creation time: the larger id comes first.
    for (n, created) in [(1, 10), (2, 20), (3, 30), (4, 20), (5, 5)] {
        projects.insert(&project(n, ada.id, t(created))).unwrap();
    }
    projects.insert(&project(6, bob.id, t(100))).unwrap();
    let ids = |limit, offset| -> Vec<_> { projects.list(ada.id, page(limit, offset)).unwrap().items.iter().map(|p| p.id).collect() };
    let expected: Vec<_> = [3, 4, 2, 1, 5].iter().map(|n| project(*n, ada.id, t(0)).id).collect();

    assert_eq!(ids(10, 0), expected);
    assert_eq!(ids(2, 3), expected[3..]);
    assert_eq!(projects.list(ada.id, page(2, 3)).unwrap().total, 5);
    assert_eq!(projects.list(bob.id, page(10, 0)).unwrap().total, 1);
    let beyond = projects.list(ada.id, page(2, 9)).unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 5, "a page past the end still counts every project");
}

fn update_writes_the_named_fields_and_the_time_only(store: &impl Store) {
    let (ada, bob) = store_with_users(store);
    let projects: &dyn ProjectRepository = store;
    let p = project(1, ada.id, t(0));
    projects.insert(&p).unwrap();

    let rename = ProjectPatch { name: Some(ProjectName::parse("Renamed").unwrap()), description: None };
    let describe = ProjectPatch { name: None, description: Some(Description::parse("now described").unwrap()) };
    projects.update(p.id, ada.id, &rename, t(40)).unwrap();
    let written = projects.update(p.id, ada.id, &describe, t(50)).unwrap();

    let expected = Project {
        name: ProjectName::parse("Renamed").unwrap(),
        description: Description::parse("now described").unwrap(),
        updated_at: t(50),
        ..p.clone()
    };
    assert_eq!(written, Some(expected.clone()), "the second write keeps the first one's name");
    assert_eq!(projects.find(p.id, ada.id).unwrap(), Some(expected));
    assert_eq!(projects.update(p.id, bob.id, &rename, t(60)).unwrap(), None, "not Bob's");
    assert_eq!(projects.update(project(2, ada.id, t(0)).id, ada.id, &rename, t(60)).unwrap(), None, "gone");
}

fn delete_is_scoped_to_the_owner_and_takes_the_tasks(store: &impl Store) {
    let (ada, bob) = store_with_users(store);
    let (p, kept) = (project(1, ada.id, t(0)), project(2, ada.id, t(0)));
    ProjectRepository::insert(store, &p).unwrap();
    ProjectRepository::insert(store, &kept).unwrap();
    let (doomed_task, kept_task) = (task(1, p.id, t(0)), task(2, kept.id, t(0)));
    TaskRepository::insert(store, &doomed_task).unwrap();
    TaskRepository::insert(store, &kept_task).unwrap();

    assert_eq!(ProjectRepository::delete(store, p.id, bob.id).unwrap(), Removal::NotFound, "not bob's");
    assert!(ProjectRepository::find(store, p.id, ada.id).unwrap().is_some());
    assert_eq!(ProjectRepository::delete(store, p.id, ada.id).unwrap(), Removal::Removed);

    assert_eq!(ProjectRepository::find(store, p.id, ada.id).unwrap(), None);
    assert_eq!(TaskRepository::find(store, doomed_task.id, ada.id).unwrap(), None);
    assert_eq!(TaskRepository::list(store, p.id, None, page(10, 0)).unwrap().total, 0);
    assert!(TaskRepository::find(store, kept_task.id, ada.id).unwrap().is_some());
    assert_eq!(ProjectRepository::delete(store, p.id, ada.id).unwrap(), Removal::NotFound, "already gone");
}

store_contract_tests!(
    a_project_is_found_only_by_its_owner,
    a_project_of_an_unknown_owner_is_an_error,
    list_is_the_owners_projects_newest_first,
    update_writes_the_named_fields_and_the_time_only,
    delete_is_scoped_to_the_owner_and_takes_the_tasks,
);
