use crate::helpers::{spawn_app, spawn_app_configured};
use reqwest::Method;

fn preflight(app: &crate::helpers::TestApp, origin: &str) -> reqwest::RequestBuilder {
    app.request(Method::OPTIONS, "/users/me")
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/health").header("origin", "https://app.example").send().await.unwrap();
    assert!(!response.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn configured_origins_get_cors_headers_and_others_do_not() {
    let app = spawn_app_configured(&[], |s| s.cors.allowed_origins = vec!["https://app.example".to_owned()]).await;
    let allowed = preflight(&app, "https://app.example").send().await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
    let simple = app.request(Method::GET, "/health").header("origin", "https://app.example").send().await.unwrap();
    assert_eq!(simple.headers()["access-control-allow-origin"], "https://app.example");
    let other = preflight(&app, "https://evil.example").send().await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_refused_preflight_is_a_problem() {
    let app = spawn_app_configured(&[], |s| s.cors.allowed_origins = vec!["https://app.example".to_owned()]).await;
    let refused = preflight(&app, "https://evil.example").send().await.unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let status = refused.status().as_u16();
    crate::helpers::problem(refused, status).await;
}
