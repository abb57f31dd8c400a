//! The bound on concurrent password checks: beyond the permits a short queue waits, and
//! anything beyond the queue or the wait gets 503 instead of piling up.

use http_actix::edge::blocking::HashGate;
use std::time::Duration;

#[tokio::test]
async fn checks_beyond_the_permits_and_the_queue_get_503() {
    let gate = HashGate::new(1, 1, Duration::from_millis(300));
    let busy = {
        let gate = gate.clone();
        tokio::spawn(async move { gate.run(|| std::thread::sleep(Duration::from_millis(1500))).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let queued = {
        let gate = gate.clone();
        tokio::spawn(async move { gate.run(|| ()).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The one queue place is taken: refused at once.
    let overflow = gate.run(|| ()).await.expect_err("the queue is full");
    assert_eq!(overflow.status().as_u16(), 503);
    // The queued check waited its maximum while the permit stayed busy.
    let timed_out = queued.await.expect("task").expect_err("waited too long");
    assert_eq!(timed_out.status().as_u16(), 503);
    assert!(busy.await.expect("task").is_ok());
    // With the permit free again, checks run.
    assert!(gate.run(|| 42).await.is_ok_and(|v| v == 42));
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn checks_run_at_a_lower_cpu_priority_than_request_handling() {
    let gate = HashGate::new(2, 4, Duration::from_secs(5));
    let ours = rustix::process::getpriority_process(None).expect("own priority");
    let theirs = gate.run(|| rustix::process::getpriority_process(None).expect("hash thread priority")).await.expect("runs");
    assert_eq!(theirs, (ours + 10).min(19), "hashing is niced by 10");
    assert_eq!(rustix::process::getpriority_process(None).expect("own priority"), ours, "the caller keeps its priority");
}

#[tokio::test]
async fn a_caller_that_goes_away_while_queued_gives_its_place_back() {
    let gate = HashGate::new(1, 1, Duration::from_secs(5));
    let busy = {
        let gate = gate.clone();
        tokio::spawn(async move { gate.run(|| std::thread::sleep(Duration::from_millis(600))).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A client queues behind the busy permit, then disconnects: actix drops its future.
    let queued = {
        let gate = gate.clone();
        tokio::spawn(async move { gate.run(|| ()).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    queued.abort();
    assert!(queued.await.is_err_and(|e| e.is_cancelled()));
    // Its queue place is free again: the next check waits for the permit instead of a 503.
    assert_eq!(gate.run(|| 7).await.ok(), Some(7));
    assert!(busy.await.expect("task").is_ok());
}
