-- Passkeys (WebAuthn credentials). `credential_id` is the base64url id the authenticator returns
-- on a sign-in, unique across accounts: ASCII with a binary collation (base64url is
-- case-sensitive), so the longest id WebAuthn allows (1023 bytes, 1364 characters) fits in the
-- unique index (3072 bytes; 1364 utf8mb4 characters would not). `credential` is the verifying
-- adapter's opaque stored form; `counter` a u32 signature counter; `transports` a JSON array of
-- strings.
CREATE TABLE passkeys (
    id             VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id        VARCHAR(36) NOT NULL,
    credential_id  VARCHAR(1364) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name           VARCHAR(100) NOT NULL,
    credential     MEDIUMTEXT NOT NULL,
    counter        BIGINT NOT NULL CHECK (counter BETWEEN 0 AND 4294967295),
    backed_up      BOOLEAN NOT NULL,
    transports     TEXT NOT NULL,
    created_at     DATETIME(6) NOT NULL,
    last_used_at   DATETIME(6) NULL,
    UNIQUE KEY passkeys_credential_id (credential_id),
    KEY passkeys_user_id (user_id),
    CONSTRAINT passkeys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
-- Ceremonies waiting for the authenticator's answer; taken (deleted) by the first answer.
-- `user_id` is the account a registration or a second step is for, none for a discoverable
-- sign-in. `state`, like `passkeys.credential`, is MEDIUMTEXT: both are the adapter's opaque
-- serialisations, whose size this schema does not control (a registration's state lists every
-- credential of the account to exclude), and TEXT stops at 64 KiB.
CREATE TABLE passkey_challenges (
    id          VARCHAR(36) NOT NULL PRIMARY KEY,
    purpose     VARCHAR(16) NOT NULL CHECK (purpose IN ('register', 'sign_in', 'second_step')),
    user_id     VARCHAR(36) NULL,
    state       MEDIUMTEXT NOT NULL,
    expires_at  DATETIME(6) NOT NULL,
    KEY passkey_challenges_user_id (user_id),
    KEY passkey_challenges_expires_at (expires_at),
    CONSTRAINT passkey_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
