//! SMTP with TLS and a user and password, as `gatehouse serve` sends a registration's mail:
//! STARTTLS required (`smtp://user:pass@…?tls=required`) and implicit TLS (`smtps://`), each
//! against aiosmtpd (`tls_smtp_server.py`) with a self-signed certificate for 127.0.0.1 that the
//! server trusts through `SSL_CERT_FILE` (OpenSSL's own variable), refusing mail without AUTH.
//! Without python3 + aiosmtpd or the `openssl` command these tests say so and check nothing.

use crate::server_process::Served;
use std::ffi::OsStr;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SMTP_USER: &str = "gatehouse";
const SMTP_PASSWORD: &str = "smtp pa$$word";

/// Kills the process when the test ends, passed or not.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gatehouse-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A self-signed certificate for 127.0.0.1 and its key, made by the `openssl` command.
fn certificate(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("the openssl command is missing: the SMTP TLS test is skipped");
        return None;
    }
    Some((cert, key))
}

/// aiosmtpd with TLS and AUTH on `port`, keeping what it receives in `dir/mail`.
fn start_mail_server(dir: &Path, port: u16, implicit_tls: bool) -> Option<Killed> {
    if !Command::new("python3").args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success()) {
        eprintln!("aiosmtpd is not installed (pip install aiosmtpd): the SMTP TLS test is skipped");
        return None;
    }
    let (cert, key) = certificate(dir)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http/tls_smtp_server.py");
    let mut command = Command::new("python3");
    command.arg(script).args(["--port", &port.to_string(), "--user", SMTP_USER, "--password", SMTP_PASSWORD]);
    command.arg("--cert").arg(cert).arg("--key").arg(key).arg("--maildir").arg(dir.join("mail"));
    if implicit_tls {
        command.arg("--implicit");
    }
    let server = Killed(command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("the mail server starts"));
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(15), "the mail server did not listen within 15 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}

fn register(port: u16, email: &str) {
    let body = format!(r#"{{"email":"{email}","password":"correct horse battery","name":"Ada"}}"#);
    let response = crate::server_process::post_json(port, "/auth/register", &body);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
}

/// The first log line that `pred` accepts, within 20 s; every line read goes into `seen`.
fn await_line(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, pred: impl Fn(&str) -> bool) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = lines.recv_timeout(left) else { break };
        seen.push(line.clone());
        if pred(&line) {
            return Some(line);
        }
    }
    None
}

fn received(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("mail/new")) else { return Vec::new() };
    entries.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect()
}

/// A registration's verification mail goes out through `transport` (`{port}` and `{password}`
/// filled in) to a server with TLS and AUTH; returns what the server received and the log.
fn deliver_through(transport: &str, implicit_tls: bool) -> Option<(Vec<String>, Vec<String>)> {
    let (dir, smtp_port) = (fresh_dir(), free_port());
    let _mail_server = start_mail_server(&dir, smtp_port, implicit_tls)?;
    let transport = transport.replace("{port}", &smtp_port.to_string());
    let cert = dir.join("cert.pem");
    let served = Served::start(
        &dir,
        &[
            ("APP__EMAIL__TRANSPORT", OsStr::new(&transport)),
            ("APP__EMAIL__FROM", OsStr::new("Gatehouse <no-reply@gatehouse.test>")),
            ("APP__EMAIL__RETRY_AFTER_SECS", OsStr::new("0")),
            ("SSL_CERT_FILE", cert.as_os_str()),
        ],
    );
    register(served.port, "ada@example.com");
    let mut seen = Vec::new();
    await_line(&served.lines, &mut seen, |l| l.contains("outbox turn"));
    Some((received(&dir), seen))
}

#[test]
fn starttls_required_with_a_user_and_password_delivers_a_registrations_mail() {
    let transport = "smtp://gatehouse:smtp%20pa%24%24word@127.0.0.1:{port}?tls=required";
    let Some((mail, log)) = deliver_through(transport, false) else { return };
    assert_eq!(mail.len(), 1, "one message arrived over STARTTLS with AUTH; log:\n{}", log.join("\n"));
    assert!(mail[0].contains("Subject: Verify your email address"), "{}", mail[0]);
    assert!(log.iter().any(|l| l.contains(r#""sent":1"#)), "the sender logged the delivery:\n{}", log.join("\n"));
}

#[test]
fn implicit_tls_with_a_user_and_password_delivers_a_registrations_mail() {
    let transport = "smtps://gatehouse:smtp%20pa%24%24word@127.0.0.1:{port}";
    let Some((mail, log)) = deliver_through(transport, true) else { return };
    assert_eq!(mail.len(), 1, "one message arrived over implicit TLS with AUTH; log:\n{}", log.join("\n"));
    assert!(mail[0].contains("To: ada@example.com"), "{}", mail[0]);
}

#[test]
fn a_wrong_smtp_password_delivers_nothing_is_retried_and_never_logs_the_password() {
    let transport = "smtp://gatehouse:not%20the%20password@127.0.0.1:{port}?tls=required";
    let Some((mail, log)) = deliver_through(transport, false) else { return };
    assert!(mail.is_empty(), "nothing is delivered without the right password");
    let log = log.join("\n");
    assert!(log.contains(r#""retried":1"#), "the message waits for a retry:\n{log}");
    assert!(log.contains("the mail server did not take a message"), "the failure is logged:\n{log}");
    assert!(log.contains("535"), "with the server's reason, a refused login (so TLS itself worked):\n{log}");
    for secret in ["not the password", "not%20the%20password"] {
        assert!(!log.contains(secret), "the SMTP password reached the log:\n{log}");
    }
}
