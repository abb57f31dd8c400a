-- Provider identities linked to accounts: the pair (issuer, sub), never an email.
CREATE TABLE identities (
    id               TEXT PRIMARY KEY NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider         TEXT NOT NULL,
    issuer           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    email            TEXT,
    linked_at        TIMESTAMP NOT NULL,
    last_sign_in_at  TIMESTAMP,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user_id ON identities (user_id);
-- Sign-ins waiting for the provider, under the SHA-256 of their `state`; taken (deleted) once.
CREATE TABLE oidc_flows (
    digest         TEXT PRIMARY KEY NOT NULL,
    provider       TEXT NOT NULL,
    user_id        TEXT,
    app_challenge  TEXT,
    redirect_uri   TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);
-- Apps' one-time codes, under their SHA-256; taken (deleted) by the first redemption.
CREATE TABLE oidc_codes (
    digest         TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    app_challenge  TEXT NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);
