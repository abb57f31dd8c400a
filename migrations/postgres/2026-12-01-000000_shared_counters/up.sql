-- Counters of the per-account lockout and the per-client rate limit, shared by every instance
-- on this database: one row per key, its window's end and how many attempts it holds.
CREATE TABLE attempt_counters (
    counter_key VARCHAR(300) COLLATE "C" PRIMARY KEY,
    attempts    INTEGER NOT NULL,
    ends_at     TIMESTAMP NOT NULL
);
CREATE INDEX attempt_counters_ends_at ON attempt_counters (ends_at);

-- Periodic jobs run on one instance at a time: the holder of a job's lease until it runs out.
CREATE TABLE job_leases (
    job         VARCHAR(64) COLLATE "C" PRIMARY KEY,
    holder      VARCHAR(64) NOT NULL,
    lease_until TIMESTAMP NOT NULL
);
