use crate::support::World;
use chrono::Duration;
use domain::{
    Description, DueDate, PageRequest, Principal, Project, ProjectDraft, ProjectName, ResourceError, TaskDraft, TaskPatch, TaskPriority,
    TaskStatus, TaskTitle,
};

fn project_of(w: &World, who: &Principal) -> Project {
    let draft = ProjectDraft { name: ProjectName::parse("work").unwrap(), description: Description::default() };
    w.app.projects.create(who, draft).unwrap()
}

fn titled(title: &str) -> TaskDraft {
    TaskDraft::titled(TaskTitle::parse(title).unwrap())
}

#[test]
fn a_new_task_takes_the_documented_defaults() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let project = project_of(&w, &ada);
    let task = w.app.tasks.create(&ada, project.id, titled("write tests")).unwrap();
    assert_eq!(task.project_id, project.id);
    assert_eq!((task.description.as_str(), task.status, task.priority, task.due_date), ("", TaskStatus::Todo, TaskPriority::Medium, None));
}

#[test]
fn tasks_are_listed_oldest_first_and_filtered_by_status() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let project = project_of(&w, &ada);
    for (title, status) in [("a", TaskStatus::Done), ("b", TaskStatus::Todo), ("c", TaskStatus::Done)] {
        w.app.tasks.create(&ada, project.id, TaskDraft { status, ..titled(title) }).unwrap();
        w.mem.clock.advance(Duration::seconds(1));
    }
    let all = w.app.tasks.list(&ada, project.id, None, PageRequest::default()).unwrap();
    assert_eq!(all.items.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(), vec!["a", "b", "c"]);
    let done = w.app.tasks.list(&ada, project.id, Some(TaskStatus::Done), PageRequest::default()).unwrap();
    assert_eq!((done.items.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(), done.total), (vec!["a", "c"], 2));
}

#[test]
fn another_owners_tasks_and_projects_are_not_found() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let (bob, _) = w.signed_in("bob@example.com");
    let project = project_of(&w, &ada);
    let task = w.app.tasks.create(&ada, project.id, titled("mine")).unwrap();
    assert!(matches!(w.app.tasks.create(&bob, project.id, titled("intrusion")), Err(ResourceError::NotFound)));
    assert!(matches!(w.app.tasks.list(&bob, project.id, None, PageRequest::default()), Err(ResourceError::NotFound)));
    assert!(matches!(w.app.tasks.get(&bob, task.id), Err(ResourceError::NotFound)));
    assert!(matches!(w.app.tasks.patch(&bob, task.id, TaskPatch::default()), Err(ResourceError::NotFound)));
    assert!(matches!(w.app.tasks.replace(&bob, task.id, titled("x")), Err(ResourceError::NotFound)));
    assert!(matches!(w.app.tasks.delete(&bob, task.id), Err(ResourceError::NotFound)));
    assert_eq!(w.app.tasks.get(&ada, task.id).unwrap(), task);
}

#[test]
fn put_replaces_every_field_and_resets_omitted_ones_to_defaults() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let project = project_of(&w, &ada);
    let full = TaskDraft {
        title: TaskTitle::parse("full").unwrap(),
        description: Description::parse("details").unwrap(),
        status: TaskStatus::InProgress,
        priority: TaskPriority::High,
        due_date: Some(DueDate::parse("2027-01-31").unwrap()),
    };
    let task = w.app.tasks.create(&ada, project.id, full).unwrap();
    let replaced = w.app.tasks.replace(&ada, task.id, titled("bare")).unwrap();
    assert_eq!(
        (replaced.title.as_str(), replaced.description.as_str(), replaced.status, replaced.priority, replaced.due_date),
        ("bare", "", TaskStatus::Todo, TaskPriority::Medium, None)
    );
    assert_eq!((replaced.id, replaced.created_at), (task.id, task.created_at));
    assert_eq!(w.app.tasks.get(&ada, task.id).unwrap(), replaced);
}

#[test]
fn patch_changes_given_fields_keeps_omitted_ones_and_null_clears_the_due_date() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let project = project_of(&w, &ada);
    let due = Some(DueDate::parse("2027-01-31").unwrap());
    let task = w.app.tasks.create(&ada, project.id, TaskDraft { due_date: due, priority: TaskPriority::High, ..titled("t") }).unwrap();
    let done = w.app.tasks.patch(&ada, task.id, TaskPatch { status: Some(TaskStatus::Done), ..Default::default() }).unwrap();
    assert_eq!((done.status, done.priority, done.due_date), (TaskStatus::Done, TaskPriority::High, due));
    let cleared = w.app.tasks.patch(&ada, task.id, TaskPatch { due_date: Some(None), ..Default::default() }).unwrap();
    assert_eq!((cleared.due_date, cleared.status), (None, TaskStatus::Done));
    let unchanged = w.app.tasks.patch(&ada, task.id, TaskPatch::default()).unwrap();
    assert_eq!(unchanged, cleared);
}

#[test]
fn deleting_a_task_removes_it_once() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let project = project_of(&w, &ada);
    let task = w.app.tasks.create(&ada, project.id, titled("t")).unwrap();
    w.app.tasks.delete(&ada, task.id).unwrap();
    assert!(matches!(w.app.tasks.delete(&ada, task.id), Err(ResourceError::NotFound)));
    assert_eq!(w.app.tasks.list(&ada, project.id, None, PageRequest::default()).unwrap().total, 0);
}
