-- How each session signed in (RFC 8176 amr, space-separated); sessions before this signed in
-- by password.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

-- An account's TOTP factor: the secret sealed by an AEAD (never in plain text), the key that
-- sealed it, whether a code confirmed it, and the last time step whose code was accepted.
CREATE TABLE totp_factors (
    user_id               TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    key_id                TEXT NOT NULL,
    secret                TEXT NOT NULL,
    confirmed_at          TIMESTAMP,
    enrolment_expires_at  TIMESTAMP NOT NULL,
    last_step             BIGINT NOT NULL
);

-- Recovery codes, only as keyed hashes; `used_at` set once, by one conditional update.
CREATE TABLE recovery_codes (
    user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest   TEXT COLLATE "C" NOT NULL,
    used_at  TIMESTAMP,
    PRIMARY KEY (user_id, digest)
);

-- The challenge between a sign-in's two steps, by the digest of its mfa_token.
CREATE TABLE mfa_challenges (
    digest      TEXT COLLATE "C" PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amr         TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    failures    INTEGER NOT NULL
);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);
CREATE INDEX mfa_challenges_user_id ON mfa_challenges (user_id);
