use crate::support::World;
use chrono::Duration;
use domain::{Description, PageRequest, ProjectDraft, ProjectName, ProjectPatch, ResourceError, TaskDraft, TaskTitle};

fn draft(name: &str) -> ProjectDraft {
    ProjectDraft { name: ProjectName::parse(name).unwrap(), description: Description::default() }
}

#[test]
fn projects_are_listed_newest_first_and_paginated() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    for name in ["one", "two", "three"] {
        w.app.projects.create(&ada, draft(name)).unwrap();
        w.mem.clock.advance(Duration::seconds(1));
    }
    let page = w.app.projects.list(&ada, PageRequest::new(Some(2), Some(0)).unwrap()).unwrap();
    let names: Vec<_> = page.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!((names, page.total, page.limit, page.offset), (vec!["three", "two"], 3, 2, 0));
    let rest = w.app.projects.list(&ada, PageRequest::new(Some(2), Some(2)).unwrap()).unwrap();
    assert_eq!(rest.items.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["one"]);
}

#[test]
fn another_owners_project_is_not_found_for_every_operation() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let (bob, _) = w.signed_in("bob@example.com");
    let project = w.app.projects.create(&ada, draft("secret")).unwrap();
    assert!(matches!(w.app.projects.get(&bob, project.id), Err(ResourceError::NotFound)));
    assert!(matches!(w.app.projects.update(&bob, project.id, ProjectPatch::default()), Err(ResourceError::NotFound)));
    assert!(matches!(w.app.projects.delete(&bob, project.id), Err(ResourceError::NotFound)));
    assert_eq!(w.app.projects.list(&bob, PageRequest::default()).unwrap().total, 0);
    assert!(w.app.projects.get(&ada, project.id).is_ok(), "the owner still has it");
}

#[test]
fn patching_changes_only_the_given_fields_and_an_empty_patch_changes_nothing() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let project = w.app.projects.create(&ada, draft("before")).unwrap();
    w.mem.clock.advance(Duration::seconds(5));
    let same = w.app.projects.update(&ada, project.id, ProjectPatch::default()).unwrap();
    assert_eq!(same, project);
    let patch = ProjectPatch { description: Some(Description::parse("now described").unwrap()), ..Default::default() };
    let changed = w.app.projects.update(&ada, project.id, patch).unwrap();
    assert_eq!((changed.name.as_str(), changed.description.as_str()), ("before", "now described"));
    assert_eq!(changed.updated_at, project.updated_at + Duration::seconds(5));
    assert_eq!(w.app.projects.get(&ada, project.id).unwrap(), changed);
}

#[test]
fn deleting_a_project_deletes_its_tasks() {
    let w = World::new();
    let (ada, _) = w.signed_in("ada@example.com");
    let project = w.app.projects.create(&ada, draft("doomed")).unwrap();
    let task = w.app.tasks.create(&ada, project.id, TaskDraft::titled(TaskTitle::parse("t").unwrap())).unwrap();
    w.app.projects.delete(&ada, project.id).unwrap();
    assert!(matches!(w.app.tasks.get(&ada, task.id), Err(ResourceError::NotFound)));
    assert!(matches!(w.app.projects.get(&ada, project.id), Err(ResourceError::NotFound)));
}
