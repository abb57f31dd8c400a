//! The per-client limit judges the route a request reaches, not how its path is spelled: once a
//! client's window is full, no spelling of a limited route gets through to its handler.

use crate::helpers::{TestApp, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

/// The limited operations as the served document lists them: every method but GET under
/// `/auth/` and `/users/me`, ids filled in; but introspection, whose callers authenticate and
/// call often (the contract keeps it out of the limit; `pats` shows it stays reachable).
async fn limited_operations(app: &TestApp) -> Vec<(Method, String)> {
    let document: Value = app.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !(path.starts_with("/auth/") || path.starts_with("/users/me")) || path == "/auth/introspect" {
            continue;
        }
        for method in item.as_object().unwrap().keys().filter(|m| *m != "get") {
            let concrete = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
            operations.push((Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), concrete));
        }
    }
    assert!(operations.len() >= 15, "the document lists the limited routes: {operations:?}");
    operations
}

/// Other spellings of `path` a router might take for it: a percent-encoded letter in each
/// segment, a doubled slash, a trailing slash.
fn spellings(path: &str) -> Vec<String> {
    let mut variants = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let Some(first) = segment.chars().next().filter(char::is_ascii_alphabetic) else { continue };
        let mut spelled = segments.clone();
        let encoded = format!("%{:02X}{}", first as u32, &segment[1..]);
        spelled[i] = &encoded;
        variants.push(spelled.join("/"));
    }
    variants.push(format!("/{path}"));
    variants.push(path.replacen('/', "//", 2).replacen("//", "/", 1));
    variants.push(format!("{path}/"));
    variants
}

#[tokio::test]
async fn once_the_window_is_full_no_spelling_of_a_limited_route_reaches_it() {
    let app = spawn_app_with(&[("rate_limit.enabled", "true"), ("rate_limit.per_minute", "1"), ("rate_limit.burst", "2")]).await;
    let operations = limited_operations(&app).await;
    for _ in 0..2 {
        let status = app.post("/auth/login", &json!({"email": "nobody@example.com", "password": "whatever"})).await.status();
        assert_eq!(status, 401);
    }

    for (method, path) in &operations {
        for spelled in std::iter::once(path.clone()).chain(spellings(path)) {
            let response = app.request(method.clone(), &spelled).json(&json!({})).send().await.unwrap();
            let status = response.status().as_u16();
            // 429: counted as the route it reached; 404 (or 405): it reached no route at all.
            assert!(matches!(status, 429 | 404 | 405), "{method} {spelled} (for {path}) answered {status}: it reached the route uncounted");
            if spelled == *path || spelled.contains('%') {
                assert_eq!(status, 429, "{method} {spelled} reaches {path} and must be counted");
            }
        }
    }

    // Reads are never limited, whatever their spelling.
    for read in ["/health", "/openapi.json"] {
        assert_eq!(app.request(Method::GET, read).send().await.unwrap().status(), 200);
    }
    assert_eq!(app.request(Method::GET, "/users/%6De").send().await.unwrap().status(), 401, "a read is judged by its token");
}

#[test]
fn the_spellings_cover_each_segment_and_the_slashes() {
    assert_eq!(
        spellings("/auth/login"),
        ["/%61uth/login", "/auth/%6Cogin", "//auth/login", "/auth//login", "/auth/login/"],
        "each segment's first letter encoded, a doubled leading and inner slash, a trailing slash"
    );
}
