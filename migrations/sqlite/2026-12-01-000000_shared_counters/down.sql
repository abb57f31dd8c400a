DROP TABLE job_leases;
DROP TABLE attempt_counters;
