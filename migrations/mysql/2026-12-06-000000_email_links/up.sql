-- Emailed links (verification, reset, email change), stored only as the digest of their
-- token. A used link is deleted; a newer one of the same purpose replaces the older.
CREATE TABLE email_links (
    digest     VARCHAR(255) NOT NULL PRIMARY KEY,
    user_id    VARCHAR(36) NOT NULL,
    purpose    VARCHAR(16) NOT NULL,
    email      VARCHAR(254) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    KEY email_links_user_purpose (user_id, purpose),
    KEY email_links_expires_at (expires_at),
    CONSTRAINT email_links_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
