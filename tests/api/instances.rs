//! Several instances on one database behave as one server: tokens, revocations, refresh-token
//! reuse, the per-client limit and the lockout are shared. Each instance here is a server with
//! its own process state (its own memory counters, pools, caches) on the test's database; with
//! SQLite the counters default to memory, so the counting tests run on PostgreSQL and MySQL,
//! and with Redis when `TEST_REDIS_URL` is set.

use crate::helpers::{PASSWORD, TestApp, problem, spawn_app_with};
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;

fn shares_counters(app: &TestApp) -> bool {
    !app.database_url().starts_with("sqlite")
}

#[tokio::test]
async fn a_token_of_one_instance_works_on_another_and_a_logout_on_one_is_refused_by_all() {
    let a = spawn_app_with(&[]).await;
    let b = a.sibling(&[], |_| {}).await;
    let ada = a.user("ada@example.com").await;

    assert_eq!(b.get("/users/me", &ada.access).await.status(), 200);
    assert_eq!(a.post("/auth/logout", &json!({"refresh_token": ada.refresh})).await.status(), 204);
    assert_eq!(b.get("/users/me", &ada.access).await.status(), 401);
}

#[tokio::test]
async fn a_refresh_token_reused_on_another_instance_revokes_the_session() {
    let a = spawn_app_with(&[]).await;
    let b = a.sibling(&[], |_| {}).await;
    let ada = a.user("ada@example.com").await;
    let rotated: serde_json::Value = a.post("/auth/refresh", &json!({"refresh_token": ada.refresh})).await.json().await.unwrap();

    assert_eq!(b.post("/auth/refresh", &json!({"refresh_token": ada.refresh})).await.status(), 401);
    let newest = rotated["refresh_token"].as_str().unwrap();
    assert_eq!(a.post("/auth/refresh", &json!({"refresh_token": newest})).await.status(), 401, "the whole session is revoked");
}

/// Two instances on one database: the lockout at 4 per account, the per-client limit (3 per
/// window) on or off, the counters in `store` (the backend's default when `None`).
async fn pair(store: Option<&str>, per_client: bool) -> (TestApp, TestApp) {
    let mut overrides = vec![
        ("rate_limit.enabled", if per_client { "true" } else { "false" }),
        ("rate_limit.per_minute", "3"),
        ("rate_limit.burst", "3"),
        ("rate_limit.failed_logins_per_account", "4"),
    ];
    if let Some(store) = store {
        overrides.push(("rate_limit.store", store));
    }
    let a = spawn_app_with(&overrides).await;
    let b = a.sibling(&overrides, |_| {}).await;
    (a, b)
}

async fn the_per_client_limit_counts_across_instances(store: Option<&str>) {
    let (a, b) = pair(store, true).await;
    if store.is_none() && !shares_counters(&a) {
        return;
    }
    // A fresh email each run: its lockout window must not be what refuses (Redis outlives runs).
    let nobody = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    for app in [&a, &b, &a] {
        assert_eq!(app.login_as(&nobody, "whatever").await.status(), 401);
    }
    let limited = b.login_as(&nobody, "whatever").await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, 429).await;
}

async fn the_lockout_counts_failures_spread_over_instances_and_every_password_check(store: Option<&str>) {
    let (a, b) = pair(store, false).await;
    if store.is_none() && !shares_counters(&a) {
        return;
    }
    let ada = a.user(&format!("ada-{}@example.com", uuid::Uuid::new_v4().simple())).await;
    let email = a.get("/users/me", &ada.access).await.json::<serde_json::Value>().await.unwrap()["email"].as_str().unwrap().to_owned();

    assert_eq!(a.login_as(&email, "wrong one").await.status(), 401);
    assert_eq!(b.login_as(&email, "wrong two").await.status(), 401);
    let wrong_current = json!({"current_password": "wrong three", "new_password": "a new long password"});
    problem(b.send_json(Method::POST, "/users/me/password", Some(&ada.access), &wrong_current).await, 422).await;
    problem(a.send_json(Method::DELETE, "/users/me", Some(&ada.access), &json!({"current_password": "wrong four"})).await, 422).await;

    let locked = b.login_as(&email, PASSWORD).await;
    assert!(locked.headers().contains_key("retry-after"));
    problem(locked, 429).await;
    let right_current = json!({"current_password": PASSWORD, "new_password": "a new long password"});
    problem(a.send_json(Method::POST, "/users/me/password", Some(&ada.access), &right_current).await, 429).await;
}

#[tokio::test]
async fn the_per_client_limit_counts_across_instances_in_the_database() {
    the_per_client_limit_counts_across_instances(None).await;
}

#[tokio::test]
async fn the_lockout_counts_across_instances_in_the_database() {
    the_lockout_counts_failures_spread_over_instances_and_every_password_check(None).await;
}

#[tokio::test]
async fn the_per_client_limit_counts_across_instances_in_redis() {
    if let Ok(url) = std::env::var("TEST_REDIS_URL") {
        // Each test its own Redis database number would need coordination: keys are made
        // unique instead (a fresh email; the client address is shared, so flush it first).
        flush_client_keys(&url);
        the_per_client_limit_counts_across_instances(Some(&url)).await;
        flush_client_keys(&url);
    }
}

#[tokio::test]
async fn the_lockout_counts_across_instances_in_redis() {
    if let Ok(url) = std::env::var("TEST_REDIS_URL") {
        the_lockout_counts_failures_spread_over_instances_and_every_password_check(Some(&url)).await;
    }
}

/// Forgets the loopback client's window in Redis, which every test shares.
fn flush_client_keys(url: &str) {
    let client = redis::Client::open(url).expect("redis url");
    let mut conn = client.get_connection().expect("redis");
    let _: () = redis::cmd("DEL").arg("gatehouse:attempts:ip:127.0.0.1").query(&mut conn).expect("del");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_guesses_at_once_check_at_most_the_limit_on_one_instance_or_two() {
    // `rate_limit.enabled` is false (the test default): the lockout stays on regardless.
    let a = Arc::new(spawn_app_with(&[("rate_limit.failed_logins_per_account", "10")]).await);
    // SQLite is one instance with its counters in memory: all forty go to it.
    let b =
        if shares_counters(&a) { Arc::new(a.sibling(&[("rate_limit.failed_logins_per_account", "10")], |_| {}).await) } else { a.clone() };
    a.register("ada@example.com").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(40));

    let guesses: Vec<_> = (0..40)
        .map(|n| {
            let (app, barrier) = (if n % 2 == 0 { a.clone() } else { b.clone() }, barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                app.login_as("ada@example.com", &format!("guess {n}")).await.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }

    let checked = statuses.iter().filter(|s| **s == 401).count();
    let locked = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, locked), (10, 30), "{statuses:?}");

    // Every answer has its event, however the instances raced: 10 checked, 30 locked.
    let admin = a.admin("root@example.com").await;
    let count = |kind: &'static str| {
        let (a, token) = (a.clone(), admin.access.clone());
        async move {
            let page: serde_json::Value = a.get(&format!("/audit?type={kind}&limit=1"), &token).await.json().await.unwrap();
            page["total"].as_u64().unwrap()
        }
    };
    assert_eq!((count("login.failed").await, count("login.locked").await), (10, 30));
}

#[tokio::test]
async fn the_purge_runs_on_one_instance_at_a_time() {
    tokio::task::spawn_blocking(|| {
        let db = infra_diesel::testing::TestDatabase::from_env_mysql()
            .or_else(infra_diesel::testing::TestDatabase::from_env_postgres)
            .unwrap_or_else(infra_diesel::testing::TestDatabase::sqlite);
        let settings = http_actix::app::config::Settings::defaults_with(
            "test",
            &[("database.url", db.url()), ("auth.secret", "test-secret-of-at-least-thirty-two-bytes!"), ("auth.bcrypt_cost", "4")],
        )
        .expect("settings");
        let attempts = Arc::new(domain::memory::MemoryAttempts::default());
        let (app, _) = http_actix::app::compose::gatehouse_with(&settings, db.database(), attempts).expect("wiring");
        let purge = |holder| app.maintenance.purge(holder, chrono::Duration::minutes(20)).expect("purge");

        assert!(matches!(purge("instance-a"), domain::PurgeRun::Purged(_)), "the first instance takes the lease");
        assert_eq!(purge("instance-b"), domain::PurgeRun::HeldElsewhere, "another instance skips while it is held");
        assert!(matches!(purge("instance-a"), domain::PurgeRun::Purged(_)), "the holder renews it");
    })
    .await
    .unwrap();
}
