#!/usr/bin/env bash
# `just bench-metrics`: what recording the Prometheus metrics costs on GET /users/me. One
# release server on a fresh SQLite file per round, metrics off and on alternating (so drift of
# the machine hits both alike), each driven by wrk over loopback; prints a Markdown table and
# writes it to bench/results/<UTC time>-metrics.md.
#
# Settings (environment): BENCH_DURATION (seconds per run, default 10), BENCH_ROUNDS (default
# 3), BENCH_CONNS (default 64).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/gatehouse
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-64}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-metrics.XXXXXX")
SERVER_PID=""
trap '[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { echo "wrk is needed" >&2; exit 1; }; }
(cd "$ROOT" && cargo build --release -q -p http-actix)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# run LABEL METRICS_PORT_OR_EMPTY: one server, one seeded user, one wrk run; prints req/s and p99 ms.
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
    local out
    out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/users/me")
    if [[ -n $metrics ]]; then
        curl -fs "http://127.0.0.1:$metrics/metrics" | grep -q 'route="/users/me"' || { echo "metrics recorded nothing" >&2; exit 1; }
    fi
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    local rps p99
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    printf '| %s | %s | %s | %s |\n' "$label" "$CONNS" "$rps" "$p99"
}

{
    printf '# Metrics on and off: GET /users/me (SQLite)\n\n'
    printf '%s, %s cores, wrk %s s per run, %s rounds, alternating.\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$DURATION" "$ROUNDS"
    printf '| run | conns | req/s | p99 |\n|---|---:|---:|---:|\n'
    for round in $(seq "$ROUNDS"); do
        run "off-$round" ""
        run "on-$round" "$(free_port)"
    done
} | tee "$WORK/table.md"
mkdir -p "$ROOT/bench/results"
cp "$WORK/table.md" "$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-metrics.md"
