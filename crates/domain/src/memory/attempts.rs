use crate::error::InfraError;
use crate::model::{AttemptPolicy, CounterKey, Reservation, Timestamp};
use crate::ports::AttemptCounter;
use std::collections::HashMap;
use std::sync::Mutex;

/// Attempt counters in this process's memory: for one instance (SQLite), or tests. Bounded:
/// past `capacity` keys, ended windows are dropped, and if that is not enough the window that
/// ends first goes, so a flood of distinct keys costs at most `capacity` entries.
#[derive(Debug)]
pub struct MemoryAttempts {
    capacity: usize,
    windows: Mutex<HashMap<CounterKey, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    ends_at: Timestamp,
    count: u32,
}

impl MemoryAttempts {
    /// Counters for at most `capacity` keys at once.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), windows: Mutex::default() }
    }

    /// How many keys are tracked now.
    pub fn len(&self) -> usize {
        self.windows.lock().map_or(0, |w| w.len())
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn windows(&self) -> Result<std::sync::MutexGuard<'_, HashMap<CounterKey, Window>>, InfraError> {
        self.windows.lock().map_err(|_| InfraError::internal("attempt counters poisoned by a panic"))
    }
}

impl Default for MemoryAttempts {
    /// Room for 100,000 keys (a few tens of MB at the most).
    fn default() -> Self {
        Self::with_capacity(100_000)
    }
}

impl AttemptCounter for MemoryAttempts {
    fn reserve(&self, key: &CounterKey, policy: AttemptPolicy, now: Timestamp) -> Result<Reservation, InfraError> {
        let mut windows = self.windows()?;
        if let Some(window) = windows.get_mut(key).filter(|w| w.ends_at > now) {
            if window.count >= policy.limit {
                return Ok(Reservation::refused_until(window.ends_at, now));
            }
            window.count += 1;
            return Ok(Reservation::Granted);
        }
        if windows.len() >= self.capacity && !windows.contains_key(key) {
            windows.retain(|_, w| w.ends_at > now);
            if windows.len() >= self.capacity
                && let Some(first) = windows.iter().min_by_key(|(_, w)| w.ends_at).map(|(k, _)| k.clone())
            {
                windows.remove(&first);
            }
        }
        windows.insert(key.clone(), Window { ends_at: now + policy.window, count: 1 });
        Ok(Reservation::Granted)
    }

    fn clear(&self, key: &CounterKey) -> Result<(), InfraError> {
        self.windows()?.remove(key);
        Ok(())
    }

    fn purge(&self, now: Timestamp) -> Result<u64, InfraError> {
        let mut windows = self.windows()?;
        let before = windows.len();
        windows.retain(|_, w| w.ends_at > now);
        Ok((before - windows.len()) as u64)
    }
}
