-- Passkeys (WebAuthn credentials). `credential_id` is the base64url id the authenticator returns
-- on a sign-in, unique across accounts (byte-wise: base64url is case-sensitive); `credential` is
-- the verifying adapter's opaque stored form; `counter` a u32 signature counter; `transports` a
-- JSON array of strings.
CREATE TABLE passkeys (
    id             TEXT COLLATE "C" PRIMARY KEY,
    user_id        TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id  TEXT COLLATE "C" NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    credential     TEXT NOT NULL,
    counter        BIGINT NOT NULL CHECK (counter BETWEEN 0 AND 4294967295),
    backed_up      BOOLEAN NOT NULL,
    transports     TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    last_used_at   TIMESTAMP
);
CREATE INDEX passkeys_user_id ON passkeys (user_id);
-- Ceremonies waiting for the authenticator's answer; taken (deleted) by the first answer.
-- `user_id` is the account a registration or a second step is for, none for a discoverable
-- sign-in.
CREATE TABLE passkey_challenges (
    id          TEXT COLLATE "C" PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('register', 'sign_in', 'second_step')),
    user_id     TEXT COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX passkey_challenges_user_id ON passkey_challenges (user_id);
CREATE INDEX passkey_challenges_expires_at ON passkey_challenges (expires_at);
