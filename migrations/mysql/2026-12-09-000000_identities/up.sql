-- Provider identities linked to accounts: the pair (issuer, sub), never an email.
CREATE TABLE identities (
    id               VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id          VARCHAR(36) NOT NULL,
    provider         VARCHAR(32) NOT NULL,
    issuer           VARCHAR(255) NOT NULL,
    subject          VARCHAR(255) NOT NULL,
    email            VARCHAR(254) NULL,
    linked_at        DATETIME(6) NOT NULL,
    last_sign_in_at  DATETIME(6) NULL,
    UNIQUE KEY identities_issuer_subject (issuer, subject),
    KEY identities_user_id (user_id),
    CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- Sign-ins waiting for the provider, under the SHA-256 of their `state`; taken (deleted) once.
CREATE TABLE oidc_flows (
    digest         VARCHAR(64) NOT NULL PRIMARY KEY,
    provider       VARCHAR(32) NOT NULL,
    user_id        VARCHAR(36) NULL,
    app_challenge  VARCHAR(43) NULL,
    redirect_uri   TEXT NOT NULL,
    nonce          VARCHAR(255) NOT NULL,
    pkce_verifier  VARCHAR(128) NOT NULL,
    expires_at     DATETIME(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- Apps' one-time codes, under their SHA-256; taken (deleted) by the first redemption.
CREATE TABLE oidc_codes (
    digest         VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id        VARCHAR(36) NOT NULL,
    provider       VARCHAR(32) NOT NULL,
    redirect_uri   TEXT NOT NULL,
    app_challenge  VARCHAR(43) NOT NULL,
    expires_at     DATETIME(6) NOT NULL,
    CONSTRAINT oidc_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
