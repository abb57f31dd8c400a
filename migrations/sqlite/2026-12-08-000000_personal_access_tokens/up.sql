-- Personal access tokens, only as SHA-256 digests of their text (looked up by it on every use).
-- `last_used_at` moves at most once a minute; a revoked token keeps its row until the purge.
CREATE TABLE personal_access_tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest        TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    revoked_at    TIMESTAMP
);
CREATE INDEX personal_access_tokens_user_id ON personal_access_tokens (user_id);
