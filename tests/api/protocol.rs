use crate::helpers::{invalid_fields, problem, spawn_app, spawn_app_with};
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
    let fields = invalid_fields(raw("application/json; charset=utf-8", "[1, 2]").await).await;
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
    assert_eq!(invalid_fields(missing).await, ["password"]);
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
    assert_eq!(response.headers()["allow"], "GET, HEAD, POST");
    problem(response, 405).await;
    let me = app.request(Method::POST, "/users/me").send().await.unwrap();
    assert_eq!(me.headers()["allow"], "GET, HEAD, PATCH, DELETE");
    let by_id = app.request(Method::POST, &format!("/tasks/{}", uuid::Uuid::new_v4())).send().await.unwrap();
    assert_eq!(by_id.headers()["allow"], "GET, HEAD, PUT, PATCH, DELETE");
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

#[tokio::test]
async fn a_logged_out_token_is_401_whatever_else_is_wrong_with_the_request() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let project = app.create_project(&ada.access, "P").await["id"].as_str().unwrap().to_owned();
    assert_eq!(app.request(Method::POST, "/auth/logout-all").bearer_auth(&ada.access).send().await.unwrap().status(), 204);
    let token = &ada.access;

    let bad_json = app.request(Method::POST, "/projects").bearer_auth(token).header("content-type", "application/json").body("{");
    let wrong_type = app.request(Method::POST, "/projects").bearer_auth(token).header("content-type", "text/plain").body("x");
    let invalid = app.request(Method::PATCH, "/users/me").bearer_auth(token).json(&json!({"name": ""}));
    let bad_query = app.request(Method::GET, "/projects?limit=abc").bearer_auth(token);
    let out_of_range = app.request(Method::GET, "/users/me/sessions?limit=1000").bearer_auth(token);
    let bad_path = app.request(Method::GET, "/tasks/not-a-uuid").bearer_auth(token);
    let too_large =
        app.request(Method::POST, &format!("/projects/{project}/tasks")).bearer_auth(token).json(&json!({"title": "x".repeat(70_000)}));
    let no_body = app.request(Method::DELETE, "/users/me").bearer_auth(token);
    for (what, request) in [
        ("malformed JSON", bad_json),
        ("a wrong content type", wrong_type),
        ("an invalid field", invalid),
        ("a bad query", bad_query),
        ("a query out of range", out_of_range),
        ("a bad path", bad_path),
        ("a body over the limit", too_large),
        ("a DELETE without a body", no_body),
    ] {
        let response = request.send().await.unwrap();
        assert!(response.headers().contains_key("www-authenticate"), "{what}");
        problem(response, 401).await;
    }
}

#[tokio::test]
async fn a_live_token_still_gets_the_requests_own_error() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let response = app.request(Method::GET, "/tasks/not-a-uuid").bearer_auth(&ada.access).send().await.unwrap();
    problem(response, 400).await;
    let fields = invalid_fields(app.request(Method::DELETE, "/users/me").bearer_auth(&ada.access).send().await.unwrap()).await;
    assert_eq!(fields, ["current_password"], "a DELETE without a body lacks its field");
}

#[tokio::test]
async fn every_get_answers_head_with_the_same_status_and_headers_and_no_body() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    for (path, token) in [("/health", None), ("/openapi.json", None), ("/users/me", Some(&ada.access)), ("/users/me", None)] {
        let with = |method| {
            let request = app.request(method, path);
            match token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
        };
        let get = with(Method::GET).send().await.unwrap();
        let head = with(Method::HEAD).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        for name in ["content-type", "content-length", "www-authenticate"] {
            assert_eq!(head.headers().get(name), get.headers().get(name), "{path}: {name}");
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{path}: no body");
    }
    let wrong = app.request(Method::POST, "/health").send().await.unwrap();
    assert_eq!(wrong.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn a_missing_file_under_docs_is_a_problem() {
    let app = spawn_app().await;
    problem(app.request(Method::GET, "/docs/no-such-file.js").send().await.unwrap(), 404).await;
}
