use crate::contract::Store;
use crate::contract::support::{hash, page, project, t, task, user};
use domain::{
    Description, DueDate, Project, ProjectRepository, Task, TaskPatch, TaskPriority, TaskRepository, TaskStatus, TaskTitle, User,
    UserRepository,
};
use domain::{Removal, TaskInsert};

/// Ada owns project 1; Bob owns nothing.
fn store_with_project(store: &impl Store) -> (User, User, Project) {
    let (ada, bob) = (user(1, "ada@x.io", t(0)), user(2, "bob@x.io", t(0)));
    UserRepository::insert(store, &ada, &hash("h"), &[]).unwrap();
    UserRepository::insert(store, &bob, &hash("h"), &[]).unwrap();
    let p = project(1, ada.id, t(0));
    ProjectRepository::insert(store, &p).unwrap();
    (ada, bob, p)
}

fn a_task_reads_back_equal_for_the_project_owner_only(store: &impl Store) {
    let (ada, bob, p) = store_with_project(store);
    let tasks: &dyn TaskRepository = store;
    let full = Task {
        title: TaskTitle::parse("Write the contract").unwrap(),
        description: Description::parse("every method\r\non every backend").unwrap(),
        status: TaskStatus::InProgress,
        priority: TaskPriority::High,
        due_date: Some(DueDate::parse("2026-02-28").unwrap()),
        updated_at: t(7),
        ..task(1, p.id, t(0))
    };

    assert_eq!(tasks.insert(&full).unwrap(), TaskInsert::Inserted);

    assert_eq!(tasks.find(full.id, ada.id).unwrap(), Some(full.clone()));
    assert_eq!(tasks.find(full.id, bob.id).unwrap(), None);
    assert_eq!(tasks.find(task(2, p.id, t(0)).id, ada.id).unwrap(), None);
}

fn a_task_for_a_missing_project_is_not_inserted(store: &impl Store) {
    let (ada, _, p) = store_with_project(store);
    let tasks: &dyn TaskRepository = store;
    let gone = project(2, ada.id, t(0));

    assert_eq!(tasks.insert(&task(1, gone.id, t(0))).unwrap(), TaskInsert::ProjectGone);

    assert_eq!(tasks.find(task(1, gone.id, t(0)).id, ada.id).unwrap(), None);
    assert_eq!(ProjectRepository::delete(store, p.id, ada.id).unwrap(), Removal::Removed);
    assert_eq!(tasks.insert(&task(2, p.id, t(0))).unwrap(), TaskInsert::ProjectGone, "deleted a moment ago");
}

fn list_is_oldest_first_and_filters_by_status(store: &impl Store) {
    let (ada, _, p) = store_with_project(store);
    let tasks: &dyn TaskRepository = store;
    let other = project(2, ada.id, t(0));
    ProjectRepository::insert(store, &other).unwrap();
    let with = |n, created, status| Task { status, ..task(n, p.id, t(created)) };
    // 2 and 4 share a creation time: the smaller id comes first.
    for (n, created, status) in [
        (1, 30, TaskStatus::Done),
        (2, 20, TaskStatus::Todo),
        (3, 10, TaskStatus::Done),
        (4, 20, TaskStatus::Done),
        (5, 40, TaskStatus::Todo),
    ] {
        tasks.insert(&with(n, created, status)).unwrap();
    }
    tasks.insert(&task(6, other.id, t(0))).unwrap();
    let ids =
        |status, limit, offset| -> Vec<_> { tasks.list(p.id, status, page(limit, offset)).unwrap().items.iter().map(|t| t.id).collect() };
    let expect = |ns: &[u128]| -> Vec<_> { ns.iter().map(|n| task(*n, p.id, t(0)).id).collect() };

    assert_eq!(ids(None, 10, 0), expect(&[3, 2, 4, 1, 5]));
    assert_eq!(ids(None, 2, 1), expect(&[2, 4]));
    assert_eq!(ids(Some(TaskStatus::Done), 10, 0), expect(&[3, 4, 1]));
    assert_eq!(ids(Some(TaskStatus::Done), 1, 1), expect(&[4]));
    assert_eq!(ids(Some(TaskStatus::InProgress), 10, 0), expect(&[]));
    assert_eq!(tasks.list(p.id, None, page(1, 0)).unwrap().total, 5);
    assert_eq!(tasks.list(p.id, Some(TaskStatus::Done), page(1, 0)).unwrap().total, 3);
    assert_eq!(tasks.list(p.id, Some(TaskStatus::InProgress), page(1, 0)).unwrap().total, 0);
    assert_eq!(tasks.list(other.id, None, page(10, 0)).unwrap().total, 1);
    // The total is the same on every page, also on a page past the end (no rows to carry it).
    assert_eq!(tasks.list(p.id, None, page(2, 4)).unwrap().total, 5);
    assert_eq!(tasks.list(p.id, Some(TaskStatus::Done), page(2, 2)).unwrap().total, 3);
    let beyond = tasks.list(p.id, Some(TaskStatus::Done), page(2, 10)).unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 3);
}

fn update_writes_the_named_fields_and_the_time_only(store: &impl Store) {
    let (ada, bob, p) = store_with_project(store);
    let tasks: &dyn TaskRepository = store;
    let original = Task { due_date: Some(DueDate::parse("2026-03-01").unwrap()), ..task(1, p.id, t(0)) };
    tasks.insert(&original).unwrap();

    let retitle = TaskPatch { title: Some(TaskTitle::parse("Renamed").unwrap()), ..TaskPatch::default() };
    let clear_and_finish = TaskPatch { status: Some(TaskStatus::Done), due_date: Some(None), ..TaskPatch::default() };
    let first = tasks.update(original.id, ada.id, &retitle, t(50)).unwrap();
    let second = tasks.update(original.id, ada.id, &clear_and_finish, t(90)).unwrap();

    let expected = Task {
        title: TaskTitle::parse("Renamed").unwrap(),
        status: TaskStatus::Done,
        due_date: None,
        updated_at: t(90),
        ..original.clone()
    };
    assert_eq!(first.map(|t| t.title), Some(TaskTitle::parse("Renamed").unwrap()));
    assert_eq!(second, Some(expected.clone()), "the second write keeps the first one's title");
    assert_eq!(tasks.find(original.id, ada.id).unwrap(), Some(expected));
    let describe =
        TaskPatch { description: Some(Description::parse("more").unwrap()), priority: Some(TaskPriority::Low), ..TaskPatch::default() };
    assert_eq!(tasks.update(original.id, bob.id, &describe, t(95)).unwrap(), None, "not Bob's");
    assert_eq!(tasks.update(task(2, p.id, t(0)).id, ada.id, &describe, t(95)).unwrap(), None, "gone");
}

fn delete_needs_the_project_owner(store: &impl Store) {
    let (ada, bob, p) = store_with_project(store);
    let tasks: &dyn TaskRepository = store;
    let doomed = task(1, p.id, t(0));
    tasks.insert(&doomed).unwrap();

    assert_eq!(tasks.delete(doomed.id, bob.id).unwrap(), Removal::NotFound);
    assert!(tasks.find(doomed.id, ada.id).unwrap().is_some());
    assert_eq!(tasks.delete(doomed.id, ada.id).unwrap(), Removal::Removed);
    assert_eq!(tasks.find(doomed.id, ada.id).unwrap(), None);
    assert_eq!(tasks.delete(doomed.id, ada.id).unwrap(), Removal::NotFound);
}

store_contract_tests!(
    a_task_reads_back_equal_for_the_project_owner_only,
    a_task_for_a_missing_project_is_not_inserted,
    list_is_oldest_first_and_filters_by_status,
    update_writes_the_named_fields_and_the_time_only,
    delete_needs_the_project_owner,
);
