//! Conflicting requests at the same moment: each race is started by a barrier and repeated, and
//! the invariant is checked after every round. Runs on whichever database the suite targets.

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use reqwest::{Method, Response};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Barrier;

const ROUNDS: usize = 6;

/// Starts every request at once (tasks released by one barrier) and returns their answers in
/// order.
pub(crate) async fn at_once(requests: Vec<std::pin::Pin<Box<dyn Future<Output = Response> + Send>>>) -> Vec<Response> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                request.await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("request task"));
    }
    answers
}

async fn id_of(app: &TestApp, token: &str) -> String {
    app.get("/users/me", token).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_removing_themselves_at_once_leave_one_active_admin() {
    for round in 0..ROUNDS {
        let app = Arc::new(spawn_app().await);
        let mut admins = Vec::new();
        for n in 0..4 {
            let session = app.admin(&format!("admin{n}@example.com")).await;
            let id = id_of(&app, &session.access).await;
            admins.push((session.access, id));
        }

        // One deletes itself, one demotes itself, one deactivates itself, one deletes itself
        // through the admin endpoint: together they would remove every admin.
        let requests = admins
            .iter()
            .enumerate()
            .map(|(n, (token, id))| {
                let (app, token, id) = (app.clone(), token.clone(), id.clone());
                Box::pin(async move {
                    match n {
                        0 => app.send_json(Method::DELETE, "/users/me", Some(&token), &json!({"current_password": PASSWORD})).await,
                        1 => app.send_json(Method::PATCH, &format!("/users/{id}"), Some(&token), &json!({"role": "user"})).await,
                        2 => app.send_json(Method::PATCH, &format!("/users/{id}"), Some(&token), &json!({"is_active": false})).await,
                        _ => app.request(Method::DELETE, &format!("/users/{id}")).bearer_auth(&token).send().await.unwrap(),
                    }
                }) as std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
            })
            .collect();
        let statuses: Vec<u16> = at_once(requests).await.iter().map(|r| r.status().as_u16()).collect();

        let refused = statuses.iter().filter(|s| **s == 409).count();
        assert!(statuses.iter().all(|s| [200, 204, 409].contains(s)), "round {round}: {statuses:?}");
        assert_eq!(refused, 1, "round {round}: exactly the last one is refused: {statuses:?}");
        let survivor = &admins[statuses.iter().position(|s| *s == 409).unwrap()].0;
        let users: Value = app.get("/users", survivor).await.json().await.unwrap();
        let active_admins = users["items"].as_array().unwrap().iter().filter(|u| u["role"] == "admin" && u["is_active"] == true).count();
        assert_eq!(active_admins, 1, "round {round}: {users}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_change_in_flight_never_undoes_a_concurrent_demotion() {
    let app = Arc::new(spawn_app().await);
    let root = app.admin("root@example.com").await;
    for round in 0..ROUNDS * 2 {
        let email = format!("ada{round}@example.com");
        let ada = app.admin(&email).await;
        let ada_id = id_of(&app, &ada.access).await;

        let change = {
            let (app, token) = (app.clone(), ada.access.clone());
            let body = json!({"email": format!("lovelace{round}@example.com"), "current_password": PASSWORD});
            Box::pin(async move { app.send_json(Method::PATCH, "/users/me", Some(&token), &body).await })
                as std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
        };
        let demote = {
            let (app, token, path) = (app.clone(), root.access.clone(), format!("/users/{ada_id}"));
            Box::pin(async move { app.send_json(Method::PATCH, &path, Some(&token), &json!({"role": "user"})).await })
                as std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
        };
        let answers = at_once(vec![change, demote]).await;

        assert_eq!(answers[0].status(), 200, "round {round}: the email change");
        assert_eq!(answers[1].status(), 200, "round {round}: the demotion");
        let stored: Value = app.get(&format!("/users/{ada_id}"), &root.access).await.json().await.unwrap();
        assert_eq!(stored["role"], "user", "round {round}: the demotion stays: {stored}");
        assert_eq!(stored["pending_email"], format!("lovelace{round}@example.com"), "round {round}: and so does the email change");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn patches_of_different_fields_at_once_both_stay() {
    let app = Arc::new(spawn_app().await);
    let ada = app.user("ada@example.com").await;
    let project = app.create_project(&ada.access, "P").await["id"].as_str().unwrap().to_owned();
    for round in 0..ROUNDS * 2 {
        let task =
            app.create_task(&ada.access, &project, json!({"title": format!("task {round}")})).await["id"].as_str().unwrap().to_owned();
        let patch = |path: String, body: Value| {
            let (app, token) = (app.clone(), ada.access.clone());
            Box::pin(async move { app.send_json(Method::PATCH, &path, Some(&token), &body).await })
                as std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
        };
        let project_path = format!("/projects/{project}");
        let answers = at_once(vec![
            patch(format!("/tasks/{task}"), json!({"title": format!("renamed {round}")})),
            patch(format!("/tasks/{task}"), json!({"status": "done", "due_date": "2030-01-01"})),
            patch(project_path.clone(), json!({"name": format!("project {round}")})),
            patch(project_path.clone(), json!({"description": format!("described {round}")})),
        ])
        .await;

        assert!(answers.iter().all(|a| a.status() == 200), "round {round}");
        let stored: Value = app.get(&format!("/tasks/{task}"), &ada.access).await.json().await.unwrap();
        assert_eq!(
            (stored["title"].as_str(), stored["status"].as_str(), stored["due_date"].as_str()),
            (Some(format!("renamed {round}").as_str()), Some("done"), Some("2030-01-01")),
            "round {round}: neither patch undid the other"
        );
        let stored: Value = app.get(&project_path, &ada.access).await.json().await.unwrap();
        assert_eq!(
            (stored["name"].as_str(), stored["description"].as_str()),
            (Some(format!("project {round}").as_str()), Some(format!("described {round}").as_str())),
            "round {round}"
        );
    }
}
