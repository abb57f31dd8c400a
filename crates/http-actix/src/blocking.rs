//! Running blocking work (diesel, bcrypt) off the async workers: `web::block` for storage,
//! and a bounded, low-priority thread pool for password checks.

use crate::error::ApiError;
use actix_web::web;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};

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

/// A password check waiting for, or running on, a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// The threads that run password checks. They run at a lower CPU priority (nice 10) than
/// request handling: a login flood still gets every idle cycle, but a worker with a request to
/// answer is scheduled first, so hashing cannot starve the rest of the API.
#[derive(Debug)]
struct HashThreads {
    jobs: mpsc::Sender<Job>,
}

impl HashThreads {
    fn spawn(count: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..count {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("gatehouse-hash-{index}")).spawn(move || {
                lower_priority();
                loop {
                    let next = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                    // The gate is gone (the server stopped): end the thread.
                    let Ok(job) = next else { return };
                    // A panicking check fails its own request (its result sender is dropped);
                    // the thread lives on for the next one.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        Self { jobs }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // Linux applies nice to the calling thread only.
    if let Err(e) = rustix::process::nice(10) {
        tracing::warn!(error = %e, "password hashing runs at normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// At most `permits` password checks at once, each on a dedicated low-priority thread; a
/// bounded queue waits briefly behind them and anything beyond is refused with 503, so a login
/// flood can neither starve other requests of CPU nor build an unbounded backlog.
#[derive(Debug, Clone)]
pub struct HashGate {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    max_wait: Duration,
    threads: Arc<HashThreads>,
}

impl HashGate {
    /// `permits` checks at once, up to `max_waiting` queued for at most `max_wait` each.
    pub fn new(permits: usize, max_waiting: usize, max_wait: Duration) -> Self {
        let permits = permits.max(1);
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            waiting: Arc::default(),
            max_waiting,
            max_wait,
            threads: Arc::new(HashThreads::spawn(permits)),
        }
    }

    /// Runs a password-checking use case once a permit is free.
    ///
    /// # Errors
    /// 503 with `Retry-After` when the queue is full or the wait is too long; 500 if the check
    /// panicked.
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
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(f());
        });
        self.threads.jobs.send(job).map_err(|_| ApiError::unavailable("the server is shutting down"))?;
        let result = result.await.map_err(|_| ApiError::internal("a password check panicked"));
        drop(permit);
        result
    }
}
