//! Running blocking work (diesel, bcrypt) off the async workers, and bounding how many
//! password checks run at once.

use crate::error::ApiError;
use actix_web::web;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Runs `f` on actix's blocking thread pool.
///
/// # Errors
/// 503 when the pool is gone (the server is shutting down).
pub async fn blocking<F, R>(f: F) -> Result<R, ApiError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    web::block(f).await.map_err(|_| ApiError::unavailable("the server is shutting down"))
}

/// At most `permits` password checks at once; a bounded queue waits briefly behind them and
/// anything beyond is refused with 503, so a login flood cannot starve other requests of CPU
/// or build an unbounded backlog.
#[derive(Debug, Clone)]
pub struct HashGate {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    max_wait: Duration,
}

impl HashGate {
    /// `permits` checks at once, up to `max_waiting` queued for at most `max_wait` each.
    pub fn new(permits: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Self { permits: Arc::new(Semaphore::new(permits.max(1))), waiting: Arc::default(), max_waiting, max_wait }
    }

    /// Runs a password-checking use case once a permit is free.
    ///
    /// # Errors
    /// 503 with `Retry-After` when the queue is full or the wait is too long.
    pub async fn run<F, R>(&self, f: F) -> Result<R, ApiError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let busy = || ApiError::unavailable("too many password checks in progress; retry shortly");
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(busy());
                }
                let acquired = tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned()).await;
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                match acquired {
                    Ok(Ok(permit)) => permit,
                    _ => return Err(busy()),
                }
            }
        };
        let result = blocking(f).await;
        drop(permit);
        result
    }
}
