//! The per-account failed-login window: after too many wrong passwords for one account, its
//! password checks are refused with 429 until the window ends, whatever the client's IP.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins per account within a fixed window.
#[derive(Debug)]
pub struct FailedLogins {
    enabled: bool,
    limit: u32,
    window: Duration,
    accounts: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Above this many tracked accounts, expired windows are dropped before adding another.
const PRUNE_ABOVE: usize = 10_000;

impl FailedLogins {
    /// `limit` failures per `window`; `enabled = false` never refuses.
    pub fn new(enabled: bool, limit: u32, window: Duration) -> Self {
        Self { enabled, limit: limit.max(1), window, accounts: Mutex::default() }
    }

    fn key(email: &str) -> String {
        email.trim().to_lowercase()
    }

    /// `Err(seconds)` until the window ends, when the account is locked.
    pub fn check(&self, email: &str) -> Result<(), u64> {
        if !self.enabled {
            return Ok(());
        }
        let accounts = self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match accounts.get(&Self::key(email)) {
            Some((start, count)) if *count >= self.limit && start.elapsed() < self.window => {
                Err((self.window - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failure.
    pub fn record_failure(&self, email: &str) {
        if !self.enabled {
            return;
        }
        let mut accounts = self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if accounts.len() > PRUNE_ABOVE {
            let window = self.window;
            accounts.retain(|_, (start, _)| start.elapsed() < window);
        }
        let entry = accounts.entry(Self::key(email)).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_account_after_the_limit_whatever_the_case_of_the_email() {
        let throttle = FailedLogins::new(true, 3, Duration::from_secs(900));
        for _ in 0..3 {
            assert!(throttle.check("ada@example.com").is_ok());
            throttle.record_failure("Ada@Example.com");
        }
        let retry = throttle.check("ada@example.com").unwrap_err();
        assert!((1..=900).contains(&retry));
        assert!(throttle.check("bob@example.com").is_ok(), "other accounts are unaffected");
    }

    #[test]
    fn the_window_ends() {
        let throttle = FailedLogins::new(true, 1, Duration::from_millis(1));
        throttle.record_failure("a@x.io");
        std::thread::sleep(Duration::from_millis(5));
        assert!(throttle.check("a@x.io").is_ok());
    }

    #[test]
    fn disabled_never_refuses() {
        let throttle = FailedLogins::new(false, 1, Duration::from_secs(60));
        throttle.record_failure("a@x.io");
        throttle.record_failure("a@x.io");
        assert!(throttle.check("a@x.io").is_ok());
    }
}
