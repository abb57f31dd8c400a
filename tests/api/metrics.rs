//! `metrics.port`: Prometheus text on its own listener, counting what a scripted run did.

use crate::helpers::{PASSWORD, spawn_app_with, str_of};
use reqwest::Method;
use serde_json::{Value, json};

/// The value of the sample of `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|line| !line.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, label_text) = series.split_once('{').unwrap_or((series, ""));
        let wanted = series_name == name && labels.iter().all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\"")));
        wanted.then(|| value.parse().ok()).flatten()
    })
}

#[tokio::test]
async fn a_scripted_run_shows_in_the_metrics_and_never_on_the_api_port() {
    let app = spawn_app_with(&[
        ("metrics.port", "0"),
        ("rate_limit.enabled", "true"),
        ("rate_limit.burst", "6"),
        ("rate_limit.per_minute", "6"),
        ("rate_limit.failed_logins_per_account", "1"),
    ])
    .await;
    let metrics = app.metrics_address.clone().expect("metrics are on");

    // Six requests to /auth/*: the per-client window is full after them.
    app.register("ada@example.com").await;
    let tokens: Value = app.login_as("ada@example.com", PASSWORD).await.json().await.unwrap();
    assert_eq!(app.login_as("ada@example.com", "wrong password").await.status(), 401);
    assert_eq!(app.login_as("ada@example.com", "wrong again").await.status(), 429, "the lockout");
    let old = str_of(&tokens, "refresh_token");
    assert_eq!(app.post("/auth/refresh", &json!({"refresh_token": old})).await.status(), 200);
    assert_eq!(app.post("/auth/refresh", &json!({"refresh_token": old})).await.status(), 401, "reuse");
    assert_eq!(app.login_as("ada@example.com", PASSWORD).await.status(), 429, "the per-client limit");
    // Reads are not limited: a 401 and a 404 whose id must not become a label.
    let access = str_of(&tokens, "access_token");
    assert_eq!(app.get("/users/me", &access).await.status(), 401, "the session died with the reuse");
    let id = uuid::Uuid::new_v4();
    assert_eq!(app.request(Method::GET, &format!("/tasks/{id}")).send().await.unwrap().status(), 401);

    let api_port = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(api_port.status(), 404, "metrics are never on the API port");
    let scraped = reqwest::get(format!("{metrics}/metrics")).await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = scraped.text().await.unwrap();

    let count = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels).unwrap_or_else(|| panic!("{name} {labels:?} in\n{text}"));
    assert_eq!(count("gatehouse_logins_total", &[("outcome", "succeeded")]), 1.0);
    assert_eq!(count("gatehouse_logins_total", &[("outcome", "failed")]), 1.0);
    assert_eq!(count("gatehouse_logins_total", &[("outcome", "locked")]), 1.0);
    assert_eq!(count("gatehouse_refreshes_total", &[("outcome", "succeeded")]), 1.0);
    assert_eq!(count("gatehouse_refreshes_total", &[("outcome", "reused")]), 1.0);
    assert_eq!(count("gatehouse_refusals_total", &[("reason", "lockout")]), 1.0);
    assert_eq!(count("gatehouse_refusals_total", &[("reason", "rate_limit")]), 1.0);
    let login_route = [("route", "/auth/login"), ("method", "POST")];
    assert_eq!(count("gatehouse_http_requests_total", &[login_route[0], login_route[1], ("status", "200")]), 1.0);
    assert_eq!(count("gatehouse_http_requests_total", &[login_route[0], login_route[1], ("status", "429")]), 2.0);
    assert_eq!(count("gatehouse_http_request_duration_seconds_count", &login_route), 4.0);
    assert_eq!(count("gatehouse_http_requests_total", &[("route", "/tasks/{id}"), ("method", "GET"), ("status", "401")]), 1.0);
    assert!(!text.contains(&id.to_string()), "a raw path became a label");
    assert_eq!(count("gatehouse_password_checks_running", &[]), 0.0);
    assert_eq!(count("gatehouse_password_checks_queued", &[]), 0.0);
    assert!(count("gatehouse_pool_connections", &[("state", "idle")]) >= 1.0);
    assert_eq!(count("gatehouse_pool_connections", &[("state", "in_use")]), 0.0);
}

#[tokio::test]
async fn invented_methods_share_one_series_and_add_none() {
    let app = spawn_app_with(&[("metrics.port", "0")]).await;
    let metrics = app.metrics_address.clone().expect("metrics are on");
    let series = |text: &str| text.lines().filter(|l| l.starts_with("gatehouse_http_requests_total{")).count();
    app.request(Method::GET, "/health").send().await.unwrap();
    let before = series(&reqwest::get(format!("{metrics}/metrics")).await.unwrap().text().await.unwrap());

    // 200 methods nobody defined: each is a valid HTTP token, so the server reads them all.
    for i in 0..200 {
        let method = Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        let status = app.request(method, "/health").send().await.unwrap().status();
        assert_eq!(status, 405, "an invented method is not allowed");
    }
    let text = reqwest::get(format!("{metrics}/metrics")).await.unwrap().text().await.unwrap();
    assert!(!text.contains("INVENTED"), "an invented method became a label");
    assert_eq!(series(&text), before + 1, "one series for every invented method: method=\"other\"");
    assert_eq!(sample(&text, "gatehouse_http_requests_total", &[("method", "other"), ("status", "405")]), Some(200.0));
}

#[tokio::test]
async fn without_metrics_port_nothing_listens_or_records() {
    let app = spawn_app_with(&[]).await;
    assert!(app.metrics_address.is_none());
    assert_eq!(app.request(Method::GET, "/metrics").send().await.unwrap().status(), 404);
}

/// The series a scrape shows, by family (`# TYPE` lines).
fn families(text: &str) -> std::collections::BTreeSet<String> {
    text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|l| l.split(' ').next()).map(str::to_owned).collect()
}

#[tokio::test]
async fn the_grafana_dashboard_uses_exactly_the_series_the_server_shows() {
    let app = spawn_app_with(&[("metrics.port", "0")]).await;
    app.register("ada@example.com").await;
    app.login("ada@example.com").await;
    let text = reqwest::get(format!("{}/metrics", app.metrics_address.clone().unwrap())).await.unwrap().text().await.unwrap();
    let shown = families(&text);

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops/grafana/gatehouse.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut used = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for (at, _) in expr.match_indices("gatehouse_") {
                let name: String = expr[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                let family = ["_bucket", "_count", "_sum"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(&name).to_owned();
                used.insert(family);
            }
        }
    }
    assert_eq!(used, shown, "the dashboard and the server disagree on the series");
}
