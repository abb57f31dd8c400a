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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_file_locked_by_another_process_answers_503_within_the_connect_timeout_and_heals() {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    let Some(path) = app.database_url().strip_prefix("sqlite://").map(str::to_owned) else { return };
    assert_eq!(app.request(Method::GET, "/ready").send().await.unwrap().status(), 200);
    // Another program takes the write lock and keeps it, as `sqlite3 gh.db 'BEGIN EXCLUSIVE'` does.
    let mut other = diesel::SqliteConnection::establish(&path).expect("second connection");
    other.batch_execute("BEGIN EXCLUSIVE").expect("lock");

    let started = Instant::now();
    let ready = app.request(Method::GET, "/ready").send().await.unwrap();
    let register = app.post("/auth/register", &serde_json::json!({"email": "a@x.io", "password": "long enough pw", "name": "A"})).await;
    let elapsed = started.elapsed();

    for response in [ready, register] {
        assert!(response.headers().contains_key("retry-after"));
        problem(response, 503).await;
    }
    let limit = Duration::from_secs(app.settings.database.connect_timeout_secs.max(1) * 2);
    assert!(elapsed < limit, "two answers took {elapsed:?}");
    other.batch_execute("ROLLBACK").expect("unlock");
    assert_eq!(app.request(Method::GET, "/ready").send().await.unwrap().status(), 200, "heals by itself");
    app.register("a@x.io").await;
}
