-- Counters of the per-account lockout and the per-client rate limit, shared by every instance
-- on this database: one row per key, its window's end and how many attempts it holds.
-- UNLOGGED: no WAL, so a commit that only counts does not wait for an fsync while it holds the
-- row of a busy key (one client address, one attacked account). A crash empties the table,
-- which only restarts the windows: no counter is a record anyone needs back.
CREATE UNLOGGED TABLE attempt_counters (
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
