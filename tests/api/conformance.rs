//! The served document and the server agree: the boundaries the OpenAPI schemas state (what
//! schemathesis generates from) are the ones the server applies, the documented links lead
//! where they say, and no documented operation answers with a status its entry lacks.

use crate::helpers::{PASSWORD, TestApp, invalid_fields, spawn_app, str_of};
use reqwest::Method;
use serde_json::{Value, json};

async fn document(app: &TestApp) -> Value {
    app.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap()
}

/// `$response.body#/pointer` evaluated against a response body.
fn resolve(expression: &str, body: &Value) -> Value {
    let pointer = expression.strip_prefix("$response.body#").unwrap_or_else(|| panic!("unsupported expression {expression}"));
    body.pointer(pointer).unwrap_or_else(|| panic!("{pointer} not in {body}")).clone()
}

/// The method and path of an operation id.
fn find_operation(doc: &Value, operation_id: &str) -> (Method, String) {
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["operationId"] == operation_id {
                return (method.to_uppercase().parse().unwrap(), path.clone());
            }
        }
    }
    panic!("no operation {operation_id}")
}

#[tokio::test]
async fn every_link_names_an_existing_operation_and_its_parameters() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut links = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for response in operation["responses"].as_object().into_iter().flat_map(|r| r.values()) {
                for link in response["links"].as_object().into_iter().flat_map(|l| l.values()) {
                    links += 1;
                    let (_, path) = find_operation(&doc, link["operationId"].as_str().unwrap());
                    for name in link["parameters"].as_object().into_iter().flat_map(|p| p.keys()) {
                        assert!(path.contains(&format!("{{{name}}}")), "{path} has no parameter {name}");
                    }
                }
            }
        }
    }
    assert!(links >= 15, "only {links} links");
}

#[tokio::test]
async fn following_the_links_of_created_resources_reaches_them() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let ada = app.user("ada@example.com").await;
    let project = app.create_project(&ada.access, "Engine").await;
    let task = app.create_task(&ada.access, &str_of(&project, "id"), json!({"title": "gears"})).await;
    for (source, created, link) in
        [("/projects", &project, "GetProject"), ("/projects", &project, "ListTasks"), ("/projects/{id}/tasks", &task, "GetTask")]
    {
        let link = &doc["paths"][source]["post"]["responses"]["201"]["links"][link];
        let (method, path) = find_operation(&doc, link["operationId"].as_str().unwrap());
        let id = resolve(link["parameters"]["id"].as_str().unwrap(), created);
        let response = app.request(method, &path.replace("{id}", id.as_str().unwrap())).bearer_auth(&ada.access).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    // The refresh link of a login feeds the refresh token to `/auth/refresh`.
    let login = app.login_as("ada@example.com", PASSWORD).await.json::<Value>().await.unwrap();
    let link = &doc["paths"]["/auth/login"]["post"]["responses"]["200"]["links"]["Refresh"];
    let body = json!({ "refresh_token": resolve(link["requestBody"]["refresh_token"].as_str().unwrap(), &login) });
    let (method, path) = find_operation(&doc, link["operationId"].as_str().unwrap());
    assert_eq!(app.send_json(method, &path, None, &body).await.status(), 200);
}

#[tokio::test]
async fn an_account_deleted_while_its_profile_is_updated_gets_401_never_404() {
    // `PATCH /users/me` documents no 404: a caller whose account vanished between the token
    // check and the update holds a token that no longer works, which is a 401.
    let app = spawn_app().await;
    for round in 0..12 {
        let email = format!("racer{round}@example.com");
        let session = app.user(&email).await;
        let patches = (0..24).map(|i| {
            let (app, token) = (&app, session.access.clone());
            async move { app.send_json(Method::PATCH, "/users/me", Some(&token), &json!({ "name": format!("Name {i}") })).await.status() }
        });
        let password = json!({ "current_password": PASSWORD });
        let delete = app.send_json(Method::DELETE, "/users/me", Some(&session.access), &password);
        let (statuses, deleted) = tokio::join!(futures_util::future::join_all(patches), delete);
        assert_eq!(deleted.status(), 204);
        for status in statuses {
            assert!(status == 200 || status == 401, "round {round}: PATCH /users/me answered {status}");
        }
    }
}

#[tokio::test]
async fn names_are_measured_after_trimming_white_space_as_the_pattern_says() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let create = async |name: &str| app.send_json(Method::POST, "/projects", Some(&ada.access), &json!({ "name": name })).await;
    // 200 characters inside any amount of Unicode white space (U+0085 is both a control
    // character and white space: trimmed at the edges, refused inside).
    let padded = format!(" \t\u{3000}\u{85}{}\u{2003}\n ", "x".repeat(200));
    let created: Value = create(&padded).await.json().await.unwrap();
    assert_eq!(created["name"], "x".repeat(200));
    for refused in [format!(" {} ", "x".repeat(201)), " \t\u{3000} ".to_owned(), "a\u{85}b".to_owned(), "a\u{0}b".to_owned()] {
        assert_eq!(invalid_fields(create(&refused).await).await, ["name"], "{refused:?}");
    }
}

#[tokio::test]
async fn descriptions_allow_tab_line_feed_and_carriage_return_only() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let create = async |description: &str| {
        app.send_json(Method::POST, "/projects", Some(&ada.access), &json!({ "name": "p", "description": description })).await
    };
    assert_eq!(create(" a\tb\nc\r ").await.status(), 201);
    for refused in ["\u{7f}", "\u{9f}", "\u{b}", "\u{0}"] {
        assert_eq!(invalid_fields(create(refused).await).await, ["description"], "{refused:?}");
    }
}

#[tokio::test]
async fn passwords_are_limited_in_bytes_and_refuse_control_characters() {
    let app = spawn_app().await;
    let register =
        async |email: &str, password: &str| app.post("/auth/register", &json!({ "email": email, "password": password, "name": "N" })).await;
    // 18 four-byte characters are 72 bytes: accepted; one more is 76 bytes.
    assert_eq!(register("a@example.com", &"\u{1F600}".repeat(18)).await.status(), 201);
    assert_eq!(invalid_fields(register("b@example.com", &"\u{1F600}".repeat(19)).await).await, ["password"]);
    assert_eq!(invalid_fields(register("c@example.com", "password\u{1}").await).await, ["password"]);
}

#[tokio::test]
async fn due_dates_are_real_dates_with_four_digit_years() {
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let project = str_of(&app.create_project(&ada.access, "p").await, "id");
    let create = async |date: &str| {
        app.send_json(Method::POST, &format!("/projects/{project}/tasks"), Some(&ada.access), &json!({ "title": "t", "due_date": date }))
            .await
    };
    for accepted in ["2024-02-29", "2000-02-29", "1000-01-01", "9999-12-31"] {
        assert_eq!(create(accepted).await.status(), 201, "{accepted}");
    }
    for refused in ["2100-02-29", "2023-02-29", "2024-04-31", "", "2024-1-01"] {
        assert_eq!(invalid_fields(create(refused).await).await, ["due_date"], "{refused:?}");
    }
}
