//! The threads that run storage use cases off the async workers.

use http_actix::edge::blocking::StorageThreads;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[tokio::test]
async fn runs_the_work_on_another_thread_and_returns_its_result() {
    let threads = StorageThreads::new(2);
    let caller = std::thread::current().id();
    let (value, worker) = threads.run(move || (6 * 7, std::thread::current().id())).await.expect("runs");
    assert_eq!(value, 42);
    assert_ne!(worker, caller, "storage work never runs on the async worker");
}

#[tokio::test]
async fn work_whose_caller_went_away_before_it_started_is_skipped() {
    let threads = StorageThreads::new(1);
    let busy = {
        let threads = threads.clone();
        tokio::spawn(async move { threads.run(|| std::thread::sleep(Duration::from_millis(300))).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let ran = Arc::new(AtomicBool::new(false));
    let queued = {
        let (threads, ran) = (threads.clone(), ran.clone());
        tokio::spawn(async move { threads.run(move || ran.store(true, Ordering::SeqCst)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The client disconnected: actix drops the request's future while the work is queued.
    queued.abort();
    assert!(queued.await.is_err_and(|e| e.is_cancelled()));
    assert!(busy.await.expect("task").is_ok());
    // Work queued after it still runs, and by then the abandoned job has been passed over.
    assert!(threads.run(|| ()).await.is_ok());
    assert!(!ran.load(Ordering::SeqCst), "nobody was waiting for its answer");
}

#[tokio::test]
async fn a_panicking_job_fails_its_own_call_and_the_thread_lives_on() {
    let threads = StorageThreads::new(1);
    let failed = threads.run(|| -> u8 { panic!("a bug in a use case") }).await.expect_err("panicked");
    assert_eq!(failed.status().as_u16(), 500);
    assert_eq!(threads.run(|| 1).await.ok(), Some(1));
}
