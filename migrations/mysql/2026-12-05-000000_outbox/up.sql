-- The outbox: each message is written in the transaction of the change that needs it, then
-- delivered by one sender at a time, retried with backoff, and marked sent or failed. The
-- last failure's reason is the transport's words, never the message.
CREATE TABLE outbox (
    id              VARCHAR(36) NOT NULL PRIMARY KEY,
    created_at      DATETIME(6) NOT NULL,
    recipient       VARCHAR(254) NOT NULL,
    subject         VARCHAR(255) NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    state           VARCHAR(16) NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at DATETIME(6) NOT NULL,
    last_error      TEXT NULL,
    sent_at         DATETIME(6) NULL,
    KEY outbox_due (state, next_attempt_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
