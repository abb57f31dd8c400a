//! Times bcrypt password checks at a given cost through the same `Hasher` the server uses for
//! login, so `bench/run.sh` can compute the bcrypt bound of a run (cores ÷ time of one check) on
//! the machine and under the load of that very run.
//!
//! `cargo run --release -p infra-crypto --example hash_time -- COST [THREADS]`
//!
//! Without THREADS: one thread, at least five checks and 1.5 s; prints
//! `hash_time cost=12 runs=7 median_ms=243.1 mean_ms=245.0 min_ms=240.2`.
//! With THREADS: that many threads check for 1.5 s; prints the checks per second they managed
//! together, `hash_rate cost=12 threads=2 checks=13 per_s=8.1`, which is what the CPU offers at
//! that moment (less than the bound when other processes share the cores).

use domain::{CandidatePassword, Password, PasswordHash, PasswordHasher};
use infra_crypto::{HashAlgorithm, Hasher, HasherConfig};
use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The same length as the passwords `bench/bench.py` registers.
const PASSWORD: &str = "bench-password-0123456789";

/// Fewer checks than this say little about the median, however long each one takes.
const MIN_RUNS: usize = 5;

/// How long each measurement runs at least.
const MIN_TIME: Duration = Duration::from_millis(1500);

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let cost: u32 = args.next().ok_or("usage: hash_time COST [THREADS]")?.parse()?;
    let threads: Option<usize> = args.next().map(|s| s.parse()).transpose()?;

    let hasher = Hasher::new(HasherConfig { algorithm: HashAlgorithm::Bcrypt, bcrypt_cost: cost })?;
    let stored = hasher.hash(&Password::new(PASSWORD, hasher.max_password_bytes())?)?;
    let candidate = CandidatePassword::new(PASSWORD);
    // One untimed check warms caches and the CPU's frequency governor.
    if !hasher.verify(&candidate, &stored)? {
        return Err("the password did not verify against its own hash".into());
    }
    match threads {
        None => single(&hasher, &candidate, &stored, cost),
        Some(threads) => parallel(&hasher, &candidate, &stored, cost, threads.max(1)),
    }
}

fn single(hasher: &Hasher, candidate: &CandidatePassword, stored: &PasswordHash, cost: u32) -> Result<(), Box<dyn Error>> {
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < MIN_RUNS || started.elapsed() < MIN_TIME {
        let t = Instant::now();
        black_box(hasher.verify(black_box(candidate), black_box(stored))?);
        samples.push(t.elapsed().as_secs_f64() * 1_000.0);
    }
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    println!("hash_time cost={cost} runs={} median_ms={median:.3} mean_ms={mean:.3} min_ms={:.3}", samples.len(), samples[0]);
    Ok(())
}

fn parallel(
    hasher: &Hasher,
    candidate: &CandidatePassword,
    stored: &PasswordHash,
    cost: u32,
    threads: usize,
) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    // Each thread counts the checks it finished by the deadline; the last one it started may end
    // after it, so the rate is taken over the time the slowest thread really took.
    let counts = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut checks = 0_u32;
                    while started.elapsed() < MIN_TIME {
                        black_box(hasher.verify(black_box(candidate), black_box(stored)).is_ok());
                        checks += 1;
                    }
                    checks
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join()).collect::<Result<Vec<_>, _>>()
    })
    .map_err(|_| "a hashing thread panicked")?;
    let elapsed = started.elapsed().as_secs_f64();
    let checks: u32 = counts.iter().sum();
    println!("hash_rate cost={cost} threads={threads} checks={checks} per_s={:.2}", f64::from(checks) / elapsed);
    Ok(())
}
