-- The outbox: each message is written in the transaction of the change that needs it, then
-- delivered by one sender at a time, retried with backoff, and marked sent or failed. The
-- last failure's reason is the transport's words, never the message.
CREATE TABLE outbox (
    id              TEXT COLLATE "C" PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    sent_at         TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
