-- Security events. No foreign keys: an account's events outlive it (`user.deleted` must stay).
CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY NOT NULL,
    at         TIMESTAMP NOT NULL,
    kind       TEXT NOT NULL,
    user_id    TEXT,
    actor_id   TEXT,
    session_id TEXT,
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_user_at ON audit_events (user_id, at, id);
