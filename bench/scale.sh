#!/usr/bin/env bash
# `just bench-scale`: throughput of GET /users/me and of task creation with one, two and three
# Gatehouse instances on one local PostgreSQL database, driven by wrk over loopback (its threads
# spread over the instances, bench/lua/spread.lua); then, on one instance, what the shared
# defences (the per-client limit and the lockout, counters in the database) cost a login and
# /users/me, against the same server with both off. Writes bench/results/<UTC time>-scale.md.
#
# Settings (environment):
#   TEST_POSTGRES_URL  the server to use (default postgres://postgres@127.0.0.1:5432/test); a
#                      fresh database is created next to the one it names, and dropped
#   BENCH_DURATION     seconds per wrk run (default 5)
#   BENCH_CONNS        connections per run, spread over the instances (default 48)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/gatehouse
DURATION=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-48}
ADMIN_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
DB=gh_scale_$(date +%s)
DB_URL="${ADMIN_URL%/*}/$DB"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-scale.XXXXXX")
PIDS=()
export BENCH_LUA_DIR=$ROOT/bench/lua

log() { printf '[scale %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
stop_all() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
cleanup() {
    stop_all
    psql "$ADMIN_URL" -qX -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
log "building the release binary"
cargo build --release --quiet -p http-actix --manifest-path "$ROOT/Cargo.toml"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 40)
ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)

# start N [VAR=VALUE...]: N instances on the database (with extra settings), their ports in PORTS.
start() {
    local count=$1
    shift
    PORTS=()
    for n in $(seq "$count"); do
        local port
        port=$(free_port)
        (cd "$WORK" && exec env APP_ENV=production SECRET_KEY="$SECRET" APP__AUTH__ENCRYPTION_KEY="$ENCRYPTION_KEY" DATABASE_URL="$DB_URL" APP__SERVER__PORT="$port" \
            APP__AUTH__BCRYPT_COST=4 APP__RATE_LIMIT__ENABLED=false APP__LOG__LEVEL=warn "$@" "$BIN" serve >"$WORK/server-$n.log" 2>&1) &
        PIDS+=($!)
        PORTS+=("$port")
    done
    for port in "${PORTS[@]}"; do
        for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
    done
}

run() { # SCRIPT PATH: one wrk run over every instance; prints "rps p50 p99"
    BENCH_SCRIPT=$1 BENCH_PORTS="${PORTS[*]}" wrk -t"${#PORTS[@]}" -c"$CONNS" -d"${DURATION}s" -s "$BENCH_LUA_DIR/spread.lua" \
        "http://127.0.0.1:${PORTS[0]}$2" | sed -n 's/^BENCH_JSON //p' |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f %.2f %.2f %d" % (r["rps"], r["p50_ms"], r["p99_ms"], r["non2xx"]))'
}

psql "$ADMIN_URL" -qX -c "CREATE DATABASE \"$DB\"" >/dev/null
ROWS=()
for instances in ${BENCH_INSTANCES:-1 2 3}; do
    log "$instances instance(s)"
    start "$instances"
    email="scale$instances@example.com"
    curl -sf -X POST "http://127.0.0.1:${PORTS[0]}/auth/register" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"bench-password-0123456789\",\"name\":\"Scale\"}" >/dev/null
    export BENCH_TOKEN
    BENCH_TOKEN=$(curl -sf -X POST "http://127.0.0.1:${PORTS[0]}/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"bench-password-0123456789\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    project=$(curl -sf -X POST "http://127.0.0.1:${PORTS[0]}/projects" -H "authorization: Bearer $BENCH_TOKEN" \
        -H 'content-type: application/json' -d '{"name":"scale"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    run get.lua /users/me >/dev/null # warm-up
    read -r me_rps me_p50 me_p99 me_bad <<<"$(run get.lua /users/me)"
    read -r task_rps task_p50 task_p99 task_bad <<<"$(run create_task.lua "/projects/$project/tasks")"
    ROWS+=("| $instances | $me_rps | $me_p50 | $me_p99 | $task_rps | $task_p50 | $task_p99 | $((me_bad + task_bad)) |")
    stop_all
done

# The defences on and off, one instance: logins (bcrypt cost 4, so the counters' share shows)
# cycling through 8 accounts, and /users/me, which the defences do not touch.
DEFENCES=()
export BENCH_PASSWORD=bench-password-0123456789 BENCH_LOGIN_USERS
BENCH_LOGIN_USERS=$(seq -s, -f 'login%g@example.com' 8)
for mode in off on; do
    if [[ $mode == on ]]; then
        start 1 APP__RATE_LIMIT__ENABLED=true APP__RATE_LIMIT__PER_MINUTE=100000000 APP__RATE_LIMIT__BURST=100000000 \
            APP__RATE_LIMIT__FAILED_LOGINS_PER_ACCOUNT=10 APP__RATE_LIMIT__STORE=database
    else
        start 1 APP__RATE_LIMIT__FAILED_LOGINS_PER_ACCOUNT=0
    fi
    log "defences $mode"
    for email in ${BENCH_LOGIN_USERS//,/ }; do
        curl -s -X POST "http://127.0.0.1:${PORTS[0]}/auth/register" -H 'content-type: application/json' \
            -d "{\"email\":\"$email\",\"password\":\"$BENCH_PASSWORD\",\"name\":\"Login\"}" >/dev/null
    done
    run login.lua /auth/login >/dev/null # warm-up
    read -r _ one_p50 one_p99 one_bad <<<"$(CONNS=1 run login.lua /auth/login)"
    read -r login_rps login_p50 login_p99 login_bad <<<"$(run login.lua /auth/login)"
    # After the logins: each account keeps its 100 newest sessions, and this one must live.
    BENCH_TOKEN=$(curl -sf -X POST "http://127.0.0.1:${PORTS[0]}/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"login1@example.com\",\"password\":\"$BENCH_PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    read -r me_rps me_p50 me_p99 me_bad <<<"$(run get.lua /users/me)"
    DEFENCES+=("| $mode | $one_p50 | $one_p99 | $login_rps | $login_p50 | $login_p99 | $me_rps | $me_p99 | $((one_bad + login_bad + me_bad)) |")
    stop_all
done

out=$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-scale.md
{
    echo "# Scale: instances on one PostgreSQL ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
    echo
    echo "wrk, $CONNS connections spread over the instances, ${DURATION} s per run; PostgreSQL on the same machine."
    echo
    echo "| instances | /users/me req/s | p50 ms | p99 ms | task create req/s | p50 ms | p99 ms | non-2xx |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "The per-client limit and the lockout (counters in the database) on and off, one instance; logins at bcrypt cost 4."
    echo
    echo "| defences | login p50 ms, 1 conn | p99 ms, 1 conn | login req/s, $CONNS conns | p50 ms | p99 ms | /users/me req/s | p99 ms | non-2xx |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${DEFENCES[@]}"
} | tee "$out"
log "written to $out"
