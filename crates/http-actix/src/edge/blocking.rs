//! Running blocking work (diesel, bcrypt) off the async workers, on dedicated thread pools:
//! [`StorageThreads`] for storage use cases and a bounded, low-priority [`HashGate`] for
//! password checks. Handlers name the [`Lane`] and call [`Offload::run`] (through
//! `AppState::run` or `Caller::run`): one call whose errors flatten with `?`, and which takes
//! the request's tracing span onto the thread.
//!
//! Why not `web::block`: tokio's blocking pool wakes an idle thread for every job and puts it
//! back to sleep when its queue runs dry, two context switches per request. On the 2-core
//! benchmark machine that was 1.9 switches and ~30 % of the CPU per `GET /users/me`; threads
//! that spin briefly on a shared channel before they sleep take the next job while awake
//! (0.4 switches per request, 1.6× the throughput). See `bench/results/`.

use crate::edge::error::ApiError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};

/// A job waiting for, or running on, a pool thread.
type Job = Box<dyn FnOnce() + Send>;

/// Why a job gave no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobFailed {
    /// The pool's threads are gone: the server is stopping.
    Stopped,
    /// The job panicked.
    Panicked,
}

impl JobFailed {
    /// 503 while stopping; 500 naming `what` panicked.
    fn into_api_error(self, what: &str) -> ApiError {
        match self {
            Self::Stopped => ApiError::unavailable("the server is shutting down"),
            Self::Panicked => ApiError::internal(format!("{what} panicked")),
        }
    }
}

/// Named threads that take jobs from one channel.
#[derive(Debug)]
struct ThreadPool {
    jobs: crossbeam_channel::Sender<Job>,
}

impl ThreadPool {
    /// `count` threads named `{name}-{index}`; with `low_priority` they run niced by 10.
    fn spawn(name: &str, count: usize, low_priority: bool) -> Self {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        for index in 0..count.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("{name}-{index}")).spawn(move || {
                if low_priority {
                    lower_priority();
                }
                // Ends when every sender is gone (the server stopped).
                while let Ok(job) = queue.recv() {
                    // A panicking job fails its own request (its result sender is dropped);
                    // the thread lives on for the next one.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, thread = name, "cannot start a worker thread");
            }
        }
        Self { jobs }
    }

    /// Runs `f` on one of the threads. A job whose caller is gone before it starts (the client
    /// disconnected and actix dropped the request) is skipped: nobody would read its answer.
    async fn run<F, R>(&self, f: F) -> Result<R, JobFailed>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (done, result) = oneshot::channel();
        // The request's span goes with its work, so every line logged on the pool thread
        // carries the request's id.
        let span = tracing::Span::current();
        let job: Job = Box::new(move || {
            if !done.is_closed() {
                let _entered = span.enter();
                let _ = done.send(f());
            }
        });
        self.jobs.send(job).map_err(|_| JobFailed::Stopped)?;
        result.await.map_err(|_| JobFailed::Panicked)
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

/// The threads that run storage use cases (each holds at most one pooled connection at a
/// time, so more threads than connections would only wait for the pool).
#[derive(Debug, Clone)]
pub struct StorageThreads {
    pool: Arc<ThreadPool>,
}

impl StorageThreads {
    /// `count` threads (at least one).
    pub fn new(count: usize) -> Self {
        Self { pool: Arc::new(ThreadPool::spawn("gatehouse-db", count, false)) }
    }

    /// Runs a storage use case on one of the threads.
    ///
    /// # Errors
    /// 503 when the threads are gone (the server is shutting down); 500 if `f` panicked.
    pub async fn run<F, R>(&self, f: F) -> Result<R, ApiError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.pool.run(f).await.map_err(|failed| failed.into_api_error("a storage call"))
    }
}

/// At most `permits` password checks at once, each on a dedicated low-priority thread; a
/// bounded queue waits briefly behind them and anything beyond is refused with 503, so a login
/// flood can neither starve other requests of CPU nor build an unbounded backlog.
///
/// The threads run at a lower CPU priority (nice 10) than request handling: a login flood
/// still gets every idle cycle, but a worker with a request to answer is scheduled first.
#[derive(Debug, Clone)]
pub struct HashGate {
    permits: Arc<Semaphore>,
    capacity: usize,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    max_wait: Duration,
    threads: Arc<ThreadPool>,
}

impl HashGate {
    /// `permits` checks at once, up to `max_waiting` queued for at most `max_wait` each.
    pub fn new(permits: usize, max_waiting: usize, max_wait: Duration) -> Self {
        let permits = permits.max(1);
        Self {
            permits: Arc::new(Semaphore::new(permits)),
            capacity: permits,
            waiting: Arc::default(),
            max_waiting,
            max_wait,
            threads: Arc::new(ThreadPool::spawn("gatehouse-hash", permits, true)),
        }
    }

    /// Checks running now and checks waiting for a permit now.
    pub fn load(&self) -> (usize, usize) {
        (self.capacity.saturating_sub(self.permits.available_permits()), self.waiting.load(Ordering::Relaxed))
    }

    /// Runs a password-checking use case once a permit is free. A caller that goes away while
    /// queued (the client disconnected) gives its place up without any hashing done.
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
                let waiting = WaitingSlot(&self.waiting);
                let acquired = tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned()).await;
                drop(waiting);
                match acquired {
                    Ok(Ok(permit)) => permit,
                    _ => return Err(busy()),
                }
            }
        };
        let result = self.threads.run(f).await.map_err(|failed| failed.into_api_error("a password check"));
        drop(permit);
        result
    }
}

/// A place in the hash gate's queue, given back when the wait ends, however it ends (the
/// future may be dropped mid-wait when the client disconnects).
struct WaitingSlot<'a>(&'a AtomicUsize);

impl Drop for WaitingSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Which threads a use case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Storage work only: the storage threads.
    Storage,
    /// Work that checks or hashes a password (and may also use storage): the bounded,
    /// low-priority hash gate.
    PasswordCheck,
    /// Work that waits on another server (an OpenID Connect provider) and storage: tokio's
    /// blocking pool, which grows while a provider is slow, so no storage thread waits on one.
    Outbound,
}

impl Lane {
    /// [`Lane::PasswordCheck`] when the use case may check a password (the domain says), else
    /// [`Lane::Storage`].
    pub fn checking_password_if(may_check: bool) -> Self {
        if may_check { Self::PasswordCheck } else { Self::Storage }
    }
}

/// Both lanes, for handlers: one way to run work off the async workers.
#[derive(Debug, Clone)]
pub struct Offload {
    storage: StorageThreads,
    hash_gate: HashGate,
}

impl Offload {
    /// The two lanes.
    pub fn new(storage: StorageThreads, hash_gate: HashGate) -> Self {
        Self { storage, hash_gate }
    }

    /// Runs `f` on `lane`'s threads, with the caller's tracing span, and flattens its error
    /// into the [`ApiError`] it maps to.
    ///
    /// # Errors
    /// `f`'s error, mapped; 503 when the lane is full or the server is stopping; 500 if `f`
    /// panicked.
    pub async fn run<T, E, F>(&self, lane: Lane, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let result = match lane {
            Lane::Storage => self.storage.run(f).await?,
            Lane::PasswordCheck => self.hash_gate.run(f).await?,
            Lane::Outbound => {
                let span = tracing::Span::current();
                tokio::task::spawn_blocking(move || span.in_scope(f))
                    .await
                    .map_err(|_| ApiError::internal("a call to an identity provider panicked"))?
            }
        };
        result.map_err(Into::into)
    }
}
