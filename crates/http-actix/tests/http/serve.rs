//! `gatehouse serve` as a process: it logs no secret even at debug level, and SIGTERM shuts it
//! down gracefully.

use crate::server_process::{Served, http, post_json};
use std::ffi::OsStr;
use std::process::Command;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";

fn field(response: &str, name: &str) -> String {
    let start = response.find(&format!("\"{name}\":\"")).expect(name) + name.len() + 4;
    response[start..].split('"').next().expect("value").to_owned()
}

#[test]
fn serve_logs_no_secret_and_stops_gracefully_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("gatehouse-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut served = Served::start(&dir, &[("APP__LOG__LEVEL", OsStr::new("debug"))]);
    let (port, mut log) = (served.port, served.early.clone());

    let registered = post_json(port, "/auth/register", &format!(r#"{{"email":"ada@example.com","password":"{PASSWORD}","name":"Ada"}}"#));
    assert!(registered.starts_with("HTTP/1.1 201"), "{registered}");
    let login = post_json(port, "/auth/login", &format!(r#"{{"email":"ada@example.com","password":"{PASSWORD}"}}"#));
    let (access, refresh) = (field(&login, "access_token"), field(&login, "refresh_token"));
    let me = http(
        port,
        &format!("GET /users/me?token={refresh} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {access}\r\n\r\n"),
    );
    assert!(me.starts_with("HTTP/1.1 200"), "{me}");
    let wrong = post_json(port, "/auth/login", r#"{"email":"ada@example.com","password":"a wrong secret"}"#);
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let authorized = |method: &str, path: &str| {
        http(
            port,
            &format!(
                "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\nAuthorization: Bearer {access}\r\n\r\n"
            ),
        )
    };
    assert!(authorized("POST", "/auth/logout-all").starts_with("HTTP/1.1 204"));
    // Refused on a storage thread, where the session is read: its log line must still carry the
    // request's id.
    assert!(authorized("GET", "/users/me").starts_with("HTTP/1.1 401"));
    // The database gone from under the server: readiness answers 503, and the warning about it
    // is logged while serving the request, so it carries the id too.
    std::fs::remove_file(dir.join("gatehouse.db")).expect("the database file");
    let ready = http(port, "GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(ready.starts_with("HTTP/1.1 503"), "{ready}");
    // Every line from the first request to the last one's "request finished", but actix's own
    // lines about starting its workers, was written while serving a request.
    let first_served = log.len();
    loop {
        let line = served.lines.recv_timeout(Duration::from_secs(30)).expect("the last request's log line");
        log.push(line.clone());
        if line.contains("request finished") && line.contains(r#""status":503"#) {
            break;
        }
    }
    for line in log[first_served..].iter().filter(|l| !l.contains(r#""target":"actix_server::"#)) {
        assert!(line.contains("\"request_id\""), "a line written while serving a request lacks its id: {line}");
    }
    assert!(log[first_served..].iter().any(|l| l.contains("database unavailable")), "the 503 is logged as a warning");

    let term = Command::new("kill").args(["-TERM", &served.child.id().to_string()]).status().expect("kill runs");
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = served.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "no graceful shutdown within 15 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    log.extend(served.rest_of_the_log());
    let log = log.join("\n");
    assert!(log.contains("request finished"), "requests are logged");
    let refused: Vec<&str> = log.lines().filter(|l| l.contains("access token refused")).collect();
    assert!(!refused.is_empty(), "the refusal is logged at debug level");
    for line in refused {
        assert!(line.contains("request_id"), "a line logged on a storage thread lacks the request id: {line}");
    }
    for secret in [PASSWORD, "a wrong secret", access.as_str(), refresh.as_str()] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
    assert!(!log.to_ascii_lowercase().contains("bearer "), "no Authorization header in the log");
}

/// Production with the default `log` transport starts (an operator may not need mail yet) but
/// says at start-up that nobody receives the links; outside production it says nothing.
#[test]
fn production_with_the_log_transport_warns_at_start_up() {
    let warning = "email.transport is log in production";
    let secret = "a production secret of more than thirty-two bytes";
    for (environment, warned) in [("production", true), ("test", false)] {
        let dir = std::env::temp_dir().join(format!("gatehouse-serve-{environment}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let served = Served::start(
            &dir,
            &[
                ("APP_ENV", OsStr::new(environment)),
                ("APP__AUTH__SECRET", OsStr::new(secret)),
                ("APP__AUTH__ENCRYPTION_KEY", OsStr::new(key)),
            ],
        );
        let said = served.early.iter().filter(|line| line.contains(warning)).collect::<Vec<_>>();
        assert_eq!(said.len(), usize::from(warned), "{environment}: {:#?}", served.early);
        assert!(said.iter().all(|line| line.contains(r#""level":"WARN""#)), "{said:?}");
        assert!(served.early.iter().all(|line| !line.contains(secret) && !line.contains(key)), "no key is ever logged");
        let health = http(served.port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(health.starts_with("HTTP/1.1 200"), "{environment}: {health}");
        drop(served);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
