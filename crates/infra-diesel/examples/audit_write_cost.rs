//! What recording a login's event costs: the write a login makes (its session and first
//! refresh token, in one transaction) timed without and with the `login.succeeded` event that
//! goes into the same transaction, alternating, on a fresh database. `bench/run.sh` runs it.
//!
//! `cargo run --release -p infra-diesel --example audit_write_cost -- [sqlite|postgres|mysql] [RUNS]`
//!
//! PostgreSQL and MySQL come from `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` (a scratch database
//! is created beside the one named, and dropped). Prints one line:
//! `audit_write_cost backend=sqlite runs=2000 without_p50_us=… without_p99_us=… with_p50_us=…
//! with_p99_us=… added_p99_us=…`.

use chrono::{Duration, Utc};
use domain::{
    AuditDetail, AuditEvent, AuditKind, Email, PasswordHash, RefreshTokenDigest, Role, Session, SessionId, SessionRepository, User,
    UserAgent, UserId, UserName, UserRepository,
};
use infra_diesel::testing::TestDatabase;
use std::error::Error;
use std::time::Instant;
use uuid::Uuid;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let backend = args.next().unwrap_or_else(|| "sqlite".to_owned());
    let runs: usize = args.next().map_or(Ok(2_000), |n| n.parse())?;
    let db = match backend.as_str() {
        "sqlite" => TestDatabase::sqlite(),
        "postgres" => TestDatabase::from_env_postgres().ok_or("TEST_POSTGRES_URL is not set")?,
        "mysql" => TestDatabase::from_env_mysql().ok_or("TEST_MYSQL_URL is not set (or no `mysql` feature)")?,
        other => return Err(format!("unknown backend {other}").into()),
    };
    let store = db.database().store();
    let now = domain::truncate_to_micros(Utc::now());
    let user = User {
        id: UserId::from_uuid(Uuid::now_v7()),
        email: Email::parse("bench@example.com")?,
        name: UserName::parse("Bench")?,
        role: Role::User,
        is_active: true,
        created_at: now,
        updated_at: now,
        email_verified: false,
        pending_email: None,
    };
    UserRepository::insert(&store, &user, &PasswordHash::new("$argon2id$bench".into()), &[])?;
    let agent = UserAgent::from_header("bench/1.0 (X11; Linux x86_64)");

    let mut without = Vec::with_capacity(runs);
    let mut with = Vec::with_capacity(runs);
    // One login's write: a new session and token, with or without its event; microseconds.
    let login_write = |recorded: bool| -> Result<f64, Box<dyn Error>> {
        let session = Session {
            id: SessionId::from_uuid(Uuid::now_v7()),
            user_id: user.id,
            created_at: now,
            last_used_at: now,
            expires_at: now + Duration::days(14),
            revoked_at: None,
            user_agent: agent.clone(),
            amr: domain::Amr::PASSWORD,
        };
        let digest = RefreshTokenDigest::new(format!("sha256:{}", Uuid::new_v4().simple()));
        let event = AuditEvent {
            id: Uuid::now_v7(),
            at: now,
            kind: AuditKind::LoginSucceeded,
            user_id: Some(user.id),
            actor_id: None,
            session_id: Some(session.id),
            ip: Some("203.0.113.9".parse()?),
            user_agent: agent.clone(),
            detail: AuditDetail::new(),
        };
        let events = if recorded { std::slice::from_ref(&event) } else { &[] };
        let started = Instant::now();
        SessionRepository::insert(&store, &session, &digest, events)?;
        Ok(started.elapsed().as_secs_f64() * 1e6)
    };
    // A warm-up of a tenth, then pairs in a random order: a periodic cost (SQLite's WAL
    // checkpoint every so many pages) must not always land on the same one of the two.
    for pair in 0..runs + runs / 10 {
        let event_first = Uuid::new_v4().as_bytes()[0] & 1 == 1;
        let (first, second) = (login_write(event_first)?, login_write(!event_first)?);
        if pair >= runs / 10 {
            let (w, wo) = if event_first { (first, second) } else { (second, first) };
            with.push(w);
            without.push(wo);
        }
    }
    let (p50_without, p99_without) = (percentile(&mut without, 0.50), percentile(&mut without, 0.99));
    let (p50_with, p99_with) = (percentile(&mut with, 0.50), percentile(&mut with, 0.99));
    println!(
        "audit_write_cost backend={backend} runs={runs} without_p50_us={p50_without:.0} without_p99_us={p99_without:.0} \
         with_p50_us={p50_with:.0} with_p99_us={p99_with:.0} added_p99_us={:.0}",
        p99_with - p99_without
    );
    Ok(())
}

/// The `q` quantile (nearest rank) of `samples`.
fn percentile(samples: &mut [f64], q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let rank = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}
