-- Counters of the per-account lockout and the per-client rate limit, shared by every instance
-- on this database: one row per key, its window's end and how many attempts it holds.
CREATE TABLE attempt_counters (
    counter_key TEXT PRIMARY KEY NOT NULL,
    attempts    INTEGER NOT NULL,
    ends_at     TIMESTAMP NOT NULL
);
CREATE INDEX attempt_counters_ends_at ON attempt_counters (ends_at);

-- Periodic jobs run on one instance at a time: the holder of a job's lease until it runs out.
CREATE TABLE job_leases (
    job         TEXT PRIMARY KEY NOT NULL,
    holder      TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);
