-- How each session signed in (RFC 8176 amr, space-separated); sessions before this signed in
-- by password.
ALTER TABLE sessions ADD COLUMN amr VARCHAR(64) NOT NULL DEFAULT 'pwd';

-- An account's TOTP factor: the secret sealed by an AEAD (never in plain text), the key that
-- sealed it, whether a code confirmed it, and the last time step whose code was accepted.
CREATE TABLE totp_factors (
    user_id               VARCHAR(36) NOT NULL PRIMARY KEY,
    key_id                VARCHAR(64) NOT NULL,
    secret                VARCHAR(255) NOT NULL,
    confirmed_at          DATETIME(6) NULL,
    enrolment_expires_at  DATETIME(6) NOT NULL,
    last_step             BIGINT NOT NULL,
    CONSTRAINT totp_factors_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Recovery codes, only as keyed hashes; `used_at` set once, by one conditional update.
CREATE TABLE recovery_codes (
    user_id  VARCHAR(36) NOT NULL,
    digest   VARCHAR(128) NOT NULL,
    used_at  DATETIME(6) NULL,
    PRIMARY KEY (user_id, digest),
    CONSTRAINT recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The challenge between a sign-in's two steps, by the digest of its mfa_token.
CREATE TABLE mfa_challenges (
    digest      VARCHAR(255) NOT NULL PRIMARY KEY,
    user_id     VARCHAR(36) NOT NULL,
    amr         VARCHAR(64) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    expires_at  DATETIME(6) NOT NULL,
    failures    INTEGER NOT NULL,
    KEY mfa_challenges_expires_at (expires_at),
    CONSTRAINT mfa_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
