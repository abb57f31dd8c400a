//! The attempt counters in Redis (`rate_limit.store = "redis://…"`), for deployments that keep
//! such state out of the database. One Lua script makes each reservation atomic on the server.

use domain::{AttemptCounter, AttemptPolicy, CounterKey, InfraError, Reservation, Timestamp};
use std::fmt;
use std::time::Duration;

/// Refuse when the window is full, else count and start the window's expiry on its first
/// attempt; answers `{granted, milliseconds left}`. Redis runs a script without interleaving
/// any other command, so concurrent reservations are counted one by one.
const RESERVE: &str = r"
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  return {0, redis.call('PTTL', KEYS[1])}
end
count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {1, redis.call('PTTL', KEYS[1])}
";

/// Every key this store writes starts with this, so it can share a Redis with other programs.
const PREFIX: &str = "gatehouse:attempts:";

/// Attempt counters in Redis, through a small connection pool. Cheap to clone.
#[derive(Clone)]
pub struct RedisAttempts {
    pool: r2d2::Pool<redis::Client>,
    reserve: std::sync::Arc<redis::Script>,
}

/// Why Redis could not be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot use Redis at {url}: {message}")]
pub struct RedisError {
    /// The server, without credentials.
    url: String,
    /// What went wrong.
    message: String,
}

impl RedisAttempts {
    /// Connects to `url` (`redis://[user:pass@]host[:port][/db]`) and checks the server answers.
    ///
    /// # Errors
    /// A [`RedisError`] naming the URL without its password.
    pub fn connect(url: &str, pool_size: u32, timeout: Duration) -> Result<Self, RedisError> {
        let failed = |message: String| RedisError { url: described(url), message };
        let client = redis::Client::open(url).map_err(|e| failed(e.to_string()))?;
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(timeout.max(Duration::from_millis(1)))
            .build(client)
            .map_err(|e| failed(e.to_string()))?;
        Ok(Self { pool, reserve: std::sync::Arc::new(redis::Script::new(RESERVE)) })
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<redis::Client>, InfraError> {
        self.pool.get().map_err(InfraError::unavailable)
    }
}

impl fmt::Debug for RedisAttempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisAttempts").finish_non_exhaustive()
    }
}

/// The server `url` names, without its user and password: as Redis itself parsed it, or, when
/// it does not parse, nothing of it.
fn described(url: &str) -> String {
    use redis::IntoConnectionInfo;
    match url.into_connection_info() {
        Ok(info) => format!("{} (database {})", info.addr, info.redis.db),
        Err(_) => "an unparsable redis URL".to_owned(),
    }
}

/// A failed Redis command: the server is unreachable or unwell, which is a 503, not a bug.
fn unavailable(error: redis::RedisError) -> InfraError {
    InfraError::unavailable(error)
}

impl AttemptCounter for RedisAttempts {
    fn reserve(&self, key: &CounterKey, policy: AttemptPolicy, now: Timestamp) -> Result<Reservation, InfraError> {
        let window_ms = policy.window.num_milliseconds().max(1);
        let (granted, left_ms): (i64, i64) = self
            .reserve
            .key(format!("{PREFIX}{}", key.as_str()))
            .arg(policy.limit)
            .arg(window_ms)
            .invoke(&mut *self.conn()?)
            .map_err(unavailable)?;
        if granted == 1 {
            return Ok(Reservation::Granted);
        }
        Ok(Reservation::refused_until(now + chrono::Duration::milliseconds(left_ms.max(0)), now))
    }

    fn clear(&self, key: &CounterKey) -> Result<(), InfraError> {
        redis::cmd("DEL").arg(format!("{PREFIX}{}", key.as_str())).query::<()>(&mut *self.conn()?).map_err(unavailable)
    }

    /// Nothing to do: Redis expires each window's key by itself.
    fn purge(&self, _now: Timestamp) -> Result<u64, InfraError> {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_named_without_its_password() {
        let named = described("redis://gatehouse:s3cr%2Ft@cache.example.com:6380/2");
        assert!(named.contains("cache.example.com") && named.contains("6380") && !named.contains("s3cr"), "{named}");
        assert!(!described("redis://user:s3cret@[::1").contains("s3cret"));
    }
}
