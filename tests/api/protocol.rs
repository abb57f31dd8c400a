use crate::helpers::{problem, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn malformed_json_is_400_and_a_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let raw = async |content_type: &str, body: &str| {
        app.request(Method::POST, "/auth/register").header("content-type", content_type).body(body.to_owned()).send().await.unwrap()
    };
    problem(raw("application/json", "{\"email\": ").await, 400).await;
    problem(raw("text/plain", "{}").await, 415).await;
    problem(app.request(Method::POST, "/auth/register").send().await.unwrap(), 415).await;
    let fields = crate::helpers::invalid_fields(raw("application/json; charset=utf-8", "[1, 2]").await).await;
    assert_eq!(fields, ["body"]);
}

#[tokio::test]
async fn a_wrong_type_names_the_field_without_echoing_the_value() {
    let app = spawn_app().await;
    let response = app.post("/auth/register", &json!({"email": "a@example.com", "password": 98765432109_i64, "name": "A"})).await;
    let body = problem(response, 422).await;
    assert_eq!(body["errors"][0]["field"], "password");
    assert!(!body.to_string().contains("98765432109"), "{body}");
    let missing = app.post("/auth/register", &json!({"email": "a@example.com", "name": "A"})).await;
    assert_eq!(crate::helpers::invalid_fields(missing).await, ["password"]);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(&[("server.body_limit_bytes", "1024")]).await;
    let big = json!({"email": "a@example.com", "password": "x".repeat(2000), "name": "A"});
    problem(app.post("/auth/register", &big).await, 413).await;
}

#[tokio::test]
async fn unknown_paths_are_404_and_known_paths_with_other_methods_are_405_with_allow() {
    let app = spawn_app().await;
    problem(app.request(Method::GET, "/nowhere").send().await.unwrap(), 404).await;
    let response = app.request(Method::PUT, "/projects").send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    problem(response, 405).await;
    let me = app.request(Method::POST, "/users/me").send().await.unwrap();
    assert_eq!(me.headers()["allow"], "GET, PATCH, DELETE");
    let by_id = app.request(Method::POST, &format!("/tasks/{}", uuid::Uuid::new_v4())).send().await.unwrap();
    assert_eq!(by_id.headers()["allow"], "GET, PUT, PATCH, DELETE");
    problem(by_id, 405).await;
}

#[tokio::test]
async fn every_response_has_a_request_id_and_nosniff() {
    let app = spawn_app().await;
    let generated = app.request(Method::GET, "/health").send().await.unwrap();
    assert!(uuid::Uuid::parse_str(generated.headers()["x-request-id"].to_str().unwrap()).is_ok());
    assert_eq!(generated.headers()["x-content-type-options"], "nosniff");
    let kept = app.request(Method::GET, "/nowhere").header("x-request-id", "abc-123.X_y").send().await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "abc-123.X_y");
    let replaced = app.request(Method::GET, "/health").header("x-request-id", "bad id\twith spaces").send().await.unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "bad id\twith spaces");
}

#[tokio::test]
async fn health_ready_and_jwks_answer() {
    let app = spawn_app().await;
    let health: Value = app.request(Method::GET, "/health").send().await.unwrap().json().await.unwrap();
    assert_eq!(health, json!({"status": "ok"}));
    assert_eq!(app.request(Method::GET, "/ready").send().await.unwrap().status(), 200);
    let jwks: Value = app.request(Method::GET, "/.well-known/jwks.json").send().await.unwrap().json().await.unwrap();
    assert_eq!(jwks, json!({"keys": []}), "HS256 publishes no key");
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app().await;
    let redirect = app.request(Method::GET, "/docs").send().await.unwrap();
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/docs/");
    let page = app.request(Method::GET, "/docs/").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let initializer = app.request(Method::GET, "/docs/swagger-initializer.js").send().await.unwrap().text().await.unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
}
