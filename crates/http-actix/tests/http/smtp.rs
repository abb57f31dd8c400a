//! The outbox delivered through a real SMTP server: aiosmtpd (from PyPI, which `.ci/run`
//! installs) started by the test on a free port, its Maildir read back. Without `python3 -m
//! aiosmtpd` these tests say so and pass without checking anything, like the PostgreSQL runs.
//! The emailed flows run end to end here too: the link is read out of the delivered message.

use domain::{
    CandidatePassword, Client, Email, LinkError, Outbox, OutboxCounts, OutgoingMail, Password, RefreshError, Registration, SenderRun,
    UserName, UserRepository,
};
use http_actix::app::compose;
use http_actix::app::config::Settings;
use infra_diesel::testing::TestDatabase;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// aiosmtpd on 127.0.0.1:`port`, keeping what it receives in a Maildir.
struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    fn start(port: u16, maildir: PathBuf) -> Option<Self> {
        let available = Command::new("python3").args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        if !available {
            eprintln!("aiosmtpd is not installed (pip install aiosmtpd): the SMTP test is skipped");
            return None;
        }
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "aiosmtpd did not listen within 10 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child, maildir })
    }

    /// Every message received, as its raw text.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else { return Vec::new() };
        entries.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn mail(n: u128) -> OutgoingMail {
    OutgoingMail {
        id: uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n),
        created_at: chrono::Utc::now(),
        to: Email::parse(&format!("ada{n}@example.com")).unwrap(),
        subject: format!("Reset your Gatehouse password ({n})"),
        text: format!("Open http://127.0.0.1:8080/account/reset?token=t{n} to choose a new password.\n"),
        html: format!("<p><a href=\"http://127.0.0.1:8080/account/reset?token=t{n}\">Choose a new password</a></p>"),
    }
}

/// PostgreSQL when `TEST_POSTGRES_URL` is set, else SQLite.
fn fresh_database() -> TestDatabase {
    TestDatabase::from_env_postgres().unwrap_or_else(TestDatabase::sqlite)
}

/// The use cases on `db`, sending through `smtp://127.0.0.1:port`.
fn gatehouse(db: &TestDatabase, port: u16, max_attempts: &str) -> domain::Gatehouse {
    wire(db, port, &[("email.max_attempts", max_attempts)]).expect("wiring")
}

/// The use cases on `db`, sending through `smtp://127.0.0.1:port`, with `extra` settings.
fn wire(db: &TestDatabase, port: u16, extra: &[(&str, &str)]) -> Result<domain::Gatehouse, compose::StartupError> {
    let transport = format!("smtp://127.0.0.1:{port}");
    let mut pairs = vec![
        ("database.url", db.url()),
        ("auth.secret", "test-secret-of-at-least-thirty-two-bytes!"),
        ("auth.bcrypt_cost", "4"),
        ("email.transport", &transport),
        ("email.from", "Gatehouse <no-reply@gatehouse.test>"),
        ("email.retry_after_secs", "0"),
    ];
    pairs.extend_from_slice(extra);
    let settings = Settings::defaults_with("test", &pairs).unwrap();
    Ok(compose::gatehouse(&settings, db.database())?.0)
}

#[test]
fn a_queued_message_arrives_with_both_parts_and_its_headers() {
    let (port, dir) = (free_port(), tempdir());
    let Some(server) = SmtpServer::start(port, dir.join("mail")) else { return };
    let db = fresh_database();
    let app = gatehouse(&db, port, "8");
    db.database().store().enqueue(&mail(1)).unwrap();

    assert_eq!(
        app.outbox.deliver_due("test", chrono::Duration::seconds(60)).unwrap(),
        SenderRun::Delivered { sent: 1, retried: 0, failed: 0 }
    );
    let received = server.messages();
    assert_eq!(received.len(), 1, "one message, once");
    let message = &received[0];
    for expected in
        ["Subject: Reset your Gatehouse password (1)", "To: ada1@example.com", "no-reply@gatehouse.test", "text/plain", "text/html"]
    {
        assert!(message.contains(expected), "{expected} missing in:\n{message}");
    }
    assert!(message.contains("account/reset?token=t1"), "the link is in the message");
    assert_eq!(
        app.outbox.deliver_due("test", chrono::Duration::seconds(60)).unwrap(),
        SenderRun::Delivered { sent: 0, retried: 0, failed: 0 }
    );
    assert_eq!(server.messages().len(), 1, "nothing is sent twice");
}

#[test]
fn with_the_server_down_the_message_waits_and_goes_out_when_it_is_back_and_retries_are_bounded() {
    let (port, dir) = (free_port(), tempdir());
    let db = TestDatabase::sqlite();
    let app = gatehouse(&db, port, "3");
    let store = db.database().store();
    store.enqueue(&mail(1)).unwrap();
    // Nothing listens yet.
    assert_eq!(
        app.outbox.deliver_due("test", chrono::Duration::seconds(60)).unwrap(),
        SenderRun::Delivered { sent: 0, retried: 1, failed: 0 }
    );
    let Some(server) = SmtpServer::start(port, dir.join("mail")) else { return };
    assert_eq!(
        app.outbox.deliver_due("test", chrono::Duration::seconds(60)).unwrap(),
        SenderRun::Delivered { sent: 1, retried: 0, failed: 0 }
    );
    assert_eq!(server.messages().len(), 1, "the mail arrived once the server was back");
    drop(server);

    // Down for good: three attempts, then the message is failed and left alone.
    store.enqueue(&mail(2)).unwrap();
    let runs: Vec<_> = (0..4).map(|_| app.outbox.deliver_due("test", chrono::Duration::seconds(60)).unwrap()).collect();
    assert_eq!(
        runs,
        [
            SenderRun::Delivered { sent: 0, retried: 1, failed: 0 },
            SenderRun::Delivered { sent: 0, retried: 1, failed: 0 },
            SenderRun::Delivered { sent: 0, retried: 0, failed: 1 },
            SenderRun::Delivered { sent: 0, retried: 0, failed: 0 },
        ]
    );
    assert_eq!(store.counts().unwrap(), OutboxCounts { pending: 0, sent: 1, failed: 1 });
}

#[test]
fn two_instances_sending_at_once_deliver_each_message_once() {
    let (port, dir) = (free_port(), tempdir());
    let Some(server) = SmtpServer::start(port, dir.join("mail")) else { return };
    let db = fresh_database();
    let instances = [gatehouse(&db, port, "8"), gatehouse(&db, port, "8")];
    let store = db.database().store();
    let mut expected = 0;
    for round in 0..5u128 {
        for n in 0..4 {
            store.enqueue(&mail(round * 10 + n)).unwrap();
        }
        expected += 4;
        let start = std::sync::Barrier::new(2);
        let runs: Vec<SenderRun> = std::thread::scope(|scope| {
            let senders: Vec<_> = instances
                .iter()
                .enumerate()
                .map(|(i, app)| {
                    let start = &start;
                    scope.spawn(move || {
                        start.wait();
                        app.outbox.deliver_due(&format!("instance-{i}"), chrono::Duration::seconds(60)).unwrap()
                    })
                })
                .collect();
            senders.into_iter().map(|s| s.join().unwrap()).collect()
        });
        let sent: u32 = runs.iter().map(|r| if let SenderRun::Delivered { sent, .. } = r { *sent } else { 0 }).sum();
        assert_eq!(sent, 4, "round {round}: {runs:?}");
        assert!(runs.contains(&SenderRun::HeldElsewhere), "round {round}: one instance held the lease: {runs:?}");
        let received = server.messages();
        assert_eq!(received.len(), expected, "round {round}: each message once");
    }
}

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new password";

/// The messages `server` received for `to`, each decoded from quoted-printable (lettre's choice
/// for long lines): soft line breaks joined, `=XX` escapes undone.
fn delivered_to(server: &SmtpServer, to: &str) -> Vec<String> {
    server.messages().into_iter().filter(|m| m.lines().any(|l| l == format!("To: {to}"))).map(|m| undo_quoted_printable(&m)).collect()
}

fn undo_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
            .flatten();
        match escape {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token of the `/account/{page}` link in `message`.
fn link_token(message: &str, page: &str) -> String {
    let marker = format!("/account/{page}?token=");
    let start = message.find(&marker).unwrap_or_else(|| panic!("no {marker} link in:\n{message}")) + marker.len();
    message[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect()
}

fn deliver(app: &domain::Gatehouse) -> SenderRun {
    app.outbox.deliver_due("test", chrono::Duration::seconds(60)).unwrap()
}

fn register(app: &domain::Gatehouse, email: &str) -> domain::User {
    let registration = Registration {
        email: Email::parse(email).unwrap(),
        password: Password::new(PASSWORD, 72).unwrap(),
        name: UserName::parse("Ada").unwrap(),
    };
    app.auth.register(registration, &Client::default()).expect("registered")
}

#[test]
fn a_registration_mails_a_link_that_verifies_the_address_once() {
    let (port, dir) = (free_port(), tempdir());
    let Some(server) = SmtpServer::start(port, dir.join("mail")) else { return };
    let db = fresh_database();
    let app = gatehouse(&db, port, "8");
    let user = register(&app, "ada@example.com");
    assert!(!user.email_verified);
    assert_eq!(deliver(&app), SenderRun::Delivered { sent: 1, retried: 0, failed: 0 });

    let mail = delivered_to(&server, "ada@example.com");
    assert_eq!(mail.len(), 1, "one verification message");
    assert!(mail[0].contains("Subject: Verify your email address"), "{}", mail[0]);
    let token = link_token(&mail[0], "verify");
    assert!(token.starts_with("gatehouse_lt_"), "{token}");
    app.links.verify_email(&token, &Client::default()).expect("the mailed link verifies");
    assert!(db.database().store().find(user.id).unwrap().unwrap().email_verified);
    assert!(matches!(app.links.verify_email(&token, &Client::default()), Err(LinkError::InvalidToken)), "a used link is refused");
}

#[test]
fn a_mailed_reset_link_sets_the_password_ends_the_old_sessions_and_works_once() {
    let (port, dir) = (free_port(), tempdir());
    let Some(server) = SmtpServer::start(port, dir.join("mail")) else { return };
    let db = fresh_database();
    let app = gatehouse(&db, port, "8");
    register(&app, "ada@example.com");
    let session = match app.auth.login("ada@example.com", &CandidatePassword::new(PASSWORD), &Client::default()).expect("login") {
        domain::SignInOutcome::Complete(pair) => pair,
        domain::SignInOutcome::SecondStep(_) => panic!("no second factor is on"),
    };

    let to = Email::parse("ada@example.com").unwrap();
    app.links.complete(app.links.request_password_reset(&to, &Client::default()).unwrap()).unwrap();
    assert_eq!(deliver(&app), SenderRun::Delivered { sent: 2, retried: 0, failed: 0 }, "verification and reset");
    let reset: Vec<_> = delivered_to(&server, "ada@example.com").into_iter().filter(|m| m.contains("/account/reset?token=")).collect();
    assert_eq!(reset.len(), 1, "one reset message");
    let token = link_token(&reset[0], "reset");

    let new = Password::new(NEW_PASSWORD, 72).unwrap();
    app.links.reset_password(&token, &new, &Client::default()).expect("the mailed link resets");
    assert!(
        matches!(app.auth.refresh(session.refresh_token.expose(), &Client::default()), Err(RefreshError::InvalidToken)),
        "the session from before the reset is dead"
    );
    app.auth.login("ada@example.com", &CandidatePassword::new(NEW_PASSWORD), &Client::default()).expect("the new password works");
    assert!(app.auth.login("ada@example.com", &CandidatePassword::new(PASSWORD), &Client::default()).is_err(), "the old one does not");
    assert!(matches!(app.links.reset_password(&token, &new, &Client::default()), Err(LinkError::InvalidToken)), "a used link is refused");
}

#[test]
fn a_reset_requested_while_the_mail_server_is_down_arrives_when_it_is_back() {
    let (port, dir) = (free_port(), tempdir());
    let db = fresh_database();
    let app = gatehouse(&db, port, "8");
    register(&app, "ada@example.com");
    let to = Email::parse("ada@example.com").unwrap();
    app.links.complete(app.links.request_password_reset(&to, &Client::default()).unwrap()).unwrap();
    // Nothing listens: both messages (verification and reset) wait.
    assert_eq!(deliver(&app), SenderRun::Delivered { sent: 0, retried: 2, failed: 0 });

    let Some(server) = SmtpServer::start(port, dir.join("mail")) else { return };
    assert_eq!(deliver(&app), SenderRun::Delivered { sent: 2, retried: 0, failed: 0 });
    let reset: Vec<_> = delivered_to(&server, "ada@example.com").into_iter().filter(|m| m.contains("/account/reset?token=")).collect();
    assert_eq!(reset.len(), 1, "the reset message arrived once the server was back");
    let token = link_token(&reset[0], "reset");
    app.links.reset_password(&token, &Password::new(NEW_PASSWORD, 72).unwrap(), &Client::default()).expect("and its link works");
}

#[test]
fn template_files_replace_the_parts_they_name_and_the_link_still_works() {
    let (port, dir) = (free_port(), tempdir());
    let Some(server) = SmtpServer::start(port, dir.join("mail")) else { return };
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("reset.subject.txt"), "Acme: choose a new password\n").unwrap();
    std::fs::write(templates.join("reset.txt"), "Hello from Acme. Open {{link}} within {{lifetime}}.\n").unwrap();
    std::fs::write(templates.join(".reset.txt.swp"), "an editor's file, not a template").unwrap();
    let db = fresh_database();
    let app = wire(&db, port, &[("email.templates_dir", templates.to_str().unwrap())]).expect("wiring");
    register(&app, "ada@example.com");
    let to = Email::parse("ada@example.com").unwrap();
    app.links.complete(app.links.request_password_reset(&to, &Client::default()).unwrap()).unwrap();
    assert_eq!(deliver(&app), SenderRun::Delivered { sent: 2, retried: 0, failed: 0 });

    let mail = delivered_to(&server, "ada@example.com");
    let reset = mail.iter().find(|m| m.contains("Subject: Acme: choose a new password")).expect("the templated subject");
    assert!(reset.contains("Hello from Acme. Open http://"), "the templated text part:\n{reset}");
    assert!(reset.contains("within 1 hour."), "{reset}");
    assert!(reset.contains("<a href="), "the HTML part keeps the standard wording:\n{reset}");
    assert!(mail.iter().any(|m| m.contains("Subject: Verify your email address")), "the verification has no template");
    let token = link_token(reset, "reset");
    app.links.reset_password(&token, &Password::new(NEW_PASSWORD, 72).unwrap(), &Client::default()).expect("its link works");

    // A file that would send a reset without its link stops the start, naming the file.
    std::fs::write(templates.join("reset.html"), "<p>Forgot your password?</p>").unwrap();
    let error = wire(&db, port, &[("email.templates_dir", templates.to_str().unwrap())]).unwrap_err().to_string();
    assert!(error.contains("email.templates_dir") && error.contains("reset.html: has no {{link}}"), "{error}");
    let missing = dir.join("no-such-folder");
    let error = wire(&db, port, &[("email.templates_dir", missing.to_str().unwrap())]).unwrap_err().to_string();
    assert!(error.contains("no-such-folder"), "{error}");
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gatehouse-smtp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
