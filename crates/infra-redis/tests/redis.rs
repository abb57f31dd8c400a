//! The attempt-counter contract on a real Redis (when `TEST_REDIS_URL` is set; `.ci/run` starts
//! one): fixed windows measured by Redis's own clock, and racing reservations from many threads
//! granted exactly the limit.

use domain::contract::{POLICY, fresh_key, racing_reservations_grant_exactly_the_limit};
use domain::{AttemptCounter, Reservation};
use infra_redis::RedisAttempts;

fn redis() -> Option<RedisAttempts> {
    let url = std::env::var("TEST_REDIS_URL").ok()?;
    Some(RedisAttempts::connect(&url, 16, std::time::Duration::from_secs(2)).expect("redis"))
}

#[test]
fn a_window_holds_its_limit_then_refuses_until_it_ends() {
    let Some(redis) = redis() else { return };
    // Redis keeps its own time: windows are measured from the real first attempt.
    let now = chrono::Utc::now();
    let key = fresh_key();
    for _ in 0..POLICY.limit {
        assert_eq!(redis.reserve(&key, POLICY, now).unwrap(), Reservation::Granted);
    }
    let refused = redis.reserve(&key, POLICY, now).unwrap();
    assert!(matches!(refused, Reservation::Refused { retry_after_secs } if (59..=60).contains(&retry_after_secs)), "{refused:?}");
    assert_eq!(redis.reserve(&fresh_key(), POLICY, now).unwrap(), Reservation::Granted, "other keys are unaffected");
    redis.clear(&key).unwrap();
    assert_eq!(redis.reserve(&key, POLICY, now).unwrap(), Reservation::Granted, "cleared");
}

#[test]
fn racing_reservations_grant_exactly_the_limit_in_redis() {
    let Some(redis) = redis() else { return };
    racing_reservations_grant_exactly_the_limit(&redis, chrono::Utc::now());
}

#[test]
fn an_unreachable_redis_is_refused_at_start_and_named_without_its_password() {
    // Nothing listens on port 9 of this machine.
    let message = match RedisAttempts::connect("redis://gatehouse:s3cret@127.0.0.1:9/0", 1, std::time::Duration::from_millis(200)) {
        Ok(redis) => {
            // A lazily connecting pool: the first command is what fails, as a 503.
            let failed = redis.reserve(&fresh_key(), POLICY, chrono::Utc::now()).unwrap_err();
            assert_eq!(failed.kind(), domain::InfraErrorKind::Unavailable);
            return;
        }
        Err(e) => e.to_string(),
    };
    assert!(message.contains("127.0.0.1:9") && !message.contains("s3cret"), "{message}");
}
