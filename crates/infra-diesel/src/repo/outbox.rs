//! The outbox table: one row per message, its state, attempts and next attempt. The sender
//! that reads it holds the `outbox` job lease, so two instances never deliver one row.

use crate::connection::AnyConnection;
use crate::error::CorruptRow;
use crate::rows::{db_time, domain_time, parse};
use crate::schema::outbox;
use crate::store::DieselStore;
use crate::stored_time::StoredTime;
use diesel::prelude::*;
use domain::{Email, InfraError, MailState, Outbox, OutboxCounts, OutgoingMail, QueuedMail, Timestamp};
use uuid::Uuid;

/// The longest failure reason kept: the transport's message, cut to fit any backend.
const MAX_REASON_CHARS: usize = 500;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
struct OutboxRow {
    id: String,
    created_at: StoredTime,
    recipient: String,
    subject: String,
    text_body: String,
    html_body: String,
    state: String,
    attempts: i32,
    next_attempt_at: StoredTime,
    last_error: Option<String>,
    sent_at: Option<StoredTime>,
}

impl OutboxRow {
    fn new(mail: &OutgoingMail) -> Self {
        Self {
            id: mail.id.to_string(),
            created_at: db_time(mail.created_at),
            recipient: mail.to.as_str().to_owned(),
            subject: mail.subject.clone(),
            text_body: mail.text.clone(),
            html_body: mail.html.clone(),
            state: MailState::Pending.as_str().to_owned(),
            attempts: 0,
            next_attempt_at: db_time(mail.created_at),
            last_error: None,
            sent_at: None,
        }
    }

    fn into_queued(self) -> Result<QueuedMail, InfraError> {
        Ok(QueuedMail {
            mail: OutgoingMail {
                id: parse::<Uuid>("outbox.id", &self.id)?,
                created_at: domain_time(self.created_at),
                to: Email::from_stored(self.recipient).map_err(|e| CorruptRow::error("outbox.recipient", e))?,
                subject: self.subject,
                text: self.text_body,
                html: self.html_body,
            },
            attempts: u32::try_from(self.attempts).unwrap_or(0),
        })
    }
}

/// Queues `mail` on `c`, inside the transaction of the change that needs it.
pub(crate) fn queue_mail(c: &mut AnyConnection, mail: &[OutgoingMail]) -> QueryResult<()> {
    for message in mail {
        diesel::insert_into(outbox::table).values(OutboxRow::new(message)).execute(c)?;
    }
    Ok(())
}

impl Outbox for DieselStore {
    fn enqueue(&self, mail: &OutgoingMail) -> Result<(), InfraError> {
        self.run_write(|c| queue_mail(c, std::slice::from_ref(mail)))
    }

    fn due(&self, now: Timestamp, limit: u32) -> Result<Vec<QueuedMail>, InfraError> {
        let rows = self.run(|c| {
            crate::store::on_backend!(c, |c| outbox::table
                .filter(outbox::state.eq(MailState::Pending.as_str()))
                .filter(outbox::next_attempt_at.le(db_time(now)))
                .order((outbox::created_at.asc(), outbox::id.asc()))
                .limit(i64::from(limit))
                .select(OutboxRow::as_select())
                .load::<OutboxRow>(c))
        })?;
        rows.into_iter().map(OutboxRow::into_queued).collect()
    }

    fn mark_sent(&self, id: Uuid, now: Timestamp) -> Result<(), InfraError> {
        self.run_write(|c| {
            diesel::update(outbox::table.find(id.to_string()))
                .set((
                    outbox::state.eq(MailState::Sent.as_str()),
                    outbox::sent_at.eq(Some(db_time(now))),
                    // A delivered message's link is the recipient's now: the store keeps no copy.
                    outbox::text_body.eq(""),
                    outbox::html_body.eq(""),
                ))
                .execute(c)
        })?;
        Ok(())
    }

    fn mark_attempt_failed(&self, id: Uuid, attempts: u32, retry_at: Option<Timestamp>, reason: &str) -> Result<(), InfraError> {
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        let attempts = i32::try_from(attempts).unwrap_or(i32::MAX);
        self.run_write(|c| {
            let row = outbox::table.find(id.to_string());
            match retry_at {
                Some(at) => diesel::update(row)
                    .set((outbox::attempts.eq(attempts), outbox::next_attempt_at.eq(db_time(at)), outbox::last_error.eq(Some(&reason))))
                    .execute(c),
                None => diesel::update(row)
                    .set((
                        outbox::attempts.eq(attempts),
                        outbox::state.eq(MailState::Failed.as_str()),
                        outbox::last_error.eq(Some(&reason)),
                        outbox::text_body.eq(""),
                        outbox::html_body.eq(""),
                    ))
                    .execute(c),
            }
        })?;
        Ok(())
    }

    fn counts(&self) -> Result<OutboxCounts, InfraError> {
        let rows = self.run(|c| {
            crate::store::on_backend!(c, |c| outbox::table
                .group_by(outbox::state)
                .select((outbox::state, diesel::dsl::count_star()))
                .load::<(String, i64)>(c))
        })?;
        let mut counts = OutboxCounts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            match state.as_str() {
                "pending" => counts.pending = n,
                "sent" => counts.sent = n,
                "failed" => counts.failed = n,
                other => return Err(CorruptRow::error("outbox.state", other)),
            }
        }
        Ok(counts)
    }
}
