-- Personal access tokens, only as SHA-256 digests of their text (looked up by it on every use).
-- `last_used_at` moves at most once a minute; a revoked token keeps its row until the purge.
CREATE TABLE personal_access_tokens (
    id            VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id       VARCHAR(36) NOT NULL,
    digest        VARCHAR(64) NOT NULL,
    name          VARCHAR(100) NOT NULL,
    scopes        VARCHAR(255) NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    expires_at    DATETIME(6) NOT NULL,
    last_used_at  DATETIME(6) NULL,
    revoked_at    DATETIME(6) NULL,
    UNIQUE KEY personal_access_tokens_digest (digest),
    KEY personal_access_tokens_user_id (user_id),
    CONSTRAINT personal_access_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
