#!/usr/bin/env bash
# `just bench-metrics`: what recording the Prometheus metrics costs on GET /users/me. One
# release server on a fresh SQLite file per round, metrics off and on alternating (so drift of
# the machine hits both alike), each driven by wrk over loopback; prints a Markdown table and
# writes it to bench/results/<UTC time>-metrics.md. Each run also gives the server's CPU time
# per answer (user + system from /proc, ÷ answers), which moves far less than req/s when the
# machine's other work drifts; the summary compares the medians of both with the spread of
# runs of the same kind, so "no measurable cost" means a difference inside that spread. A
# first run of each kind warms the machine up and is not counted. On a machine as noisy as a
# shared 2-core VM that spread is wide, so when valgrind is installed the script also counts
# the server's instructions per answer under callgrind (deterministic to a few tenths of a per
# cent, but blind to cache and atomic contention), off and on, twice each.
#
# Settings (environment): BENCH_DURATION (seconds per run, default 10), BENCH_ROUNDS (default
# 5), BENCH_CONNS (default 64).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/gatehouse
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-5}
CONNS=${BENCH_CONNS:-64}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-metrics.XXXXXX")
SERVER_PID=""
trap '[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { echo "wrk is needed" >&2; exit 1; }; }
(cd "$ROOT" && cargo build --release -q -p http-actix)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The server's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run LABEL METRICS_PORT_OR_EMPTY: one server, one seeded user, one wrk run; prints a table row
# (label, conns, req/s, p99, server CPU µs per answer).
run() {
    local label=$1 metrics=$2 port db
    port=$(free_port)
    db="$WORK/$label.db"
    (
        cd "$WORK"
        exec env APP_ENV=test SECRET_KEY=bench-secret-of-at-least-thirty-two-bytes DATABASE_URL="sqlite://$db" \
            APP__SERVER__PORT="$port" APP__RATE_LIMIT__ENABLED=false APP__AUTH__BCRYPT_COST=4 APP__LOG__LEVEL=warn \
            ${metrics:+APP__METRICS__PORT=$metrics} "$BIN" serve
    ) >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    curl -fs -H 'content-type: application/json' -d '{"email":"m@x.io","password":"bench-password-1","name":"M"}' \
        "http://127.0.0.1:$port/auth/register" >/dev/null
    local token
    token=$(curl -fs -H 'content-type: application/json' -d '{"email":"m@x.io","password":"bench-password-1"}' \
        "http://127.0.0.1:$port/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    local out before after
    before=$(cpu_ticks "$SERVER_PID")
    out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/users/me")
    after=$(cpu_ticks "$SERVER_PID")
    if [[ -n $metrics ]]; then
        # Read whole first: `grep -q` stops early, and curl's broken pipe would fail the pipeline.
        local scraped
        scraped=$(curl -fs "http://127.0.0.1:$metrics/metrics")
        grep -q 'route="/users/me"' <<<"$scraped" || { echo "metrics recorded nothing" >&2; exit 1; }
    fi
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    local rps p99 answers cpu_us
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    answers=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu_us=$(awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$answers" 'BEGIN {printf "%.2f", t * 1e6 / hz / n}')
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$CONNS" "$rps" "$p99" "$cpu_us"
}

# callgrind LABEL METRICS_PORT_OR_EMPTY: user-space instructions per answer, counted by
# callgrind from after a warm-up to the end of a fixed-length wrk run.
callgrind() {
    local label=$1 metrics=$2 port dir vpid token out answers ir
    port=$(free_port)
    dir="$WORK/cg-$label"
    mkdir -p "$dir"
    (
        cd "$dir"
        exec env APP_ENV=test SECRET_KEY=bench-secret-of-at-least-thirty-two-bytes DATABASE_URL="sqlite://$dir/b.db" \
            APP__SERVER__PORT="$port" APP__RATE_LIMIT__ENABLED=false APP__AUTH__BCRYPT_COST=4 APP__LOG__LEVEL=warn \
            ${metrics:+APP__METRICS__PORT=$metrics} valgrind --tool=callgrind --instr-atstart=no \
            --callgrind-out-file="$dir/cg.out" "$BIN" serve
    ) >>"$WORK/server.log" 2>&1 &
    vpid=$!
    for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
    curl -fs -H 'content-type: application/json' -d '{"email":"m@x.io","password":"bench-password-1","name":"M"}' \
        "http://127.0.0.1:$port/auth/register" >/dev/null
    token=$(curl -fs -H 'content-type: application/json' -d '{"email":"m@x.io","password":"bench-password-1"}' \
        "http://127.0.0.1:$port/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    wrk -t1 -c4 -d3s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/users/me" >/dev/null
    callgrind_control -i on "$vpid" >/dev/null 2>&1
    out=$(wrk -t1 -c4 -d8s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/users/me")
    callgrind_control -i off "$vpid" >/dev/null 2>&1
    callgrind_control -d "$vpid" >/dev/null 2>&1
    sleep 1
    answers=$(awk '/requests in/ {print $1}' <<<"$out")
    ir=$(cat "$dir"/cg.out.* | awk '/^(summary|totals):/ {s += $2} END {print s}')
    kill "$vpid"; wait "$vpid" 2>/dev/null || true
    printf '| %s | %s | %s |\n' "$label" "$answers" "$((ir / answers))"
}

# summary TABLE: the medians of off and on, their difference, and each kind's spread.
summary() {
    python3 - "$1" <<'PY'
import statistics, sys
rows = [l.strip("|").split("|") for l in open(sys.argv[1]) if l.startswith("| o")]
runs = {kind: [(float(r[2]), float(r[4])) for r in rows if r[0].strip().startswith(kind + "-") and not r[0].strip().endswith("-0")] for kind in ("off", "on")}
def stat(kind, i):
    values = [v[i] for v in runs[kind]]
    m = statistics.median(values)
    return m, (max(values) - min(values)) / m
(off_rps, off_rps_spread), (on_rps, on_rps_spread) = stat("off", 0), stat("on", 0)
(off_cpu, off_cpu_spread), (on_cpu, on_cpu_spread) = stat("off", 1), stat("on", 1)
rps_cost, cpu_cost = 1 - on_rps / off_rps, on_cpu / off_cpu - 1
print(f"\nMedians of {len(runs['off'])} runs each (warm-up runs -0 left out):\n")
print(f"- req/s: off {off_rps:,.0f}, on {on_rps:,.0f}: recording costs {rps_cost:+.1%} of throughput; spread of runs of one kind {off_rps_spread:.1%} (off), {on_rps_spread:.1%} (on)")
print(f"- server CPU per answer: off {off_cpu:.2f} µs, on {on_cpu:.2f} µs: {cpu_cost:+.1%}; spread {off_cpu_spread:.1%} (off), {on_cpu_spread:.1%} (on)")
within = abs(rps_cost) <= max(off_rps_spread, on_rps_spread) and abs(cpu_cost) <= max(off_cpu_spread, on_cpu_spread)
print(f"- {'PASS' if within else 'FAIL'}  the cost is within the run-to-run spread (not measurable on this machine)")
PY
}

{
    printf '# Metrics on and off: GET /users/me (SQLite)\n\n'
    printf '%s, %s cores, wrk %s s per run, %s rounds, alternating.\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$DURATION" "$ROUNDS"
    printf '| run | conns | req/s | p99 | server CPU µs/answer |\n|---|---:|---:|---:|---:|\n'
    for round in $(seq 0 "$ROUNDS"); do
        run "off-$round" ""
        run "on-$round" "$(free_port)"
    done
} | tee "$WORK/table.md"
summary "$WORK/table.md" | tee -a "$WORK/table.md"
if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
    {
        printf '\n## Instructions per answer (callgrind, 4 connections, 8 s)\n\n| run | answers | instructions/answer |\n|---|---:|---:|\n'
        for round in 1 2; do
            callgrind "off-$round" ""
            callgrind "on-$round" "$(free_port)"
        done
    } | tee -a "$WORK/table.md"
else
    echo "valgrind is not installed: no instruction counts" | tee -a "$WORK/table.md"
fi
mkdir -p "$ROOT/bench/results"
cp "$WORK/table.md" "$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-metrics.md"
