-- Counters of the per-account lockout and the per-client rate limit, shared by every instance
-- on this database: one row per key, its window's end and how many attempts it holds.
CREATE TABLE attempt_counters (
    counter_key VARCHAR(300) NOT NULL PRIMARY KEY,
    attempts    INTEGER NOT NULL,
    ends_at     DATETIME(6) NOT NULL,
    KEY attempt_counters_ends_at (ends_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Periodic jobs run on one instance at a time: the holder of a job's lease until it runs out.
CREATE TABLE job_leases (
    job         VARCHAR(64) NOT NULL PRIMARY KEY,
    holder      VARCHAR(64) NOT NULL,
    lease_until DATETIME(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
