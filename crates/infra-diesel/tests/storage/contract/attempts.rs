//! The attempt counters' contract, on every database and on the in-memory counter: fixed
//! windows, atomic under racing reservations (`domain::contract`, which `infra-redis` runs on
//! Redis too).

use crate::contract::support::t;
use chrono::Duration;
use domain::contract::racing_reservations_grant_exactly_the_limit;
use domain::memory::MemoryAttempts;
use domain::{AttemptCounter, AttemptPolicy, CounterKey, Email, JobLeases, Lease, Reservation};
use infra_diesel::Database;
use std::sync::Barrier;

fn key(n: u32) -> CounterKey {
    CounterKey::account(&Email::parse(&format!("racer{n}-{}@x.io", uuid::Uuid::new_v4().simple())).unwrap())
}

const POLICY: AttemptPolicy = AttemptPolicy { limit: 3, window: Duration::seconds(60) };

fn a_window_holds_its_limit_then_refuses_until_it_ends(counter: &dyn AttemptCounter) {
    let k = key(0);
    for n in 0..3 {
        assert_eq!(counter.reserve(&k, POLICY, t(n)).unwrap(), Reservation::Granted, "attempt {n}");
    }
    assert_eq!(counter.reserve(&k, POLICY, t(10)).unwrap(), Reservation::Refused { retry_after_secs: 50 });
    assert_eq!(counter.reserve(&key(1), POLICY, t(10)).unwrap(), Reservation::Granted, "other keys are unaffected");
    counter.clear(&k).unwrap();
    assert_eq!(counter.reserve(&k, POLICY, t(11)).unwrap(), Reservation::Granted, "cleared");
}

fn database_windows_end_and_are_purged(db: &Database) {
    let store = db.store();
    let k = key(9);
    for n in 0..3 {
        store.reserve(&k, POLICY, t(n)).unwrap();
    }
    assert!(matches!(store.reserve(&k, POLICY, t(59)).unwrap(), Reservation::Refused { retry_after_secs: 1 }));
    assert_eq!(store.reserve(&k, POLICY, t(60)).unwrap(), Reservation::Granted, "a new window starts");
    assert!(store.purge(t(200)).unwrap() >= 1);
}

fn one_of_racing_instances_takes_a_jobs_lease(db: &Database) {
    let store = db.store();
    let start = Barrier::new(6);
    let held = std::thread::scope(|s| {
        let racers: Vec<_> = (0..6)
            .map(|n| {
                let (store, start) = (&store, &start);
                s.spawn(move || {
                    start.wait();
                    store.acquire("session_purge", &format!("instance-{n}"), t(0), t(60)).unwrap()
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).filter(|r| *r == Lease::Held).count()
    });
    assert_eq!(held, 1);
    assert_eq!(store.acquire("session_purge", "late", t(59), t(119)).unwrap(), Lease::HeldElsewhere);
    assert_eq!(store.acquire("session_purge", "late", t(61), t(121)).unwrap(), Lease::Held, "a lease that ran out is taken over");
}

fn database_counter_contract(db: &Database) {
    let store = db.store();
    a_window_holds_its_limit_then_refuses_until_it_ends(&store);
    racing_reservations_grant_exactly_the_limit(&store, t(1));
}

contract_tests!(database_counter_contract, database_windows_end_and_are_purged, one_of_racing_instances_takes_a_jobs_lease);

#[test]
fn the_memory_counter_keeps_the_contract() {
    let memory = MemoryAttempts::default();
    a_window_holds_its_limit_then_refuses_until_it_ends(&memory);
    racing_reservations_grant_exactly_the_limit(&memory, t(1));
}

#[test]
fn the_memory_counter_stays_bounded_under_a_flood_of_distinct_keys() {
    let memory = MemoryAttempts::with_capacity(1_000);
    let victim = key(0);
    memory.reserve(&victim, POLICY, t(0)).unwrap();
    for n in 0..20_000 {
        memory.reserve(&CounterKey::client(std::net::IpAddr::from([10, (n >> 16) as u8, (n >> 8) as u8, n as u8])), POLICY, t(1)).unwrap();
    }
    assert!(memory.len() <= 1_000, "{}", memory.len());
}
