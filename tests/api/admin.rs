use crate::helpers::{problem, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn only_admins_list_users_and_pages_are_bounded() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let root = app.admin("root@example.com").await;
    problem(app.get("/users", &ada.access).await, 403).await;
    let page: Value = app.get("/users?limit=1&offset=1", &root.access).await.json().await.unwrap();
    assert_eq!((page["total"].as_u64(), page["items"].as_array().unwrap().len()), (Some(2), 1));
    assert_eq!(page["items"][0]["email"], "root@example.com", "oldest first");
    problem(app.get("/users?limit=0", &root.access).await, 422).await;
    problem(app.get("/users?limit=101", &root.access).await, 422).await;
    problem(app.get("/users?offset=-1", &root.access).await, 422).await;
    problem(app.get("/users?limit=abc", &root.access).await, 400).await;
}

#[tokio::test]
async fn a_user_sees_only_themselves_by_id_and_an_admin_sees_anyone() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let bob_id = app.register("bob@example.com").await["id"].as_str().unwrap().to_owned();
    let root = app.admin("root@example.com").await;
    let me: Value = app.get("/users/me", &ada.access).await.json().await.unwrap();
    assert_eq!(app.get(&format!("/users/{}", me["id"].as_str().unwrap()), &ada.access).await.status(), 200);
    problem(app.get(&format!("/users/{bob_id}"), &ada.access).await, 404).await;
    assert_eq!(app.get(&format!("/users/{bob_id}"), &root.access).await.status(), 200);
    problem(app.get(&format!("/users/{}", uuid::Uuid::new_v4()), &root.access).await, 404).await;
    problem(app.get("/users/not-a-uuid", &root.access).await, 400).await;
}

#[tokio::test]
async fn deactivating_a_user_locks_them_out_at_once() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let ada = app.user("ada@example.com").await;
    let ada_id = app.get("/users/me", &ada.access).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let response =
        app.send_json(Method::PATCH, &format!("/users/{ada_id}"), Some(&root.access), &json!({"is_active": false, "name": "Ada"})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["is_active"], false);
    problem(app.get("/users/me", &ada.access).await, 401).await;
    problem(app.post("/auth/refresh", &json!({"refresh_token": ada.refresh})).await, 401).await;
    problem(app.login_as("ada@example.com", crate::helpers::PASSWORD).await, 401).await;
}

#[tokio::test]
async fn a_demotion_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let second = app.admin("second@example.com").await;
    let second_id = app.get("/users/me", &second.access).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/users", &second.access).await.status(), 200);
    let demote = app.send_json(Method::PATCH, &format!("/users/{second_id}"), Some(&root.access), &json!({"role": "user"})).await;
    assert_eq!(demote.status(), 200);
    problem(app.get("/users", &second.access).await, 403).await;
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_deactivated_or_deleted() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let id = app.get("/users/me", &root.access).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let path = format!("/users/{id}");
    problem(app.send_json(Method::PATCH, &path, Some(&root.access), &json!({"role": "user"})).await, 409).await;
    problem(app.send_json(Method::PATCH, &path, Some(&root.access), &json!({"is_active": false})).await, 409).await;
    problem(app.request(Method::DELETE, &path).bearer_auth(&root.access).send().await.unwrap(), 409).await;
    problem(
        app.send_json(Method::DELETE, "/users/me", Some(&root.access), &json!({"current_password": crate::helpers::PASSWORD})).await,
        409,
    )
    .await;
    problem(app.send_json(Method::PATCH, &path, Some(&root.access), &json!({"role": "superuser"})).await, 422).await;
}

#[tokio::test]
async fn an_admin_deletes_an_account_and_its_tokens_die() {
    let app = spawn_app().await;
    let root = app.admin("root@example.com").await;
    let ada = app.user("ada@example.com").await;
    let id = app.get("/users/me", &ada.access).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    problem(app.request(Method::DELETE, &format!("/users/{id}")).bearer_auth(&ada.access).send().await.unwrap(), 403).await;
    assert_eq!(app.request(Method::DELETE, &format!("/users/{id}")).bearer_auth(&root.access).send().await.unwrap().status(), 204);
    problem(app.get("/users/me", &ada.access).await, 401).await;
    problem(app.request(Method::DELETE, &format!("/users/{id}")).bearer_auth(&root.access).send().await.unwrap(), 404).await;
}
