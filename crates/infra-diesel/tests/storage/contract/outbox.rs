use crate::contract::support::{t, uuid};
use domain::{Email, Outbox, OutboxCounts, OutgoingMail};

fn mail(n: u128, created: domain::Timestamp) -> OutgoingMail {
    OutgoingMail {
        id: uuid(6_000 + n),
        created_at: created,
        to: Email::parse(&format!("u{n}@example.com")).unwrap(),
        subject: format!("Verify your address {n}"),
        text: format!("Open http://127.0.0.1/account/verify?token=t{n}\n"),
        html: format!("<p><a href=\"http://127.0.0.1/account/verify?token=t{n}\">Verify</a></p>"),
    }
}

fn a_queued_message_reads_back_whole_when_due_oldest_first(outbox: &impl Outbox) {
    outbox.enqueue(&mail(2, t(5))).unwrap();
    outbox.enqueue(&mail(1, t(1))).unwrap();
    outbox.enqueue(&mail(3, t(60))).unwrap();
    let due = outbox.due(t(10), 10).unwrap();
    assert_eq!(due.iter().map(|q| q.mail.clone()).collect::<Vec<_>>(), vec![mail(1, t(1)), mail(2, t(5))], "not the one queued later");
    assert!(due.iter().all(|q| q.attempts == 0));
    assert_eq!(outbox.due(t(10), 1).unwrap().len(), 1, "the limit holds");
    assert_eq!(outbox.counts().unwrap(), OutboxCounts { pending: 3, sent: 0, failed: 0 });
}

fn sent_retried_and_failed_messages_leave_the_due_list_as_they_should(outbox: &impl Outbox) {
    for n in 1..=3 {
        outbox.enqueue(&mail(n, t(0))).unwrap();
    }
    outbox.mark_sent(uuid(6_001), t(1)).unwrap();
    outbox.mark_attempt_failed(uuid(6_002), 1, Some(t(30)), "connection refused").unwrap();
    outbox.mark_attempt_failed(uuid(6_003), 8, None, &"x".repeat(2_000)).unwrap();
    assert!(outbox.due(t(29), 10).unwrap().is_empty(), "the retry waits for its time");
    let retried = outbox.due(t(30), 10).unwrap();
    assert_eq!((retried.len(), retried[0].mail.id, retried[0].attempts), (1, uuid(6_002), 1));
    assert_eq!(outbox.counts().unwrap(), OutboxCounts { pending: 1, sent: 1, failed: 1 });
}

per_backend!(infra_diesel::Database::store;
    a_queued_message_reads_back_whole_when_due_oldest_first,
    sent_retried_and_failed_messages_leave_the_due_list_as_they_should,
);

mod memory {
    #[test]
    fn a_queued_message_reads_back_whole_when_due_oldest_first() {
        super::a_queued_message_reads_back_whole_when_due_oldest_first(&domain::memory::MemoryOutbox::default());
    }

    #[test]
    fn sent_retried_and_failed_messages_leave_the_due_list_as_they_should() {
        super::sent_retried_and_failed_messages_leave_the_due_list_as_they_should(&domain::memory::MemoryOutbox::default());
    }
}
