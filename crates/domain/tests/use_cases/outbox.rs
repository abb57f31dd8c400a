use crate::support::World;
use chrono::Duration;
use domain::{Clock, Email, OutboxCounts, OutgoingMail, SenderRun};

fn mail(w: &World, n: u128) -> OutgoingMail {
    OutgoingMail {
        id: uuid::Uuid::from_u128(n),
        created_at: w.mem.clock.now(),
        to: Email::parse(&format!("u{n}@example.com")).unwrap(),
        subject: format!("message {n}"),
        text: "text".into(),
        html: "<p>html</p>".into(),
    }
}

fn enqueue(w: &World, n: u128) {
    domain::Outbox::enqueue(&*w.mem.outbox, &mail(w, n)).unwrap();
}

fn counts(w: &World) -> OutboxCounts {
    domain::Outbox::counts(&*w.mem.outbox).unwrap()
}

#[test]
fn due_messages_are_delivered_once_and_marked_sent() {
    let w = World::new();
    enqueue(&w, 1);
    enqueue(&w, 2);
    assert_eq!(w.app.outbox.deliver_due("a", Duration::seconds(10)).unwrap(), SenderRun::Delivered { sent: 2, retried: 0, failed: 0 });
    assert_eq!(w.app.outbox.deliver_due("a", Duration::seconds(10)).unwrap(), SenderRun::Delivered { sent: 0, retried: 0, failed: 0 });
    let subjects: Vec<_> = w.mem.mailer.delivered().into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, ["message 1", "message 2"], "oldest first, each once");
    assert_eq!(counts(&w), OutboxCounts { pending: 0, sent: 2, failed: 0 });
}

#[test]
fn with_the_server_down_nothing_is_lost_and_retries_back_off_until_the_last() {
    let w = World::new();
    enqueue(&w, 1);
    w.mem.mailer.set_down(true);
    assert_eq!(w.app.outbox.deliver_due("a", Duration::seconds(10)).unwrap(), SenderRun::Delivered { sent: 0, retried: 1, failed: 0 });
    assert_eq!(w.mem.outbox.last_error(uuid::Uuid::from_u128(1)).as_deref(), Some("connection refused"));
    // Not due again before the backoff (30 s after the first failure).
    w.mem.clock.advance(Duration::seconds(29));
    assert_eq!(w.app.outbox.deliver_due("a", Duration::seconds(10)).unwrap(), SenderRun::Delivered { sent: 0, retried: 0, failed: 0 });
    // The server comes back: the message goes out.
    w.mem.mailer.set_down(false);
    w.mem.clock.advance(Duration::seconds(1));
    assert_eq!(w.app.outbox.deliver_due("a", Duration::seconds(10)).unwrap(), SenderRun::Delivered { sent: 1, retried: 0, failed: 0 });

    // A server that stays down: eight attempts, then the message is failed.
    enqueue(&w, 2);
    w.mem.mailer.set_down(true);
    let mut attempts = 0;
    for _ in 0..20 {
        if let SenderRun::Delivered { retried, failed, .. } = w.app.outbox.deliver_due("a", Duration::seconds(10)).unwrap() {
            attempts += retried + failed;
        }
        w.mem.clock.advance(Duration::hours(1));
    }
    assert_eq!(attempts, 8, "bounded retries");
    assert_eq!(counts(&w), OutboxCounts { pending: 0, sent: 1, failed: 1 });
}

#[test]
fn only_the_lease_holder_sends() {
    let w = World::new();
    enqueue(&w, 1);
    assert!(matches!(w.app.outbox.deliver_due("a", Duration::seconds(10)).unwrap(), SenderRun::Delivered { .. }));
    enqueue(&w, 2);
    assert_eq!(w.app.outbox.deliver_due("b", Duration::seconds(10)).unwrap(), SenderRun::HeldElsewhere);
    assert_eq!(w.mem.mailer.delivered().len(), 1, "the other instance sent nothing");
}
