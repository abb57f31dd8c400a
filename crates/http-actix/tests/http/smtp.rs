//! The outbox delivered through a real SMTP server: aiosmtpd (from PyPI, which `.ci/run`
//! installs) started by the test on a free port, its Maildir read back. Without `python3 -m
//! aiosmtpd` these tests say so and pass without checking anything, like the PostgreSQL runs.

use domain::{Email, Outbox, OutboxCounts, OutgoingMail, SenderRun};
use http_actix::compose;
use http_actix::config::Settings;
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
    let transport = format!("smtp://127.0.0.1:{port}");
    let settings = Settings::defaults_with(
        "test",
        &[
            ("database.url", db.url()),
            ("auth.secret", "test-secret-of-at-least-thirty-two-bytes!"),
            ("auth.bcrypt_cost", "4"),
            ("email.transport", &transport),
            ("email.from", "Gatehouse <no-reply@gatehouse.test>"),
            ("email.retry_after_secs", "0"),
            ("email.max_attempts", max_attempts),
        ],
    )
    .unwrap();
    compose::gatehouse(&settings, db.database()).expect("wiring").0
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

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gatehouse-smtp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
