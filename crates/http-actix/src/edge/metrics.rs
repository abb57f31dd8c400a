//! Prometheus metrics: what one server records, in a registry of its own, and the text
//! `GET /metrics` serves on `metrics.port` (never on the API port).
//!
//! The `prometheus` crate rather than `metrics` with `metrics-exporter-prometheus`: `metrics`
//! records into one recorder per process, so two servers in one process (the API tests run
//! dozens at once, and the domain is meant to be embedded) would count into each other;
//! `prometheus` keeps a `Registry` per application. Its text encoder is all the exporter needs,
//! and the listener is one more actix server, so no HTTP stack is added.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use std::sync::Arc;

/// Two gauges read at each scrape: the pool's `(in use, idle)` connections, or the password
/// checks `(running, queued)`.
pub type Sample = Arc<dyn Fn() -> (i64, i64) + Send + Sync>;

/// Every series of one server.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    logins: IntCounterVec,
    refreshes: IntCounterVec,
    refusals: IntCounterVec,
    checks_running: IntGauge,
    checks_queued: IntGauge,
    pool: IntGaugeVec,
    outbox: IntGaugeVec,
    pool_sample: Sample,
    checks_sample: Sample,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// How a login ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// A session was opened.
    Succeeded,
    /// The password was right and two-step sign-in asks for a second step.
    SecondStep,
    /// Wrong email or password, or an inactive account.
    Failed,
    /// The account's lockout refused the check.
    Locked,
    /// Storage or hashing failed.
    Error,
}

/// How a refresh ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// A new pair was issued.
    Succeeded,
    /// Unknown, expired or revoked.
    Invalid,
    /// A retired token was presented: the session was revoked.
    Reused,
    /// Storage failed.
    Error,
}

/// Why a request was refused with 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The per-client rate limit.
    RateLimit,
    /// The per-account lockout.
    Lockout,
}

/// Each enum's label values, spelled once.
macro_rules! labels {
    ($kind:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
        impl $kind {
            /// Every variant, each a series from the start.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The label value.
            pub const fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label),+
                }
            }
        }
    };
}

labels!(LoginOutcome { Succeeded => "succeeded", SecondStep => "second_step", Failed => "failed", Locked => "locked", Error => "error" });
labels!(RefreshOutcome { Succeeded => "succeeded", Invalid => "invalid", Reused => "reused", Error => "error" });
labels!(Refusal { RateLimit => "rate_limit", Lockout => "lockout" });

impl Metrics {
    /// A registry with every series; `pool` and `password_checks` are read at each scrape.
    ///
    /// # Panics
    /// Never: the series' names and labels are constants that register once.
    pub fn new(pool: Sample, password_checks: Sample) -> Self {
        let (pool_sample, checks_sample) = (pool, password_checks);
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid series");
            registry.register(Box::new(c.clone())).expect("registered once");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid series");
            registry.register(Box::new(g.clone())).expect("registered once");
            g
        };
        let requests =
            counter("gatehouse_http_requests_total", "HTTP requests by route template, method and status.", &["route", "method", "status"]);
        let logins = counter("gatehouse_logins_total", "Logins (POST /auth/login and the password grant) by outcome.", &["outcome"]);
        let refreshes =
            counter("gatehouse_refreshes_total", "Refreshes (POST /auth/refresh and the refresh grant) by outcome.", &["outcome"]);
        let refusals = counter("gatehouse_refusals_total", "Requests refused with 429, by reason.", &["reason"]);
        let durations = HistogramVec::new(
            HistogramOpts::new("gatehouse_http_request_duration_seconds", "HTTP request durations by route template and method.")
                .buckets(vec![0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &["route", "method"],
        )
        .expect("valid series");
        registry.register(Box::new(durations.clone())).expect("registered once");
        // Every known outcome exists from the start at 0, so a dashboard's rate() sees its
        // first event, and a series never appears out of nowhere.
        for outcome in LoginOutcome::ALL {
            logins.with_label_values(&[outcome.label()]);
        }
        for outcome in RefreshOutcome::ALL {
            refreshes.with_label_values(&[outcome.label()]);
        }
        for reason in Refusal::ALL {
            refusals.with_label_values(&[reason.label()]);
        }
        let pool = IntGaugeVec::new(Opts::new("gatehouse_pool_connections", "Database pool connections by state."), &["state"])
            .expect("valid series");
        registry.register(Box::new(pool.clone())).expect("registered once");
        let outbox = IntGaugeVec::new(
            Opts::new("gatehouse_outbox_messages", "Outbox messages by state, as the sender last counted them."),
            &["state"],
        )
        .expect("valid series");
        registry.register(Box::new(outbox.clone())).expect("registered once");
        for state in domain::MailState::ALL {
            outbox.with_label_values(&[state.as_str()]);
        }
        Self {
            outbox,
            checks_running: gauge("gatehouse_password_checks_running", "Password checks running now."),
            checks_queued: gauge("gatehouse_password_checks_queued", "Password checks waiting for a permit now."),
            registry,
            requests,
            durations,
            logins,
            refreshes,
            refusals,
            pool,
            pool_sample,
            checks_sample,
        }
    }

    /// One answered request. `route` is the matched template (`/tasks/{id}`), never the path;
    /// the method is labelled from a fixed set, so an invented method adds no series.
    pub fn request(&self, route: &str, method: &actix_web::http::Method, status: u16, seconds: f64) {
        let method = method_label(method);
        self.requests.with_label_values(&[route, method, status_label(status)]).inc();
        self.durations.with_label_values(&[route, method]).observe(seconds);
    }

    /// One login.
    pub fn login(&self, outcome: LoginOutcome) {
        self.logins.with_label_values(&[outcome.label()]).inc();
    }

    /// One refresh.
    pub fn refresh(&self, outcome: RefreshOutcome) {
        self.refreshes.with_label_values(&[outcome.label()]).inc();
    }

    /// One 429.
    pub fn refusal(&self, why: Refusal) {
        self.refusals.with_label_values(&[why.label()]).inc();
    }

    /// The outbox as the sender counted it after its turn (counted there, off the async
    /// workers, so a scrape never waits on the database).
    pub fn outbox(&self, counts: domain::OutboxCounts) {
        for state in domain::MailState::ALL {
            self.outbox.with_label_values(&[state.as_str()]).set(i64::try_from(counts.of(state)).unwrap_or(i64::MAX));
        }
    }

    /// The Prometheus text exposition of every series now.
    pub fn render(&self) -> String {
        let (in_use, idle) = (self.pool_sample)();
        self.pool.with_label_values(&["in_use"]).set(in_use);
        self.pool.with_label_values(&["idle"]).set(idle);
        let (running, queued) = (self.checks_sample)();
        self.checks_running.set(running);
        self.checks_queued.set(queued);
        let mut text = Vec::new();
        // Encoding gathered families into a Vec cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut text);
        String::from_utf8(text).unwrap_or_default()
    }
}

/// The status as a label without allocating (every status the server sends is 3 digits).
/// The method's label: one of HTTP's common methods, or `other` for anything else a client
/// may invent (HTTP lets a request name any token as its method).
fn method_label(method: &actix_web::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

fn status_label(status: u16) -> &'static str {
    const LABELS: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];
    match status {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        304 => "304",
        308 => "308",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        503 => "503",
        s => LABELS[usize::from((s / 100).clamp(1, 6)) - 1],
    }
}
