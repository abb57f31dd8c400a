-- Gatehouse schema, PostgreSQL dialect. Ids are UUID strings compared byte-wise (COLLATE "C"),
-- so ordering ties break exactly as in the other backends; timestamps are UTC without time
-- zone, written by the application already truncated to microseconds.
-- Keep in step with ../../sqlite and ../../mysql.

CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    is_active     BOOLEAN NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
-- The domain stores emails normalised to lower case, so a plain unique index is enough.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_created_at_id ON users (created_at, id);

CREATE TABLE sessions (
    id           TEXT COLLATE "C" PRIMARY KEY,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    user_agent   VARCHAR(255)
);
CREATE INDEX sessions_user_id_last_used_at ON sessions (user_id, last_used_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Every refresh-token digest a session ever had: the current one and the retired ones, so
-- presenting a retired token is recognised as reuse.
CREATE TABLE refresh_tokens (
    digest     TEXT COLLATE "C" PRIMARY KEY,
    session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    retired    BOOLEAN NOT NULL
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);

CREATE TABLE projects (
    id          TEXT COLLATE "C" PRIMARY KEY,
    owner_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX projects_owner_id_created_at ON projects (owner_id, created_at, id);

CREATE TABLE tasks (
    id          TEXT COLLATE "C" PRIMARY KEY,
    project_id  TEXT COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('todo', 'in_progress', 'done')),
    priority    TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high')),
    due_date    DATE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX tasks_project_id_created_at ON tasks (project_id, created_at, id);
CREATE INDEX tasks_project_id_status_created_at ON tasks (project_id, status, created_at, id);
