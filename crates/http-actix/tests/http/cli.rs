//! The `gatehouse` binary as an operator runs it: each command in a fresh working directory
//! with a hermetic environment.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gatehouse");

fn gatehouse(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command.args(args).current_dir(dir).env_clear().env("APP_ENV", "test").env("APP__LOG__LEVEL", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("the binary ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gatehouse-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn openapi_prints_the_document() {
    let dir = temp_dir("openapi");
    let out = gatehouse(&dir, &["openapi"], &[], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert!(doc["openapi"].as_str().unwrap_or_default().starts_with("3.1"));
    assert!(doc["paths"]["/auth/token"]["post"].is_object());
}

#[test]
fn migrate_applies_pending_migrations_once() {
    let dir = temp_dir("migrate");
    let env = [("DATABASE_URL", "sqlite://db/gatehouse.db")];
    let first = gatehouse(&dir, &["migrate"], &env, None);
    assert!(first.status.success(), "{}", text(&first.stderr));
    // Every migration of the SQLite dialect, once.
    let migrations = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite")).unwrap().count();
    assert_eq!(text(&first.stdout).trim(), format!("{migrations} migration(s) applied"));
    assert!(dir.join("db/gatehouse.db").exists(), "the folder is created");
    let second = gatehouse(&dir, &["migrate"], &env, None);
    assert_eq!(text(&second.stdout).trim(), "0 migration(s) applied");
}

#[test]
fn create_admin_reads_the_password_from_stdin_and_promotes_an_existing_account() {
    let dir = temp_dir("admin");
    let env = [("DATABASE_URL", "sqlite://gatehouse.db"), ("APP__AUTH__BCRYPT_COST", "4")];
    let args = ["create-admin", "--email", "Root@Example.com", "--name", "Root"];
    let created = gatehouse(&dir, &args, &env, Some("a long admin password\n"));
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).starts_with("admin root@example.com created"), "{}", text(&created.stdout));
    let promoted = gatehouse(&dir, &args, &env, Some("another long password\n"));
    assert!(promoted.status.success(), "{}", text(&promoted.stderr));
    assert!(text(&promoted.stdout).contains("now an active admin"), "{}", text(&promoted.stdout));
    let from_env = gatehouse(&dir, &args, &[env[0], env[1], ("GATEHOUSE_ADMIN_PASSWORD", "third long password")], None);
    assert!(from_env.status.success(), "{}", text(&from_env.stderr));
    let everything = format!("{}{}{}", text(&created.stderr), text(&promoted.stderr), text(&from_env.stderr));
    assert!(!everything.contains("long password"), "no password in the output");
}

#[test]
fn create_admin_refuses_a_password_the_policy_refuses() {
    let dir = temp_dir("weak");
    let env = [("DATABASE_URL", "sqlite://gatehouse.db")];
    let out = gatehouse(&dir, &["create-admin", "--email", "a@example.com", "--name", "A"], &env, Some("short\n"));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("at least 8 characters"), "{}", text(&out.stderr));
}

#[test]
fn an_unreachable_database_stops_start_up_naming_the_url_without_its_password() {
    let dir = temp_dir("unreachable");
    let started = Instant::now();
    let out = gatehouse(&dir, &["serve"], &[("DATABASE_URL", "postgres://gatehouse:topsecret@127.0.0.1:1/db")], None);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("127.0.0.1:1") && !stderr.contains("topsecret"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "fails fast, not after a pool timeout");
}

#[test]
fn production_refuses_to_start_without_a_strong_secret() {
    let dir = temp_dir("production");
    let out = gatehouse(&dir, &["serve"], &[("APP_ENV", "production"), ("SECRET_KEY", "too-short")], None);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("32 bytes") && !stderr.contains("too-short"), "{stderr}");
}

#[test]
fn openapi_into_a_closed_pipe_ends_quietly_and_writes_no_secret() {
    let dir = temp_dir("openapi-pipe");
    let mut child = Command::new(BIN)
        .arg("openapi")
        .current_dir(&dir)
        .env_clear()
        .env("APP_ENV", "development")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Read a little, then close the pipe as `| head` does.
    let mut first = [0_u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().expect("stdout"), &mut first).expect("some output");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("the binary ends");

    assert!(out.status.success(), "exit {:?}: {}", out.status, text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    assert!(!dir.join("data").exists(), "printing the document needs no secret");
}

#[test]
fn three_instances_migrating_a_fresh_postgres_database_at_once_all_start_and_migrate_once() {
    let Some(db) = infra_diesel::testing::TestDatabase::from_env_postgres_unmigrated() else { return };
    let dir = temp_dir("migrate-race");
    let instances: Vec<_> = (0..3)
        .map(|_| {
            Command::new(BIN)
                .arg("migrate")
                .current_dir(&dir)
                .env_clear()
                .env("APP_ENV", "test")
                .env("APP__LOG__LEVEL", "warn")
                .env("DATABASE_URL", db.url())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    let outputs: Vec<Output> = instances.into_iter().map(|i| i.wait_with_output().expect("the binary ends")).collect();

    for out in &outputs {
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let mut applied: Vec<String> = outputs.iter().map(|o| text(&o.stdout).trim().to_owned()).collect();
    applied.sort();
    let migrations = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/postgres")).unwrap().count();
    assert_eq!(
        applied,
        ["0 migration(s) applied".to_owned(), "0 migration(s) applied".to_owned(), format!("{migrations} migration(s) applied")]
    );
}
