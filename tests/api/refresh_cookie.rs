//! Browser clients: the refresh token in an `HttpOnly` cookie (`auth.refresh_transport`), the
//! `Origin` check that makes cookie-borne refresh and logout CSRF-safe, CORS with credentials,
//! and the refresh grace window (`auth.refresh_reuse_grace_secs`) for two tabs at once.

use crate::helpers::{PASSWORD, TestApp, problem, spawn_app_configured, str_of};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

const APP_ORIGIN: &str = "http://app.test";

async fn cookie_app(transport: &str, grace: &str) -> TestApp {
    spawn_app_configured(&[("auth.refresh_transport", transport), ("auth.refresh_reuse_grace_secs", grace)], |s| {
        s.cors.allowed_origins = vec![APP_ORIGIN.to_owned()];
    })
    .await
}

/// The `gatehouse_refresh` cookie a response sets: its value and its attributes, lower-cased.
fn set_cookie(response: &reqwest::Response) -> Option<(String, Vec<String>)> {
    let header = response.headers().get_all("set-cookie").iter().find_map(|v| v.to_str().ok()?.strip_prefix("gatehouse_refresh="))?;
    let mut parts = header.split(';').map(str::trim);
    let value = parts.next().unwrap_or_default().to_owned();
    Some((value, parts.map(str::to_ascii_lowercase).collect()))
}

async fn login(app: &TestApp) -> reqwest::Response {
    app.register("ada@example.com").await;
    let response = app.login_as("ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), 200);
    response
}

/// A cookie-borne call as a browser page on `origin` makes it (no body at all).
async fn with_cookie(app: &TestApp, path: &str, token: &str, origin: Option<&str>) -> reqwest::Response {
    let mut request = app.request(Method::POST, path).header("cookie", format!("gatehouse_refresh={token}"));
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn in_cookie_mode_the_refresh_token_is_an_http_only_cookie_and_not_in_the_json() {
    let app = cookie_app("cookie", "0").await;
    let response = login(&app).await;
    let (token, attributes) = set_cookie(&response).expect("the refresh cookie");
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(token.starts_with("gatehouse_rt_"));
    for attribute in ["httponly", "samesite=strict", "path=/auth", "max-age=1209600"] {
        assert!(attributes.iter().any(|a| a == attribute), "{attribute} missing in {attributes:?}");
    }
    assert!(!attributes.iter().any(|a| a == "secure"), "plain http on 127.0.0.1 is the one place without Secure");
    assert_eq!(body["refresh_expires_in"], 1_209_600);

    // The cookie is read back from a trusted origin, with no body at all, and rotates.
    let refreshed = with_cookie(&app, "/auth/refresh", &token, Some(APP_ORIGIN)).await;
    assert_eq!(refreshed.status(), 200);
    let (next, attributes) = set_cookie(&refreshed).expect("a rotated cookie");
    assert_ne!(next, token);
    let max_age: i64 = attributes.iter().find_map(|a| a.strip_prefix("max-age=")?.parse().ok()).unwrap();
    assert!((1_209_590..=1_209_600).contains(&max_age), "the session's remaining life, not a new one: {max_age}");
    let access = str_of(&refreshed.json::<Value>().await.unwrap(), "access_token");
    assert_eq!(app.get("/users/me", &access).await.status(), 200);

    // Logout reads the cookie too, ends the session and clears the cookie.
    let out = with_cookie(&app, "/auth/logout", &next, Some(APP_ORIGIN)).await;
    assert_eq!(out.status(), 204);
    let (cleared, attributes) = set_cookie(&out).expect("a clearing cookie");
    assert!(cleared.is_empty() && attributes.iter().any(|a| a == "max-age=0"), "{attributes:?}");
    assert_eq!(app.get("/users/me", &access).await.status(), 401);
    assert_eq!(with_cookie(&app, "/auth/refresh", &next, Some(APP_ORIGIN)).await.status(), 401);
}

#[tokio::test]
async fn a_cookie_from_an_untrusted_origin_or_none_is_refused_and_left_unused() {
    let app = cookie_app("cookie", "0").await;
    let (token, _) = set_cookie(&login(&app).await).unwrap();
    for origin in [Some("http://evil.test"), Some("null"), None] {
        problem(with_cookie(&app, "/auth/refresh", &token, origin).await, 403).await;
        problem(with_cookie(&app, "/auth/logout", &token, origin).await, 403).await;
        let form = app
            .request(Method::POST, "/auth/token")
            .header("cookie", format!("gatehouse_refresh={token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=refresh_token");
        let form = match origin {
            Some(origin) => form.header("origin", origin),
            None => form,
        };
        problem(form.send().await.unwrap(), 403).await;
    }
    // The refused calls neither used nor ended the token: the app's own page still can.
    assert_eq!(with_cookie(&app, "/auth/refresh", &token, Some(APP_ORIGIN)).await.status(), 200);
}

#[tokio::test]
async fn the_token_endpoint_reads_the_cookie_and_both_mode_keeps_the_json() {
    let app = cookie_app("both", "0").await;
    let response = login(&app).await;
    let (token, _) = set_cookie(&response).unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(str_of(&body, "refresh_token"), token, "both: the JSON keeps it too");
    let granted = app
        .request(Method::POST, "/auth/token")
        .header("cookie", format!("gatehouse_refresh={token}"))
        .header("origin", APP_ORIGIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=refresh_token")
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 200);
    assert!(set_cookie(&granted).is_some());
    // A body token wins over the cookie, and needs no Origin (it is no ambient credential).
    let body_token = str_of(&granted.json::<Value>().await.unwrap(), "refresh_token");
    let by_body = app.post("/auth/refresh", &json!({"refresh_token": body_token})).await;
    assert_eq!(by_body.status(), 200);
}

#[tokio::test]
async fn a_cross_site_sign_in_is_refused_and_sets_no_cookie() {
    for transport in ["cookie", "both"] {
        let app = cookie_app(transport, "0").await;
        app.register("mallory@example.com").await;
        let form = [("grant_type", "password"), ("username", "mallory@example.com"), ("password", PASSWORD)];
        let login = json!({"email": "mallory@example.com", "password": PASSWORD});

        // A page on another site posts a form (or a fetch) to the sign-in endpoints.
        let token = app.request(Method::POST, "/auth/token").header("origin", "https://evil.example").form(&form).send().await.unwrap();
        assert!(set_cookie(&token).is_none(), "{transport}: a cross-site grant set the cookie");
        problem(token, 403).await;
        let login_response =
            app.request(Method::POST, "/auth/login").header("origin", "https://evil.example").json(&login).send().await.unwrap();
        assert!(set_cookie(&login_response).is_none(), "{transport}: a cross-site login set the cookie");
        problem(login_response, 403).await;
        let refresh = app
            .request(Method::POST, "/auth/refresh")
            .header("origin", "https://evil.example")
            .json(&json!({"refresh_token": "gatehouse_rt_whatever"}))
            .send()
            .await
            .unwrap();
        assert!(set_cookie(&refresh).is_none());
        problem(refresh, 403).await;

        // Nothing was signed in for them: the account has no session and no login event yet.
        // (An admin reads the log through a body-mode instance on the same database.)
        let reader = app.sibling(&[("auth.refresh_transport", "body")], |_| {}).await;
        let admin = reader.admin("root@example.com").await;
        let mallory = reader.get("/users?limit=100", &admin.access).await.json::<Value>().await.unwrap();
        let id = mallory["items"].as_array().unwrap().iter().find(|u| u["email"] == "mallory@example.com").unwrap()["id"].clone();
        let path = format!("/audit?user_id={}&type=login.succeeded", id.as_str().unwrap());
        let events: Value = reader.get(&path, &admin.access).await.json().await.unwrap();
        assert_eq!(events["total"], 0, "{transport}: a session was opened for a refused request");

        // An allowed origin and a client without Origin still sign in (the server's own origin
        // is trusted alike, but a test server on port 0 does not know its public URL).
        for origin in [Some(APP_ORIGIN), None] {
            let mut request = app.request(Method::POST, "/auth/token").form(&form);
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{transport} from {origin:?}");
            assert!(set_cookie(&response).is_some(), "{transport} from {origin:?}");
        }
    }
    // In body mode no cookie is ever written, so no origin is refused.
    let app = cookie_app("body", "0").await;
    app.register("ada@example.com").await;
    let login = json!({"email": "ada@example.com", "password": PASSWORD});
    let response = app.request(Method::POST, "/auth/login").header("origin", "https://evil.example").json(&login).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn in_body_mode_no_cookie_is_set_or_read() {
    let app = cookie_app("body", "0").await;
    let response = login(&app).await;
    assert!(set_cookie(&response).is_none());
    let token = str_of(&response.json::<Value>().await.unwrap(), "refresh_token");
    let refused = with_cookie(&app, "/auth/refresh", &token, Some(APP_ORIGIN)).await;
    assert_eq!(refused.status(), 415, "v1: a refresh needs its JSON body");
    let preflight = app
        .request(Method::OPTIONS, "/auth/refresh")
        .header("origin", APP_ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(!preflight.headers().contains_key("access-control-allow-credentials"));
}

#[tokio::test]
async fn cors_allows_credentials_for_the_allowed_origins_only() {
    let app = cookie_app("cookie", "0").await;
    let preflight = |origin: &str| {
        app.request(Method::OPTIONS, "/auth/refresh")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
    };
    let allowed = preflight(APP_ORIGIN).send().await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], APP_ORIGIN);
    assert_eq!(allowed.headers()["access-control-allow-credentials"], "true");
    let other = preflight("http://evil.test").send().await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-credentials"));
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_public_https_url_makes_the_cookie_secure_and_its_origin_trusted() {
    let app =
        spawn_app_configured(&[("auth.refresh_transport", "cookie"), ("server.public_url", "https://auth.example.com")], |_| {}).await;
    let (token, attributes) = set_cookie(&login(&app).await).unwrap();
    assert!(attributes.iter().any(|a| a == "secure"), "{attributes:?}");
    assert_eq!(with_cookie(&app, "/auth/refresh", &token, Some("https://auth.example.com")).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tabs_refreshing_at_once_both_stay_signed_in_within_the_grace_window() {
    let app = Arc::new(cookie_app("both", "30").await);
    for round in 0..5 {
        let email = format!("tab{round}@example.com");
        let session = app.user(&email).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(6));
        let tabs: Vec<_> = (0..6)
            .map(|_| {
                let (app, barrier, token) = (app.clone(), barrier.clone(), session.refresh.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let response = with_cookie(&app, "/auth/refresh", &token, Some(APP_ORIGIN)).await;
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    (status, body["refresh_token"].as_str().map(str::to_owned), body["access_token"].as_str().map(str::to_owned))
                })
            })
            .collect();
        let mut answers = Vec::new();
        for tab in tabs {
            answers.push(tab.await.unwrap());
        }
        assert!(answers.iter().all(|(status, ..)| *status == 200), "round {round}: {answers:?}");
        let current = answers[0].1.clone().unwrap();
        assert!(answers.iter().all(|(_, refresh, _)| refresh.as_deref() == Some(current.as_str())), "one current token: {answers:?}");
        for (_, _, access) in &answers {
            assert_eq!(app.get("/users/me", access.as_deref().unwrap()).await.status(), 200, "round {round}");
        }
        // The token they all hold works, and the first one, now two exchanges old, is theft.
        let next = with_cookie(&app, "/auth/refresh", &current, Some(APP_ORIGIN)).await;
        assert_eq!(next.status(), 200);
        assert_eq!(with_cookie(&app, "/auth/refresh", &session.refresh, Some(APP_ORIGIN)).await.status(), 401);
        assert_eq!(app.get("/users/me", answers[0].2.as_deref().unwrap()).await.status(), 401, "the session is revoked");
    }
}

#[tokio::test]
async fn the_openapi_document_says_where_the_refresh_token_travels() {
    let schemas = |doc: &Value, name: &str| doc["components"]["schemas"][name].clone();
    let requires = |schema: &Value| schema["required"].as_array().is_some_and(|r| r.iter().any(|f| f == "refresh_token"));
    for (transport, in_json) in [("body", true), ("both", true), ("cookie", false)] {
        let app = cookie_app(transport, "0").await;
        let doc: Value = app.request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
        let token = schemas(&doc, "Token");
        assert_eq!(token["properties"].get("refresh_token").is_some(), in_json, "{transport}");
        assert_eq!(requires(&token), in_json, "{transport}");
        assert_eq!(requires(&schemas(&doc, "RefreshRequest")), transport == "body", "{transport}: the cookie may stand in for it");
    }
}

#[tokio::test]
async fn after_the_grace_window_the_exchanged_token_is_theft_again() {
    let app = cookie_app("both", "1").await;
    let session = app.user("ada@example.com").await;
    let rotated = app.post("/auth/refresh", &json!({"refresh_token": session.refresh})).await;
    assert_eq!(rotated.status(), 200);
    let current = str_of(&rotated.json::<Value>().await.unwrap(), "refresh_token");
    // The window is a span of time: waiting it out is the point here, not a race to open.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(app.post("/auth/refresh", &json!({"refresh_token": session.refresh})).await.status(), 401);
    assert_eq!(app.post("/auth/refresh", &json!({"refresh_token": current})).await.status(), 401, "the whole session was revoked");
}
