//! What every adapter of a port must do, as checks the adapters' own tests call (feature
//! `contract`): one statement of a port's rules, run against the SQL stores, Redis and the
//! in-memory adapters alike, so they cannot drift apart.

use crate::model::{AttemptPolicy, CounterKey, Email, Reservation, Timestamp};
use crate::ports::AttemptCounter;
use std::sync::Barrier;

/// The policy the attempt-counter checks use: three attempts a minute.
pub const POLICY: AttemptPolicy = AttemptPolicy { limit: 3, window: chrono::Duration::seconds(60) };

/// A key no other check (or earlier run against a shared server) uses.
pub fn fresh_key() -> CounterKey {
    CounterKey::account(&Email::parse(&format!("racer-{}@x.io", uuid::Uuid::new_v4().simple())).expect("a valid address"))
}

/// Twelve threads released by one barrier reserve one key at `now`, five rounds: exactly
/// [`POLICY`]'s limit of them are granted each time, however the store counts.
///
/// # Panics
/// When the counter fails or grants more or fewer than the limit.
pub fn racing_reservations_grant_exactly_the_limit(counter: &(dyn AttemptCounter + Sync), now: Timestamp) {
    const RACERS: usize = 12;
    for round in 0..5 {
        let key = fresh_key();
        let start = Barrier::new(RACERS);
        let granted = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|_| {
                    let (key, start) = (&key, &start);
                    s.spawn(move || {
                        start.wait();
                        counter.reserve(key, POLICY, now).expect("a reservation")
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().expect("a racer")).filter(|r| *r == Reservation::Granted).count()
        });
        assert_eq!(granted, POLICY.limit as usize, "round {round}");
    }
}
