//! A database outage while serving: 503 with `Retry-After`, liveness unaffected, and recovery
//! without a restart. Runs on PostgreSQL (TEST_POSTGRES_URL), where connections can be refused.

use crate::helpers::{problem, spawn_app};
use diesel::RunQueryDsl;
use infra_diesel::testing::establish_postgres;
use reqwest::Method;
use std::time::{Duration, Instant};

fn on_server(sql: &str) {
    let url = std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL");
    let mut conn = establish_postgres(&url).expect("admin connection");
    diesel::sql_query(sql).execute(&mut conn).expect("admin statement");
}

#[tokio::test]
async fn an_unreachable_database_answers_503_and_the_server_heals_itself() {
    if std::env::var_os("TEST_POSTGRES_URL").is_none() || std::env::var_os("TEST_MYSQL_URL").is_some() {
        return;
    }
    let app = spawn_app().await;
    let ada = app.user("ada@example.com").await;
    let name = app.database_url().rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    let cut = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false");
    let kill = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()");
    tokio::task::spawn_blocking(move || {
        on_server(&cut);
        on_server(&kill);
    })
    .await
    .unwrap();

    let ready = app.request(Method::GET, "/ready").send().await.unwrap();
    assert!(ready.headers().contains_key("retry-after"));
    problem(ready, 503).await;
    problem(app.get("/users/me", &ada.access).await, 503).await;
    assert_eq!(app.request(Method::GET, "/health").send().await.unwrap().status(), 200, "liveness touches nothing");

    let restore = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true");
    tokio::task::spawn_blocking(move || on_server(&restore)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.request(Method::GET, "/ready").send().await.unwrap().status() != 200 {
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(app.get("/users/me", &ada.access).await.status(), 200);
}
