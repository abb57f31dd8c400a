//! The attempt counters and job leases in the database, shared by every instance on it.

use crate::connection::AnyConnection;
#[cfg(feature = "mysql")]
use crate::connection::write_transaction;
#[cfg(feature = "mysql")]
use crate::error::retry_conflicts;
use crate::rows::{db_time, domain_time};
use crate::schema::{attempt_counters, job_leases};
use crate::store::{DieselStore, count, unique};
use crate::stored_time::StoredTime;
use chrono::DateTime;
use diesel::prelude::*;
use domain::{AttemptCounter, AttemptPolicy, CounterKey, InfraError, JobLeases, Lease, Reservation, Timestamp};

/// A window that ended long ago: the value of a counter row before its first attempt.
fn long_ago() -> StoredTime {
    db_time(DateTime::UNIX_EPOCH)
}

/// The reservation as one statement, where the backend has `INSERT … ON CONFLICT DO UPDATE …
/// WHERE … RETURNING` (PostgreSQL, SQLite): it inserts the first attempt, or counts one more in
/// a running window, or starts a new window, or (the `WHERE` false) changes nothing and returns
/// no row, which is the refusal. The row is locked for the statement alone, so concurrent
/// reservations of one key queue on it and each sees the count the one before left.
macro_rules! reserve_by_upsert {
    ($c:expr, $key:expr, $policy:expr, $now:expr) => {{
        use diesel::sql_types::{Integer, Text, Timestamp as SqlTimestamp};
        let (key, policy, now): (&CounterKey, AttemptPolicy, Timestamp) = ($key, $policy, $now);
        let limit = i32::try_from(policy.limit).unwrap_or(i32::MAX);
        let counted: Vec<Counted> = diesel::sql_query(UPSERT)
            .bind::<Text, _>(key.as_str())
            .bind::<SqlTimestamp, _>(db_time(now + policy.window))
            .bind::<SqlTimestamp, _>(db_time(now))
            .bind::<Integer, _>(limit)
            .load($c)?;
        if counted.is_empty() {
            let ends_at = unique(attempt_counters::table.find(key.as_str()).select(attempt_counters::ends_at).load::<StoredTime>($c))?;
            Ok(Reservation::refused_until(ends_at.map_or(now, domain_time), now))
        } else {
            Ok(Reservation::Granted)
        }
    }};
}

impl AttemptCounter for DieselStore {
    fn reserve(&self, key: &CounterKey, policy: AttemptPolicy, now: Timestamp) -> Result<Reservation, InfraError> {
        self.run_write(|c| match c {
            AnyConnection::Sqlite(c) => reserve_by_upsert!(c, key, policy, now),
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(c) => reserve_by_upsert!(c, key, policy, now),
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql(_) => reserve_in_transaction(c, key, policy, now),
        })
    }

    fn clear(&self, key: &CounterKey) -> Result<(), InfraError> {
        self.run_write(|c| diesel::delete(attempt_counters::table.find(key.as_str())).execute(c))?;
        Ok(())
    }

    fn purge(&self, now: Timestamp) -> Result<u64, InfraError> {
        let n =
            self.run_write(|c| diesel::delete(attempt_counters::table.filter(attempt_counters::ends_at.le(db_time(now)))).execute(c))?;
        Ok(count(i64::try_from(n).unwrap_or(i64::MAX)))
    }
}

/// `$1` the key, `$2` the end of a new window, `$3` now, `$4` the limit (SQLite reads `$n` as
/// `?n`).
const UPSERT: &str = "INSERT INTO attempt_counters (counter_key, attempts, ends_at) VALUES ($1, 1, $2) \
     ON CONFLICT (counter_key) DO UPDATE SET \
     attempts = CASE WHEN attempt_counters.ends_at <= $3 THEN 1 ELSE attempt_counters.attempts + 1 END, \
     ends_at = CASE WHEN attempt_counters.ends_at <= $3 THEN excluded.ends_at ELSE attempt_counters.ends_at END \
     WHERE attempt_counters.ends_at <= $3 OR attempt_counters.attempts < $4 \
     RETURNING attempts";

/// What the upsert returns when it counted.
#[derive(diesel::QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    #[expect(dead_code, reason = "only whether a row came back matters")]
    attempts: i32,
}

/// The reservation as a transaction that locks the counter's row (MySQL, which has no
/// `RETURNING`).
#[cfg(feature = "mysql")]
fn reserve_in_transaction(c: &mut AnyConnection, key: &CounterKey, policy: AttemptPolicy, now: Timestamp) -> QueryResult<Reservation> {
    // Usually the row exists before the transaction locks it, so two first attempts at once
    // meet at the row lock instead of colliding on the primary key. The purge may still delete
    // it in between: then the transaction inserts it, and of two such inserts the loser is run
    // again (it finds the row).
    ensure_counter(c, key.as_str())?;
    retry_conflicts(|| {
        write_transaction(c, |c| {
            let Some((attempts, ends_at)) = lock_counter(c, key.as_str())? else {
                let row = (
                    attempt_counters::counter_key.eq(key.as_str()),
                    attempt_counters::attempts.eq(1),
                    attempt_counters::ends_at.eq(db_time(now + policy.window)),
                );
                diesel::insert_into(attempt_counters::table).values(row).execute(c).map_err(duplicate_is_conflict)?;
                return Ok(Reservation::Granted);
            };
            let ends_at = domain_time(ends_at);
            let (attempts, ends_at) = if ends_at > now {
                if attempts >= i32::try_from(policy.limit).unwrap_or(i32::MAX) {
                    return Ok(Reservation::refused_until(ends_at, now));
                }
                (attempts + 1, ends_at)
            } else {
                (1, now + policy.window)
            };
            diesel::update(attempt_counters::table.find(key.as_str()))
                .set((attempt_counters::attempts.eq(attempts), attempt_counters::ends_at.eq(db_time(ends_at))))
                .execute(c)?;
            Ok(Reservation::Granted)
        })
    })
}

/// Inserts `$row` into `$table` unless a row with its key exists, in each backend's own
/// spelling of "insert or ignore".
macro_rules! insert_or_ignore {
    ($conn:expr, $table:expr, $row:expr) => {
        match $conn {
            AnyConnection::Sqlite(c) => diesel::insert_or_ignore_into($table).values($row).execute(c),
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(c) => diesel::insert_into($table).values($row).on_conflict_do_nothing().execute(c),
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql(c) => diesel::insert_or_ignore_into($table).values($row).execute(c),
        }
        .map(drop)
    };
}

#[cfg(feature = "mysql")]
/// Inserts the counter's row with no attempts unless it exists.
fn ensure_counter(c: &mut AnyConnection, key: &str) -> QueryResult<()> {
    let row = (attempt_counters::counter_key.eq(key), attempt_counters::attempts.eq(0), attempt_counters::ends_at.eq(long_ago()));
    insert_or_ignore!(c, attempt_counters::table, row)
}

#[cfg(feature = "mysql")]
/// The counter's row, locked until the transaction ends (`FOR UPDATE`; SQLite's `BEGIN
/// IMMEDIATE` already holds its only write lock).
fn lock_counter(c: &mut AnyConnection, key: &str) -> QueryResult<Option<(i32, StoredTime)>> {
    let query = attempt_counters::table.find(key).select((attempt_counters::attempts, attempt_counters::ends_at));
    let rows = match c {
        AnyConnection::Sqlite(c) => query.load(c),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => query.for_update().load(c),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => query.for_update().load(c),
    };
    unique(rows)
}

#[cfg(feature = "mysql")]
/// Another transaction inserted the same counter first: a collision to run again, like a
/// deadlock.
fn duplicate_is_conflict(error: diesel::result::Error) -> diesel::result::Error {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info)
        }
        other => other,
    }
}

impl JobLeases for DieselStore {
    fn acquire(&self, job: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<Lease, InfraError> {
        let taken = self.run_write(|c| {
            ensure_lease(c, job)?;
            // One conditional write: of racing instances, one moves the lease.
            diesel::update(job_leases::table.find(job).filter(job_leases::lease_until.le(db_time(now)).or(job_leases::holder.eq(holder))))
                .set((job_leases::holder.eq(holder), job_leases::lease_until.eq(db_time(until))))
                .execute(c)
        })?;
        Ok(if taken > 0 { Lease::Held } else { Lease::HeldElsewhere })
    }
}

/// Inserts the job's lease row, held by nobody, unless it exists.
fn ensure_lease(c: &mut AnyConnection, job: &str) -> QueryResult<()> {
    let row = (job_leases::job.eq(job), job_leases::holder.eq(""), job_leases::lease_until.eq(long_ago()));
    insert_or_ignore!(c, job_leases::table, row)
}
