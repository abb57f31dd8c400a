-- Emailed links (verification, reset, email change), stored only as the digest of their
-- token. A used link is deleted; a newer one of the same purpose replaces the older.
CREATE TABLE email_links (
    digest     TEXT COLLATE "C" PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX email_links_user_purpose ON email_links (user_id, purpose);
CREATE INDEX email_links_expires_at ON email_links (expires_at);
