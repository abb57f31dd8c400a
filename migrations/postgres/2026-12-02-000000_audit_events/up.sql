-- Security events. No foreign keys: an account's events outlive it (`user.deleted` must stay).
CREATE TABLE audit_events (
    id         VARCHAR(36) COLLATE "C" PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    kind       VARCHAR(40) COLLATE "C" NOT NULL,
    user_id    VARCHAR(36) COLLATE "C",
    actor_id   VARCHAR(36) COLLATE "C",
    session_id VARCHAR(36) COLLATE "C",
    ip         VARCHAR(45),
    user_agent VARCHAR(255),
    detail     TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_user_at ON audit_events (user_id, at, id);
