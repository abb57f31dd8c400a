use crate::helpers::{invalid_fields, problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_new_task_takes_the_defaults_and_answers_with_its_location() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let project = app.create_project(&ada.access, "work").await["id"].as_str().unwrap().to_owned();
    let response =
        app.send_json(Method::POST, &format!("/projects/{project}/tasks"), Some(&ada.access), &json!({"title": "write tests"})).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let task: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/tasks/{}", task["id"].as_str().unwrap()));
    assert_eq!(task["project_id"].as_str(), Some(project.as_str()));
    assert_eq!(
        (&task["description"], &task["status"], &task["priority"], &task["due_date"]),
        (&json!(""), &json!("todo"), &json!("medium"), &Value::Null)
    );
}

#[tokio::test]
async fn tasks_are_listed_oldest_first_and_filtered_by_status() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let project = app.create_project(&ada.access, "work").await["id"].as_str().unwrap().to_owned();
    for (title, status) in [("a", "done"), ("b", "todo"), ("c", "done")] {
        app.create_task(&ada.access, &project, json!({"title": title, "status": status})).await;
    }
    let all: Value = app.get(&format!("/projects/{project}/tasks"), &ada.access).await.json().await.unwrap();
    let titles: Vec<&str> = all["items"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["a", "b", "c"]);
    let done: Value = app.get(&format!("/projects/{project}/tasks?status=done&limit=1"), &ada.access).await.json().await.unwrap();
    assert_eq!((done["total"].as_u64(), done["items"][0]["title"].as_str(), done["limit"].as_u64()), (Some(2), Some("a"), Some(1)));
    problem(app.get(&format!("/projects/{project}/tasks?status=finished"), &ada.access).await, 422).await;
}

#[tokio::test]
async fn put_replaces_the_task_and_resets_omitted_fields() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let project = app.create_project(&ada.access, "work").await["id"].as_str().unwrap().to_owned();
    let full = json!({"title": "full", "description": "d", "status": "in_progress", "priority": "high", "due_date": "2027-01-31"});
    let task = app.create_task(&ada.access, &project, full).await;
    let path = format!("/tasks/{}", task["id"].as_str().unwrap());
    let replaced: Value = app.send_json(Method::PUT, &path, Some(&ada.access), &json!({"title": "bare"})).await.json().await.unwrap();
    assert_eq!(
        (&replaced["title"], &replaced["description"], &replaced["status"], &replaced["priority"], &replaced["due_date"]),
        (&json!("bare"), &json!(""), &json!("todo"), &json!("medium"), &Value::Null)
    );
    assert_eq!(replaced["created_at"], task["created_at"]);
    assert_eq!(invalid_fields(app.send_json(Method::PUT, &path, Some(&ada.access), &json!({"status": "done"})).await).await, ["title"]);
}

#[tokio::test]
async fn patch_keeps_omitted_fields_and_null_clears_only_the_due_date() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let project = app.create_project(&ada.access, "work").await["id"].as_str().unwrap().to_owned();
    let task = app.create_task(&ada.access, &project, json!({"title": "t", "priority": "high", "due_date": "2027-01-31"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().unwrap());
    let patch = async |body: Value| app.send_json(Method::PATCH, &path, Some(&ada.access), &body).await;
    let done: Value = patch(json!({"status": "done"})).await.json().await.unwrap();
    assert_eq!((&done["status"], &done["priority"], &done["due_date"]), (&json!("done"), &json!("high"), &json!("2027-01-31")));
    let cleared: Value = patch(json!({"due_date": null})).await.json().await.unwrap();
    assert_eq!((&cleared["due_date"], &cleared["status"]), (&Value::Null, &json!("done")));
    assert_eq!(invalid_fields(patch(json!({"title": null})).await).await, ["title"]);
    assert_eq!(invalid_fields(patch(json!({"status": "finished"})).await).await, ["status"]);
    for bad_date in ["2027-02-30", "0999-12-31", "31/01/2027", "2027-01-31T00:00:00Z"] {
        assert_eq!(invalid_fields(patch(json!({"due_date": bad_date})).await).await, ["due_date"], "{bad_date}");
    }
}

#[tokio::test]
async fn someone_elses_task_is_404() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let bob = app.user("bob@example.com").await;
    let project = app.create_project(&ada.access, "work").await["id"].as_str().unwrap().to_owned();
    let task = app.create_task(&ada.access, &project, json!({"title": "mine"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().unwrap());
    problem(app.get(&path, &bob.access).await, 404).await;
    problem(app.send_json(Method::PATCH, &path, Some(&bob.access), &json!({"title": "x"})).await, 404).await;
    problem(app.send_json(Method::PUT, &path, Some(&bob.access), &json!({"title": "x"})).await, 404).await;
    problem(app.request(Method::DELETE, &path).bearer_auth(&bob.access).send().await.unwrap(), 404).await;
    assert_eq!(app.request(Method::DELETE, &path).bearer_auth(&ada.access).send().await.unwrap().status(), 204);
    problem(app.get(&path, &ada.access).await, 404).await;
}
