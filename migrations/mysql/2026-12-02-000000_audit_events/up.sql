-- Security events. No foreign keys: an account's events outlive it (`user.deleted` must stay).
CREATE TABLE audit_events (
    id         VARCHAR(36) NOT NULL PRIMARY KEY,
    at         DATETIME(6) NOT NULL,
    kind       VARCHAR(40) NOT NULL,
    user_id    VARCHAR(36) NULL,
    actor_id   VARCHAR(36) NULL,
    session_id VARCHAR(36) NULL,
    ip         VARCHAR(45) NULL,
    user_agent VARCHAR(255) NULL,
    detail     TEXT NOT NULL,
    KEY audit_events_at (at, id),
    KEY audit_events_user_at (user_id, at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
