use crate::helpers::{invalid_fields, problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn creating_a_project_answers_201_with_its_location() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let response =
        app.send_json(Method::POST, "/projects", Some(&ada.access), &json!({"name": " Engine ", "description": "gears\nand\tcams"})).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let project: Value = response.json().await.unwrap();
    assert_eq!(location, format!("/projects/{}", project["id"].as_str().unwrap()));
    assert_eq!((project["name"].as_str(), project["description"].as_str()), (Some("Engine"), Some("gears\nand\tcams")));
    let me: Value = app.get("/users/me", &ada.access).await.json().await.unwrap();
    assert_eq!(project["owner_id"], me["id"]);
    let fetched: Value = app.get(&location, &ada.access).await.json().await.unwrap();
    assert_eq!(fetched, project);
}

#[tokio::test]
async fn projects_are_listed_newest_first_with_paging() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    for name in ["one", "two", "three"] {
        app.create_project(&ada.access, name).await;
    }
    let page: Value = app.get("/projects?limit=2", &ada.access).await.json().await.unwrap();
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!((names, page["total"].as_u64()), (vec!["three", "two"], Some(3)));
    let rest: Value = app.get("/projects?limit=2&offset=2", &ada.access).await.json().await.unwrap();
    assert_eq!(rest["items"][0]["name"], "one");
}

#[tokio::test]
async fn someone_elses_project_is_404_for_every_method() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let bob = app.user("bob@example.com").await;
    let id = app.create_project(&ada.access, "secret").await["id"].as_str().unwrap().to_owned();
    let path = format!("/projects/{id}");
    problem(app.get(&path, &bob.access).await, 404).await;
    problem(app.send_json(Method::PATCH, &path, Some(&bob.access), &json!({"name": "mine now"})).await, 404).await;
    problem(app.request(Method::DELETE, &path).bearer_auth(&bob.access).send().await.unwrap(), 404).await;
    problem(app.get(&format!("{path}/tasks"), &bob.access).await, 404).await;
    problem(app.send_json(Method::POST, &format!("{path}/tasks"), Some(&bob.access), &json!({"title": "x"})).await, 404).await;
    assert_eq!(app.get("/projects", &bob.access).await.json::<Value>().await.unwrap()["total"], 0);
    assert_eq!(app.get(&path, &ada.access).await.json::<Value>().await.unwrap()["name"], "secret");
}

#[tokio::test]
async fn patch_changes_given_fields_only_and_validates_them() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let id = app.create_project(&ada.access, "before").await["id"].as_str().unwrap().to_owned();
    let path = format!("/projects/{id}");
    let patched: Value =
        app.send_json(Method::PATCH, &path, Some(&ada.access), &json!({"description": "now described"})).await.json().await.unwrap();
    assert_eq!((patched["name"].as_str(), patched["description"].as_str()), (Some("before"), Some("now described")));
    let fields =
        invalid_fields(app.send_json(Method::PATCH, &path, Some(&ada.access), &json!({"name": "", "description": "x".repeat(5001)})).await)
            .await;
    assert_eq!(fields, ["name", "description"]);
    assert_eq!(invalid_fields(app.send_json(Method::PATCH, &path, Some(&ada.access), &json!({"name": "a\u{0}b"})).await).await, ["name"]);
    assert_eq!(invalid_fields(app.send_json(Method::PATCH, &path, Some(&ada.access), &json!({"name": 5})).await).await, ["name"]);
}

#[tokio::test]
async fn names_count_unicode_characters_not_bytes() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let ok = app.send_json(Method::POST, "/projects", Some(&ada.access), &json!({"name": "é".repeat(200)})).await;
    assert_eq!(ok.status(), 201);
    let long = app.send_json(Method::POST, "/projects", Some(&ada.access), &json!({"name": "é".repeat(201)})).await;
    assert_eq!(invalid_fields(long).await, ["name"]);
}

#[tokio::test]
async fn deleting_a_project_deletes_its_tasks() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let id = app.create_project(&ada.access, "doomed").await["id"].as_str().unwrap().to_owned();
    let task = app.create_task(&ada.access, &id, json!({"title": "t"})).await;
    assert_eq!(app.request(Method::DELETE, &format!("/projects/{id}")).bearer_auth(&ada.access).send().await.unwrap().status(), 204);
    problem(app.get(&format!("/tasks/{}", task["id"].as_str().unwrap()), &ada.access).await, 404).await;
    problem(app.get(&format!("/projects/{id}"), &ada.access).await, 404).await;
}
