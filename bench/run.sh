#!/usr/bin/env bash
# `just bench`: builds the release binary, runs it on a fresh SQLite file (and on a fresh
# PostgreSQL database when TEST_POSTGRES_URL is set), seeds it over HTTP, drives it with wrk over
# loopback, prints one table with the budget verdicts of issue 6 and writes them with a
# description of the machine to bench/results/<UTC timestamp>.md.
#
# Settings (environment):
#   BENCH_DURATION     seconds per wrk run (default 5)
#   BENCH_BCRYPT_COST  the configured bcrypt cost (default 12, the production default); login
#                      is also measured at cost 10 on a restart of the server
#   BENCH_CONNS        the connection counts (default "16 64")
#   BENCH_FLOOD_CONNS  connections of the login flood that runs beside /users/me (default 32)
#   TEST_POSTGRES_URL  e.g. postgres://postgres@127.0.0.1:5432/postgres: a fresh database is
#                      created next to the one it names, used, and dropped
#   BENCH_MFA_DURATION seconds of the /auth/login/mfa run (default 3); BENCH_MFA_CONNS its
#                      connection counts (default 16)
#   BENCH_IDLE_WAIT    seconds of rest before the idle RSS after the load is read (default 12:
#                      tokio ends idle blocking threads after 10 s)
#   BENCH_KEEP=1       keep the scratch folder (server logs, raw results) instead of deleting it
#
# Progress goes to standard error, the results (Markdown) to standard output. The whole run
# takes about 21 × BENCH_DURATION + 90 s per backend, plus the build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
HELPER=$BENCH/bench.py
BIN=$ROOT/target/release/gatehouse
HASH_TIME=$ROOT/target/release/examples/hash_time

DURATION=${BENCH_DURATION:-5}
COST=${BENCH_BCRYPT_COST:-12}
LOW_COST=10
read -r -a CONNS <<<"${BENCH_CONNS:-16 64}"
FLOOD_CONNS=${BENCH_FLOOD_CONNS:-32}
CORES=$(nproc)
CLK_TCK=$(getconf CLK_TCK)
PASSWORD=bench-password-0123456789 # what every seeded account uses (not a secret)
LOGIN_USERS=8                       # accounts the login runs cycle through
MINT_USERS=4                        # accounts the refresh tokens are minted on (≤ 90 sessions each)
MFA_DURATION=${BENCH_MFA_DURATION:-3} # seconds of the second-step run (each request needs an account)
MFA_ACCOUNTS=$((4000 * MFA_DURATION)) # more than the run uses on this machine (about 2,500/s), so the pool never runs dry
read -r -a MFA_CONNS <<<"${BENCH_MFA_CONNS:-16}"

# The server's settings come from this script alone: inherited APP__* and log filters go.
while IFS='=' read -r name _; do
    [[ $name == APP__* ]] && unset "$name"
done < <(env)
unset RUST_LOG DATABASE_URL SECRET_KEY APP_ENV APP_CONFIG_DIR

# The interpreter itself, not a version manager's shim in front of it (much faster to start).
PY=$(python3 -c 'import sys; print(sys.executable)')

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bench.XXXXXX")
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
SERVER_PID=""
FLOOD_PID=""
PG_ADMIN_URL=""
PG_DB=""

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

cleanup() {
    local status=$?
    # The flood's wrk, if any, stops by itself at the end of its duration.
    if [[ -n $FLOOD_PID ]]; then kill "$FLOOD_PID" 2>/dev/null || true; fi
    stop_server
    if [[ -n $PG_DB ]]; then
        psql "$PG_ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
            log "could not drop the PostgreSQL database $PG_DB"
    fi
    if [[ ${BENCH_KEEP:-0} == 1 || $status -ne 0 ]]; then
        log "scratch files (server logs, raw results) kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_wrk() {
    command -v wrk >/dev/null && return
    log "wrk is missing: installing Debian's package"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

status_kib() { awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"; }

metric() { # backend name value
    printf '{"backend":"%s","metric":"%s","value":%s}\n' "$1" "$2" "$3" >>"$RESULTS"
}

micros() { local t=$EPOCHREALTIME; printf '%s' "${t//[!0-9]/}"; } # wall clock, no process started

# wait_ready T0_MICROS: polls GET /health with bash's own /dev/tcp, so no process start (a Python
# interpreter takes longer than the server) sits in the measured time; prints the milliseconds
# from T0 to the first 200.
wait_ready() {
    local t0=$1 line now
    while (($(micros) - t0 < 30000000)); do
        kill -0 "$SERVER_PID" 2>/dev/null || { log "the server exited before it was ready: see $WORK"; return 1; }
        if { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null; then
            printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
            IFS= read -r -t 2 line <&3 || line=""
            now=$(micros)
            exec 3<&- 3>&-
            if [[ $line == "HTTP/1.1 200"* ]]; then
                printf '%d.%d\n' $(((now - t0) / 1000)) $(((now - t0) % 1000 / 100))
                return 0
            fi
        fi
        sleep 0.002
    done
    log "no 200 on /health within 30 s"
    return 1
}

# start_server LABEL COST DATABASE_URL READY_METRIC: starts the server in the scratch folder
# (no .env, no data/ of the checkout), records the time to the first 200 on /health.
start_server() {
    local label=$1 cost=$2 url=$3 ready_metric=$4
    PORT=$(free_port)
    local t0 ready
    t0=$(micros)
    (
        cd "$WORK"
        exec env APP_ENV=test APP_CONFIG_DIR="$ROOT/config" SECRET_KEY="$SECRET" DATABASE_URL="$url" \
            APP__SERVER__HOST=127.0.0.1 APP__SERVER__PORT="$PORT" APP__RATE_LIMIT__ENABLED=false \
            APP__AUTH__BCRYPT_COST="$cost" APP__LOG__LEVEL=warn "$BIN" serve
    ) >>"$WORK/server-$label.log" 2>&1 &
    SERVER_PID=$!
    ready=$(wait_ready "$t0")
    metric "$BACKEND" "$ready_metric" "$ready"
    log "$BACKEND: server (bcrypt cost $cost) pid $SERVER_PID on port $PORT, first 200 after $ready ms"
    sleep 1
}

# CPU time in clock ticks (user + system): of the server (every thread); of this shell's
# finished children, so of wrk once it has ended; and of the whole machine (every CPU, without
# idle, I/O wait and softirq, which is mostly the loopback traffic of the run itself).
cpu_server() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
cpu_children() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
cpu_machine() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $9 }' /proc/stat; }

# run_wrk CASE CONNS SCRIPT PATH [SCRIPT ARGS...]: one wrk run, its summary appended to RESULTS
# with the CPU time the server, wrk and everything else used during it (not when SHARED_CPU=1:
# another run is going on beside it).
run_wrk() {
    local case=$1 conns=$2 script=$3 path=$4
    shift 4
    local threads=$((conns < CORES ? conns : CORES)) out json cpu=null server0 children0 machine0 t0
    server0=$(cpu_server) children0=$(cpu_children) machine0=$(cpu_machine) t0=$(micros)
    out=$(BENCH_LUA_DIR="$BENCH/lua" wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 30s \
        -s "$BENCH/lua/$script" "http://127.0.0.1:$PORT$path" -- "$@" 2>&1) || {
        printf '%s\n' "$out" >&2
        log "wrk failed for $case"
        return 1
    }
    if [[ ${SHARED_CPU:-0} != 1 ]]; then
        cpu=$(printf '{"server":%d,"wrk":%d,"machine":%d,"wall_us":%d,"clk_tck":%d,"cores":%d}' \
            $(($(cpu_server) - server0)) $(($(cpu_children) - children0)) $(($(cpu_machine) - machine0)) \
            $(($(micros) - t0)) "$CLK_TCK" "$CORES")
    fi
    json=$(sed -n 's/^BENCH_JSON //p' <<<"$out")
    [[ -n $json ]] || { printf '%s\n' "$out" >&2; log "wrk printed no summary for $case"; return 1; }
    printf '{"backend":"%s","case":"%s","conns":%s,"cpu":%s,"wrk":%s}\n' \
        "$BACKEND" "$case" "$conns" "$cpu" "$json" >>"$RESULTS"
    log "$BACKEND: $case, $conns conns: $json"
}

# drain EMAILS: wait until logins a finished run left queued in the server are through.
drain() {
    local seconds
    seconds=$("$PY" "$HELPER" drain --port "$PORT" --email "${1%%,*}" --password "$PASSWORD")
    log "$BACKEND: password-check queue drained in $seconds s"
}

# hash_rate COST: what the CPU offers bcrypt right now (all cores hashing, server idle), to read
# the login figures against when other processes share the machine.
hash_rate() {
    local line
    line=$("$HASH_TIME" "$1" "$CORES")
    metric "$BACKEND" "hash_rate_cost_$1" "$(sed -n 's/.* per_s=\([0-9.]*\).*/\1/p' <<<"$line")"
    log "$BACKEND: $line"
}

peak_rss() { # the largest VmHWM of this backend's server processes
    local kib
    kib=$(status_kib "$SERVER_PID" VmHWM)
    PEAK_KIB=$((kib > ${PEAK_KIB:-0} ? kib : ${PEAK_KIB:-0}))
}

# bench_backend NAME DATABASE_URL: the whole sequence on one database.
bench_backend() {
    BACKEND=$1
    local url=$2 n
    PEAK_KIB=0

    # 1. Fresh database, bcrypt cost 10: start-up, idle memory, login at cost 10, and the
    #    refresh tokens (minted here because a login at cost 10 is 4x cheaper than at 12).
    start_server "$BACKEND-cost$LOW_COST" "$LOW_COST" "$url" ready_ms_fresh
    metric "$BACKEND" rss_idle_start_kib "$(status_kib "$SERVER_PID" VmRSS)"
    local login_low mint_users
    login_low=$("$PY" "$HELPER" register --port "$PORT" --prefix "login$LOW_COST" --count "$LOGIN_USERS" --password "$PASSWORD")
    mint_users=$("$PY" "$HELPER" register --port "$PORT" --prefix mint --count "$MINT_USERS" --password "$PASSWORD")
    for n in "${CONNS[@]}"; do
        "$PY" "$HELPER" mint --port "$PORT" --emails "$mint_users" --password "$PASSWORD" \
            --count $((2 * n + 2 * CORES)) --out "$WORK/refresh-$BACKEND-$n.txt"
    done
    log "$BACKEND: seeded; refresh tokens minted"
    hash_rate "$LOW_COST"
    for n in "${CONNS[@]}"; do
        BENCH_LOGIN_USERS=$login_low BENCH_PASSWORD=$PASSWORD run_wrk "POST /auth/login (bcrypt cost $LOW_COST)" "$n" login.lua /auth/login
        drain "$login_low"
    done
    peak_rss
    stop_server

    # 2. Restart on the same database at the configured cost: everything else.
    start_server "$BACKEND-cost$COST" "$COST" "$url" ready_ms_restart
    local login_main fixtures
    login_main=$("$PY" "$HELPER" register --port "$PORT" --prefix "login$COST" --count "$LOGIN_USERS" --password "$PASSWORD")
    fixtures=$("$PY" "$HELPER" fixtures --port "$PORT" --prefix owner --password "$PASSWORD")
    local token list_project create_project pat
    { read -r token; read -r list_project; read -r create_project; read -r pat; } <<<"$fixtures"
    log "$BACKEND: seeded accounts, a project of 20 tasks and an empty project"
    sleep 1
    metric "$BACKEND" rss_idle_seeded_kib "$(status_kib "$SERVER_PID" VmRSS)"

    for n in "${CONNS[@]}"; do run_wrk "GET /health" "$n" get.lua /health; done
    for n in "${CONNS[@]}"; do BENCH_TOKEN=$token run_wrk "GET /users/me" "$n" get.lua /users/me; done
    for n in "${CONNS[@]}"; do BENCH_TOKEN=$pat run_wrk "GET /users/me (personal access token)" "$n" get.lua /users/me; done
    for n in "${CONNS[@]}"; do
        BENCH_TOKEN=$pat BENCH_SUBJECT=$token run_wrk "POST /auth/introspect (access token)" "$n" introspect.lua /auth/introspect
    done
    for n in "${CONNS[@]}"; do
        BENCH_TOKEN=$token run_wrk "GET /projects/{id}/tasks (20 items)" "$n" get.lua "/projects/$list_project/tasks"
    done
    for n in "${CONNS[@]}"; do
        BENCH_TOKEN=$token run_wrk "POST /projects/{id}/tasks" "$n" create_task.lua "/projects/$create_project/tasks"
    done
    for n in "${CONNS[@]}"; do
        run_wrk "POST /auth/refresh" "$n" refresh.lua /auth/refresh "$WORK/refresh-$BACKEND-$n.txt" "$((n < CORES ? n : CORES))"
    done
    hash_rate "$COST"
    for n in "${CONNS[@]}"; do
        BENCH_LOGIN_USERS=$login_main BENCH_PASSWORD=$PASSWORD run_wrk "POST /auth/login (bcrypt cost $COST)" "$n" login.lua /auth/login
        drain "$login_main"
    done

    # /users/me while a login flood keeps every hashing permit busy. The flood starts first and
    # outlasts the /users/me runs; its own figures are recorded too.
    local flood_seconds=$((${#CONNS[@]} * (DURATION + 1) + 3))
    (
        DURATION=$flood_seconds CORES=1 SHARED_CPU=1 BENCH_LOGIN_USERS=$login_main BENCH_PASSWORD=$PASSWORD \
            run_wrk "POST /auth/login (bcrypt cost $COST), the flood" "$FLOOD_CONNS" login.lua /auth/login
    ) &
    FLOOD_PID=$!
    sleep 2
    for n in "${CONNS[@]}"; do SHARED_CPU=1 BENCH_TOKEN=$token run_wrk "GET /users/me during login flood" "$n" get.lua /users/me; done
    metric "$BACKEND" threads_under_load "$(awk '$1 == "Threads:" { print $2 }' "/proc/$SERVER_PID/status")"
    wait "$FLOOD_PID"
    FLOOD_PID=""
    drain "$login_main"

    peak_rss
    sleep "${BENCH_IDLE_WAIT:-12}"
    metric "$BACKEND" rss_idle_end_kib "$(status_kib "$SERVER_PID" VmRSS)"
    metric "$BACKEND" rss_peak_kib "$PEAK_KIB"
    stop_server

    # 3. Restart at bcrypt cost 4: the second step of two-step sign-in, without the password's
    #    hash in it. Each request needs an account of its own (a code works once per account and
    #    step), so the accounts are enrolled and their mfa_tokens minted just before the run.
    start_server "$BACKEND-second-step" 4 "$url" ready_ms_second_step
    for n in "${MFA_CONNS[@]}"; do
        "$PY" "$HELPER" mfa --port "$PORT" --prefix "two-step-$n" --count "$MFA_ACCOUNTS" --password "$PASSWORD" \
            --out "$WORK/second-step-$BACKEND-$n.txt"
        log "$BACKEND: $MFA_ACCOUNTS accounts with two-step sign-in on, each with an mfa_token"
        DURATION=$MFA_DURATION run_wrk "POST /auth/login/mfa (TOTP code)" "$n" second_step.lua /auth/login/mfa \
            "$WORK/second-step-$BACKEND-$n.txt" "$((n < CORES ? n : CORES))"
    done
    stop_server
}

# ---------------------------------------------------------------------------------------------

ensure_wrk
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "building the release binary and the bcrypt timer"
(cd "$ROOT" && cargo build --release --quiet -p http-actix --bin gatehouse)
(cd "$ROOT" && cargo build --release --quiet -p infra-crypto --example hash_time)

# The bcrypt bound of this run: one check on one thread, while no server runs.
for cost in "$COST" "$LOW_COST"; do
    line=$("$HASH_TIME" "$cost")
    ms=$(sed -n 's/.* median_ms=\([0-9.]*\).*/\1/p' <<<"$line")
    metric "" "hash_ms_cost_$cost" "$ms"
    log "$line"
done

# What the login's audit event adds to the write that carries it (issue 14), while no server runs.
audit_cost() { # backend
    local line
    line=$(cd "$ROOT" && cargo run --release --quiet -p infra-diesel --example audit_write_cost -- "$1" 5000)
    log "$line"
    for q in p50 p99; do
        local with without
        with=$(sed -n "s/.* with_${q}_us=\([0-9.-]*\).*/\1/p" <<<"$line")
        without=$(sed -n "s/.* without_${q}_us=\([0-9.-]*\).*/\1/p" <<<"$line")
        metric "$1" "login_event_added_${q}_us" "$((with - without))"
    done
}
audit_cost sqlite
[[ -n ${TEST_POSTGRES_URL:-} ]] && audit_cost postgres

bench_backend sqlite "sqlite://$WORK/gatehouse.db"

if [[ -n ${TEST_POSTGRES_URL:-} ]]; then
    command -v psql >/dev/null || { log "TEST_POSTGRES_URL is set but psql is missing"; exit 1; }
    PG_ADMIN_URL=$TEST_POSTGRES_URL
    PG_DB="gatehouse_bench_$(date +%s)_$$"
    psql "$PG_ADMIN_URL" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    bench_backend postgres "$("$PY" "$HELPER" pgurl --url "$PG_ADMIN_URL" --database "$PG_DB")"
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH/results"
DIRTY=0
git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || DIRTY=1
META=$(
    COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) DIRTY=$DIRTY CORES=$CORES \
        LOAD_START=$LOAD_START LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg) WRK_VERSION=$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) \
        DURATION=$DURATION COST=$COST LOW_COST=$LOW_COST KERNEL=$(uname -r) "$PY" -c '
import json, os, time
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
e = os.environ
print(json.dumps({
    "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "commit": e["COMMIT"], "dirty": e["DIRTY"],
    "cores": e["CORES"], "cpu": cpu, "memory": f"{mem / 1048576:.0f} GiB RAM", "kernel": e["KERNEL"],
    "load_start": e["LOAD_START"], "load_end": e["LOAD_END"], "wrk": e["WRK_VERSION"], "wrk_threads": "min(cores, conns)",
    "duration": e["DURATION"], "bcrypt_cost": e["COST"], "low_cost": e["LOW_COST"],
}))'
)
"$PY" "$HELPER" report --results "$RESULTS" --meta "$META" --out "$BENCH/results/$STAMP.md"
log "written to bench/results/$STAMP.md"
