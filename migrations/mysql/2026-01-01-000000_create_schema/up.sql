-- Gatehouse schema, MySQL / MariaDB dialect (InnoDB). Every table uses utf8mb4 with the
-- binary collation utf8mb4_bin: the default collations fold case and accents, so `é@x.io`
-- would collide with `e@x.io`, refresh-token digests would match case-insensitively and ids
-- would not order byte-wise like in the other backends. Ids are VARCHAR(36) UUID strings;
-- timestamps are DATETIME(6) in UTC, written by the application already truncated to
-- microseconds. Keep in step with ../../sqlite and ../../postgres.

CREATE TABLE users (
    id            VARCHAR(36) NOT NULL PRIMARY KEY,
    email         VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    name          VARCHAR(100) NOT NULL,
    role          VARCHAR(16) NOT NULL CHECK (role IN ('user', 'admin')),
    is_active     BOOLEAN NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL,
    UNIQUE KEY users_email_key (email),
    KEY users_created_at_id (created_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE sessions (
    id           VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id      VARCHAR(36) NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    last_used_at DATETIME(6) NOT NULL,
    expires_at   DATETIME(6) NOT NULL,
    revoked_at   DATETIME(6) NULL,
    user_agent   VARCHAR(255) NULL,
    KEY sessions_user_id_last_used_at (user_id, last_used_at),
    KEY sessions_expires_at (expires_at),
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Every refresh-token digest a session ever had: the current one and the retired ones, so
-- presenting a retired token is recognised as reuse.
CREATE TABLE refresh_tokens (
    digest     VARCHAR(255) NOT NULL PRIMARY KEY,
    session_id VARCHAR(36) NOT NULL,
    retired    BOOLEAN NOT NULL,
    KEY refresh_tokens_session_id (session_id),
    CONSTRAINT refresh_tokens_session_id_fkey FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE projects (
    id          VARCHAR(36) NOT NULL PRIMARY KEY,
    owner_id    VARCHAR(36) NOT NULL,
    name        VARCHAR(200) NOT NULL,
    description TEXT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    KEY projects_owner_id_created_at (owner_id, created_at, id),
    CONSTRAINT projects_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE tasks (
    id          VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id  VARCHAR(36) NOT NULL,
    title       VARCHAR(200) NOT NULL,
    description TEXT NOT NULL,
    status      VARCHAR(16) NOT NULL CHECK (status IN ('todo', 'in_progress', 'done')),
    priority    VARCHAR(16) NOT NULL CHECK (priority IN ('low', 'medium', 'high')),
    due_date    DATE NULL,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    KEY tasks_project_id_created_at (project_id, created_at, id),
    KEY tasks_project_id_status_created_at (project_id, status, created_at, id),
    CONSTRAINT tasks_project_id_fkey FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
