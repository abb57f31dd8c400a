use crate::helpers::{PASSWORD, problem, spawn_app, str_of};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

async fn refresh(app: &crate::helpers::TestApp, token: &str) -> reqwest::Response {
    app.post("/auth/refresh", &json!({"refresh_token": token})).await
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_the_new_access_token_works() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let response = refresh(&app, &session.refresh).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_ne!(str_of(&body, "refresh_token"), session.refresh);
    assert_eq!(app.get("/users/me", &str_of(&body, "access_token")).await.status(), 200);
}

#[tokio::test]
async fn reusing_a_retired_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let second: Value = refresh(&app, &session.refresh).await.json().await.unwrap();
    let third: Value = refresh(&app, &str_of(&second, "refresh_token")).await.json().await.unwrap();
    // The first token, not the last retired one, is replayed.
    problem(refresh(&app, &session.refresh).await, 401).await;
    problem(refresh(&app, &str_of(&third, "refresh_token")).await, 401).await;
    problem(app.get("/users/me", &str_of(&third, "access_token")).await, 401).await;
    problem(app.get("/users/me", &session.access).await, 401).await;
}

#[tokio::test]
async fn two_concurrent_refreshes_with_one_token_give_at_most_one_success() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let attempts = (0..6).map(|_| refresh(&app, &session.refresh));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().filter(|s| **s == 200).count() <= 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 401), "{statuses:?}");
}

#[tokio::test]
async fn an_access_token_is_not_a_refresh_token_and_vice_versa() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    problem(refresh(&app, &session.access).await, 401).await;
    let body = problem(app.get("/users/me", &session.refresh).await, 401).await;
    assert!(body["detail"].is_string());
}

#[tokio::test]
async fn a_bad_token_gets_401_with_an_invalid_token_challenge() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let response = app.get("/users/me", "not.a.jwt").await;
    assert_eq!(response.headers()["www-authenticate"], r#"Bearer error="invalid_token""#);
    problem(response, 401).await;
    let missing = app.request(Method::GET, "/users/me").send().await.unwrap();
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    problem(missing, 401).await;
    // A token in the query string is never read.
    let in_query = app.request(Method::GET, &format!("/users/me?access_token={}", session.access)).send().await.unwrap();
    problem(in_query, 401).await;
}

#[tokio::test]
async fn a_tampered_or_unsigned_token_is_refused() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let parts: Vec<&str> = session.access.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["role"] = json!("admin");
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 3600);
    let forged_payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    problem(app.get("/users/me", &tampered).await, 401).await;
    for alg in ["none", "nOnE"] {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "at+jwt"}).to_string());
        problem(app.get("/users/me", &format!("{header}.{forged_payload}.")).await, 401).await;
    }
}

#[tokio::test]
async fn the_token_endpoint_speaks_oauth2_for_swagger_ui() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    let form = async |body: &str| {
        app.request(Method::POST, "/auth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    };
    let ok =
        form(&format!("grant_type=password&username=ada%40example.com&password={}&scope=&client_id=swagger", PASSWORD.replace(' ', "+")))
            .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["cache-control"], "no-store");
    let pair: Value = ok.json().await.unwrap();
    assert_eq!(app.get("/users/me", &str_of(&pair, "access_token")).await.status(), 200);
    let refreshed = form(&format!("grant_type=refresh_token&refresh_token={}", str_of(&pair, "refresh_token"))).await;
    assert_eq!(refreshed.status(), 200);

    for (body, code) in [
        ("grant_type=password&username=ada%40example.com&password=wrong", "invalid_grant"),
        (&*format!("grant_type=refresh_token&refresh_token={}", str_of(&pair, "refresh_token")), "invalid_grant"),
        ("grant_type=client_credentials", "unsupported_grant_type"),
        ("grant_type=password&username=ada%40example.com", "invalid_request"),
        ("username=ada%40example.com&password=x", "invalid_request"),
        ("grant_type=password&grant_type=password&username=a&password=b", "invalid_request"),
    ] {
        let response = form(body).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], code, "{body}");
        assert!(error["error_description"].is_string());
    }
    let json_body = app.post("/auth/token", &json!({"grant_type": "password"})).await;
    assert_eq!(json_body.status(), 400);
    assert_eq!(json_body.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn a_forged_token_is_refused_before_the_body_or_query_is_looked_at() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let project = str_of(&app.create_project(&session.access, "P").await, "id");
    let forged = format!("{}x", session.access);
    // Invalid body, query and path, each with a forged token: the token is what is wrong first.
    problem(app.send_json(Method::POST, "/projects", Some(&forged), &json!({"name": ""})).await, 401).await;
    problem(app.get(&format!("/projects/{project}/tasks?limit=abc"), &forged).await, 401).await;
    problem(app.get("/tasks/not-a-uuid", &forged).await, 401).await;
    // The same requests with the real token get their own 4xx.
    problem(app.send_json(Method::POST, "/projects", Some(&session.access), &json!({"name": ""})).await, 422).await;
    problem(app.get(&format!("/projects/{project}/tasks?limit=abc"), &session.access).await, 400).await;
}

#[tokio::test]
async fn a_logged_out_sessions_token_is_refused_by_every_kind_of_handler_at_once() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let project = str_of(&app.create_project(&session.access, "P").await, "id");
    assert_eq!(app.post("/auth/logout", &json!({"refresh_token": session.refresh})).await.status(), 204);
    // Read, list and write handlers check the session in the same trip as their use case; a
    // password-checking handler checks it before hashing.
    problem(app.get("/users/me", &session.access).await, 401).await;
    problem(app.get(&format!("/projects/{project}/tasks"), &session.access).await, 401).await;
    problem(app.send_json(Method::POST, "/projects", Some(&session.access), &json!({"name": "Q"})).await, 401).await;
    let change = json!({"current_password": PASSWORD, "new_password": "another long password"});
    problem(app.send_json(Method::POST, "/users/me/password", Some(&session.access), &change).await, 401).await;
}
