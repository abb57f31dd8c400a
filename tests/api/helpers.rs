use http_actix::app::compose;
use http_actix::app::config::Settings;
use infra_diesel::testing::TestDatabase;
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery";

/// A running server with its own database.
pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:{metrics.port}` when the test turned metrics on.
    pub metrics_address: Option<String>,
    pub client: Client,
    pub settings: Settings,
    database: Arc<TestDatabase>,
}

/// Signed-in credentials.
pub struct Session {
    pub access: String,
    pub refresh: String,
}

/// The database this run targets: MySQL or PostgreSQL when their URL is set, else SQLite.
fn fresh_database() -> TestDatabase {
    if let Some(db) = TestDatabase::from_env_mysql() {
        return db;
    }
    if let Some(db) = TestDatabase::from_env_postgres() {
        return db;
    }
    TestDatabase::sqlite()
}

/// A server with the test defaults: bcrypt cost 4, rate limits off, one worker.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server with some settings overridden.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_configured(overrides, |_| {}).await
}

/// A server with settings overridden, then adjusted in code (for lists and other shapes).
pub async fn spawn_app_configured(overrides: &[(&str, &str)], adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database = Arc::new(tokio::task::spawn_blocking(fresh_database).await.expect("database set-up"));
    start(database, overrides, adjust).await
}

/// Starts a server on `database` with the test defaults, `overrides` and `adjust` applied.
async fn start(database: Arc<TestDatabase>, overrides: &[(&str, &str)], adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let url = database.url().to_owned();
    let mut all: Vec<(&str, &str)> = vec![
        ("server.port", "0"),
        ("server.workers", "1"),
        ("database.url", &url),
        ("auth.secret", "test-secret-of-at-least-thirty-two-bytes!"),
        ("auth.bcrypt_cost", "4"),
        ("auth.encryption_key", "dGVzdC1lbmNyeXB0aW9uLWtleS1vZi0zMi1ieXRlcyE="),
        ("rate_limit.enabled", "false"),
        // A mail server that never answers: messages stay queued with their bodies, so tests
        // read the emailed links from the outbox (the SMTP tests deliver to a real server).
        ("email.transport", "smtp://127.0.0.1:9"),
    ];
    all.extend_from_slice(overrides);
    let mut settings = Settings::defaults_with("test", &all).expect("test settings");
    adjust(&mut settings);
    let app = compose::application(settings.clone()).await.expect("server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(app.run());
    TestApp {
        address,
        metrics_address,
        client: Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        settings,
        database,
    }
}

impl TestApp {
    /// A second server on this test's database, configured differently (a key rotation, say).
    pub async fn sibling(&self, overrides: &[(&str, &str)], adjust: impl FnOnce(&mut Settings)) -> TestApp {
        start(self.database.clone(), overrides, adjust).await
    }

    /// The URL of this test's own database.
    pub fn database_url(&self) -> &str {
        self.database.url()
    }

    /// This test's storage, to read what the server wrote (blocking: call it off the runtime).
    pub fn store(&self) -> infra_diesel::DieselStore {
        self.database.database().store()
    }

    /// The messages queued for `to`, oldest first, as `(subject, text)`.
    pub async fn mail_to(&self, to: &str) -> Vec<(String, String)> {
        let (database, to) = (self.database.clone(), to.to_owned());
        tokio::task::spawn_blocking(move || database.queued_mail_to(&to)).await.expect("outbox read")
    }

    /// The messages for `to` once there are at least `n` (a reset or resend request answers
    /// before its link is stored); panics after five seconds.
    pub async fn await_mail(&self, to: &str, n: usize) -> Vec<(String, String)> {
        for _ in 0..500 {
            let mail = self.mail_to(to).await;
            if mail.len() >= n {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("fewer than {n} messages reached {to}'s outbox")
    }

    /// The token of the newest link mailed to `to`.
    pub async fn link_token(&self, to: &str) -> String {
        let mail = self.mail_to(to).await;
        let (_, text) = mail.last().unwrap_or_else(|| panic!("no message for {to}"));
        let start = text.find("token=").expect("the message has a link") + "token=".len();
        text[start..].split_whitespace().next().expect("a token").to_owned()
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{}", self.address, path))
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path).bearer_auth(token).send().await.expect("request")
    }

    pub async fn send_json(&self, method: Method, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut request = self.request(method, path).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, None, body).await
    }

    pub async fn register(&self, email: &str) -> Value {
        let response = self.post("/auth/register", &json!({"email": email, "password": PASSWORD, "name": "Test User"})).await;
        assert_eq!(response.status(), 201, "registering {email}");
        response.json().await.expect("user body")
    }

    pub async fn login_as(&self, email: &str, password: &str) -> Response {
        self.post("/auth/login", &json!({"email": email, "password": password})).await
    }

    pub async fn login(&self, email: &str) -> Session {
        let response = self.login_as(email, PASSWORD).await;
        assert_eq!(response.status(), 200, "logging in {email}");
        let body: Value = response.json().await.expect("token body");
        Session { access: str_of(&body, "access_token"), refresh: str_of(&body, "refresh_token") }
    }

    /// Registers and signs in.
    pub async fn user(&self, email: &str) -> Session {
        self.register(email).await;
        self.login(email).await
    }

    /// Creates an admin through the command-line use case, then signs in.
    pub async fn admin(&self, email: &str) -> Session {
        let settings = self.settings.clone();
        let database = self.database.database().clone();
        let email_owned = email.to_owned();
        tokio::task::spawn_blocking(move || {
            let (app, _) = compose::gatehouse(&settings, &database).expect("wiring");
            let password = domain::Password::new(PASSWORD, 72).expect("password");
            app.admin
                .create_admin(
                    domain::Email::parse(&email_owned).expect("email"),
                    domain::UserName::parse("Admin").expect("name"),
                    &password,
                )
                .expect("admin created");
        })
        .await
        .expect("admin task");
        self.login(email).await
    }

    /// Signs in an account with two-step sign-in on, finishing with `code`; the access token.
    pub async fn login_with_mfa_code(&self, email: &str, code: &str) -> String {
        let first: Value = self.login_as(email, PASSWORD).await.json().await.expect("mfa-required body");
        let token = str_of(&first, "mfa_token");
        let second = self.post("/auth/login/mfa", &json!({"mfa_token": token, "code": code})).await;
        assert_eq!(second.status(), 200, "the second step of {email}");
        str_of(&second.json().await.expect("token body"), "access_token")
    }

    /// Every byte the database holds: the SQLite file and its WAL, or a data dump of the
    /// PostgreSQL or MySQL database (`pg_dump`, `mysqldump`), to search for secrets.
    pub async fn dump_database(&self) -> Vec<u8> {
        let url = self.database_url().to_owned();
        tokio::task::spawn_blocking(move || dump(&url)).await.expect("dump task")
    }

    /// Runs `statement` on this test's database, as an operator would (to move stored time).
    pub async fn execute_sql(&self, statement: &'static str) {
        let url = self.database_url().to_owned();
        tokio::task::spawn_blocking(move || execute(&url, statement)).await.expect("statement task");
    }

    pub async fn create_project(&self, token: &str, name: &str) -> Value {
        let response = self.send_json(Method::POST, "/projects", Some(token), &json!({"name": name})).await;
        assert_eq!(response.status(), 201);
        response.json().await.expect("project body")
    }

    pub async fn create_task(&self, token: &str, project: &str, body: Value) -> Value {
        let response = self.send_json(Method::POST, &format!("/projects/{project}/tasks"), Some(token), &body).await;
        assert_eq!(response.status(), 201);
        response.json().await.expect("task body")
    }
}

pub fn str_of(body: &Value, field: &str) -> String {
    body[field].as_str().unwrap_or_else(|| panic!("{field} missing in {body}")).to_owned()
}

/// Checks a problem+json answer and returns its body.
pub async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("application/problem+json"), "content type {content_type}");
    let body: Value = response.json().await.expect("problem body");
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], "about:blank");
    assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
    body
}

/// The fields named in a 422.
pub async fn invalid_fields(response: Response) -> Vec<String> {
    let body = problem(response, 422).await;
    body["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field").to_owned()).collect()
}

fn execute(url: &str, statement: &str) {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    if let Some(path) = url.strip_prefix("sqlite://") {
        diesel::SqliteConnection::establish(path).expect("SQLite").batch_execute(statement).expect("statement");
    } else if url.starts_with("postgres") {
        diesel::PgConnection::establish(url).expect("PostgreSQL").batch_execute(statement).expect("statement");
    } else {
        #[cfg(feature = "mysql")]
        diesel::MysqlConnection::establish(url).expect("MySQL").batch_execute(statement).expect("statement");
    }
}

fn dump(url: &str) -> Vec<u8> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut bytes = std::fs::read(path).expect("the SQLite file");
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        return bytes;
    }
    let output = if url.starts_with("postgres") {
        std::process::Command::new("pg_dump").args(["--data-only", url]).output()
    } else {
        let rest = url.trim_start_matches("mysql://");
        let (credentials, location) = rest.rsplit_once('@').unwrap_or(("root", rest));
        let (host_port, database) = location.split_once('/').expect("a database in the URL");
        let (host, port) = host_port.split_once(':').unwrap_or((host_port, "3306"));
        let user = credentials.split(':').next().unwrap_or("root");
        std::process::Command::new("mysqldump")
            .args([
                "--no-create-info",
                "--skip-extended-insert",
                "-h",
                host,
                "-P",
                port,
                "-u",
                user,
                database.split('?').next().unwrap_or(database),
            ])
            .output()
    }
    .expect("the dump command runs");
    assert!(output.status.success(), "dump failed: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}
