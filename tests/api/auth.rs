use crate::helpers::{PASSWORD, invalid_fields, problem, spawn_app, str_of};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn register_answers_201_with_location_and_a_user_without_secrets() {
    let app = spawn_app().await;
    let response = app.post("/auth/register", &json!({"email": "Ada@Example.COM", "password": PASSWORD, "name": "  Ada  "})).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();
    assert!(!text.contains(PASSWORD) && !text.contains("$2"), "no password or hash: {text}");
    let user: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(location, format!("/users/{}", user["id"].as_str().unwrap()));
    assert_eq!(
        (user["email"].as_str(), user["name"].as_str(), user["role"].as_str()),
        (Some("ada@example.com"), Some("Ada"), Some("user"))
    );
    assert_eq!(user["is_active"], true);
    for key in ["created_at", "updated_at"] {
        assert!(chrono::DateTime::parse_from_rfc3339(user[key].as_str().unwrap()).is_ok(), "{key} is RFC 3339");
    }
}

#[tokio::test]
async fn register_with_an_email_in_use_in_any_case_is_409() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    let again = app.post("/auth/register", &json!({"email": "ADA@example.com", "password": PASSWORD, "name": "Other"})).await;
    problem(again, 409).await;
}

#[tokio::test]
async fn register_names_every_invalid_field() {
    let app = spawn_app().await;
    let response = app.post("/auth/register", &json!({"email": "not-an-email", "password": "short", "name": "   "})).await;
    let mut fields = invalid_fields(response).await;
    fields.sort();
    assert_eq!(fields, ["email", "name", "password"]);
}

#[tokio::test]
async fn a_72_byte_password_is_accepted_and_73_bytes_are_refused_naming_the_limit() {
    let app = spawn_app().await;
    let ok = app.post("/auth/register", &json!({"email": "a@example.com", "password": "p".repeat(72), "name": "A"})).await;
    assert_eq!(ok.status(), 201);
    assert_eq!(app.login_as("a@example.com", &"p".repeat(72)).await.status(), 200);
    // Bcrypt would silently ignore the 73rd byte; Gatehouse refuses it instead.
    assert_eq!(app.login_as("a@example.com", &"p".repeat(73)).await.status(), 401);
    let long = app.post("/auth/register", &json!({"email": "b@example.com", "password": "é".repeat(37), "name": "B"})).await;
    let body = problem(long, 422).await;
    assert_eq!(body["errors"][0]["field"], "password");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("72"), "{body}");
}

#[tokio::test]
async fn a_role_sent_at_registration_assigns_nothing() {
    let app = spawn_app().await;
    let response =
        app.post("/auth/register", &json!({"email": "eve@example.com", "password": PASSWORD, "name": "Eve", "role": "admin"})).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["role"], "user");
}

#[tokio::test]
async fn login_returns_a_bearer_token_pair_that_is_never_cached() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    let response = app.login_as("ADA@example.com", PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["token_type"].as_str(), body["expires_in"].as_i64(), body["refresh_expires_in"].as_i64()),
        (Some("bearer"), Some(900), Some(1_209_600))
    );
    assert_eq!(str_of(&body, "access_token").split('.').count(), 3, "a JWT");
    assert!(str_of(&body, "refresh_token").len() >= 43, "at least 256 bits");
    assert!(str_of(&body, "refresh_token").starts_with("gatehouse_rt_"), "a refresh token says what it is");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;
    let wrong = problem(app.login_as("ada@example.com", "wrong password").await, 401).await;
    let unknown = problem(app.login_as("nobody@example.com", PASSWORD).await, 401).await;
    let malformed = problem(app.login_as("not an email", "x").await, 401).await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, malformed);
}

#[tokio::test]
async fn racing_registrations_of_one_email_give_exactly_one_201_and_the_rest_409() {
    let app = spawn_app().await;
    let app = &app;
    let attempts = (0..8).map(|i| async move {
        app.post("/auth/register", &json!({"email": "race@example.com", "password": PASSWORD, "name": format!("R{i}")})).await
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
}

#[tokio::test]
async fn logout_ends_the_session_and_unknown_tokens_also_get_204() {
    let app = spawn_app().await;
    let session = app.user("ada@example.com").await;
    let out = app.post("/auth/logout", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(out.status(), 204);
    problem(app.get("/users/me", &session.access).await, 401).await;
    problem(app.post("/auth/refresh", &json!({"refresh_token": session.refresh})).await, 401).await;
    assert_eq!(app.post("/auth/logout", &json!({"refresh_token": session.refresh})).await.status(), 204);
    assert_eq!(app.post("/auth/logout", &json!({"refresh_token": "never-issued"})).await.status(), 204);
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_caller_and_no_one_elses() {
    let app = spawn_app().await;
    let first = app.user("ada@example.com").await;
    let second = app.login("ada@example.com").await;
    let bob = app.user("bob@example.com").await;
    let response = app.request(Method::POST, "/auth/logout-all").bearer_auth(&first.access).send().await.unwrap();
    assert_eq!(response.status(), 204);
    for session in [&first, &second] {
        assert_eq!(app.get("/users/me", &session.access).await.status(), 401);
    }
    assert_eq!(app.get("/users/me", &bob.access).await.status(), 200);
    problem(app.request(Method::POST, "/auth/logout-all").send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn the_failed_login_window_locks_an_account_whatever_the_ip() {
    let app = spawn_app_with_limits().await;
    app.register("ada@example.com").await;
    for _ in 0..3 {
        assert_eq!(app.login_as("ada@example.com", "wrong password").await.status(), 401);
    }
    let locked = app.login_as("ada@example.com", PASSWORD).await;
    assert!(locked.headers().contains_key("retry-after"));
    problem(locked, 429).await;
}

async fn spawn_app_with_limits() -> crate::helpers::TestApp {
    crate::helpers::spawn_app_with(&[
        ("rate_limit.enabled", "true"),
        ("rate_limit.per_minute", "600"),
        ("rate_limit.burst", "100"),
        ("rate_limit.failed_logins_per_account", "3"),
    ])
    .await
}

#[tokio::test]
async fn the_per_ip_rate_limit_answers_429_with_retry_after_and_a_problem() {
    let app =
        crate::helpers::spawn_app_with(&[("rate_limit.enabled", "true"), ("rate_limit.per_minute", "1"), ("rate_limit.burst", "2")]).await;
    let attempt = || app.login_as("nobody@example.com", "whatever");
    assert_eq!(attempt().await.status(), 401);
    assert_eq!(attempt().await.status(), 401);
    let limited = attempt().await;
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    // A burst of 2 at 1 per minute is one window of 2 requests per 120 s.
    assert!((1..=120).contains(&retry_after), "{retry_after}");
    problem(limited, 429).await;
    // Endpoints outside /auth and reads under /users/me are not limited.
    assert_eq!(app.request(Method::GET, "/health").send().await.unwrap().status(), 200);
}

/// Median time of `n` wrong-password logins for `email`.
async fn median_refusal(app: &crate::helpers::TestApp, email: &str, n: usize) -> std::time::Duration {
    let mut times = Vec::new();
    for _ in 0..n {
        let started = std::time::Instant::now();
        assert_eq!(app.login_as(email, "a wrong password").await.status(), 401);
        times.push(started.elapsed());
    }
    times.sort();
    times[n / 2]
}

#[tokio::test]
async fn an_unknown_email_is_no_slower_than_a_known_one_after_the_cost_was_raised() {
    // Accounts hashed at cost 4; then the operator raises the cost and restarts.
    let old = spawn_app().await;
    old.register("ada@example.com").await;
    let raised = old.sibling(&[("auth.bcrypt_cost", "10")], |_| {}).await;
    median_refusal(&raised, "warm-up@example.com", 1).await;

    let unknown = median_refusal(&raised, "nobody@example.com", 5).await;
    let known = median_refusal(&raised, "ada@example.com", 5).await;

    // Before the fix the known account answered in a cost-4 check (about 1/64 of the time).
    assert!(known * 4 >= unknown * 3, "known {known:?} against unknown {unknown:?}: the difference tells which emails exist");
}
