#!/usr/bin/env bash
# `just profile`: where the server's CPU goes for GET /health, GET /users/me and the 20-task
# list, on a fresh SQLite file: server CPU and context switches per answer, and (when `perf`
# works here) the share of the samples by kind of work: kernel (TCP, scheduler, futex), SQLite,
# diesel, allocation, JSON, ... It is how the budget lines that `just bench` cannot meet on the
# 2-core machine are explained; the Markdown goes to standard output and to
# bench/results/<UTC timestamp>-profile.md.
#
# Settings (environment): PROFILE_DURATION seconds of load per endpoint (default 8),
# PROFILE_CONNS connections (default 64).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/target/release/gatehouse
DURATION=${PROFILE_DURATION:-8}
CONNS=${PROFILE_CONNS:-64}
PASSWORD=bench-password-0123456789 # what the seeded account uses (not a secret)
PY=$(python3 -c 'import sys; print(sys.executable)')
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-profile.XXXXXX")
SERVER_PID=""
trap '[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

log() { printf '[profile %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

command -v wrk >/dev/null || { log "wrk is missing: run just bench once (it installs it)"; exit 1; }
PERF=1
if ! command -v perf >/dev/null || ! perf record -q -o "$WORK/probe.data" -- true 2>/dev/null; then
    log "perf is missing or not allowed here: only CPU time and context switches are reported"
    PERF=0
fi

log "building the release binary"
(cd "$ROOT" && cargo build --release --quiet -p http-actix --bin gatehouse)

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
    cd "$WORK"
    exec env APP_ENV=test APP_CONFIG_DIR="$ROOT/config" SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
        DATABASE_URL="sqlite://$WORK/gatehouse.db" APP__SERVER__HOST=127.0.0.1 APP__SERVER__PORT="$PORT" \
        APP__RATE_LIMIT__ENABLED=false APP__AUTH__BCRYPT_COST=4 APP__LOG__LEVEL=warn "$BIN" serve
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
{ read -r TOKEN; read -r LIST; read -r _; } < <("$PY" "$ROOT/bench/bench.py" fixtures --port "$PORT" --prefix profile --password "$PASSWORD")

switches() { # voluntary + involuntary context switches of every server thread
    cat /proc/"$SERVER_PID"/task/*/status | awk '/^(nonv|v)oluntary_ctxt_switches/ { n += $2 } END { print n }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }

# Sorts perf's symbols into kinds of work and prints one Markdown row of percentages.
categorise() {
    perf report -i "$1" --no-children --sort dso,sym 2>/dev/null | "$PY" -c '
import re, sys
kinds = [
    ("kernel", lambda dso, sym: dso.startswith("[kernel")),
    ("SQLite", lambda dso, sym: re.search(r"^sqlite3|^yy_|^pcache|Vdbe|^resolve|^walk|^unix|Btree|^where|Expr|^select", sym, re.I)),
    ("diesel", lambda dso, sym: "diesel" in sym),
    ("chrono", lambda dso, sym: "chrono" in sym),
    ("JSON", lambda dso, sym: "serde" in sym),
    ("allocation", lambda dso, sym: re.search(r"malloc|free|^_?mi_|realloc|calloc|unlink_chunk", sym)),
    ("actix, tokio", lambda dso, sym: re.search(r"actix|tokio|mio::|h1::|http::", sym)),
]
share = {name: 0.0 for name, _ in kinds}
share["other"] = 0.0
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)", line)
    if not m:
        continue
    pct, dso, sym = float(m.group(1)), m.group(2), m.group(3)
    name = next((name for name, test in kinds if test(dso, sym)), "other")
    share[name] += pct
print(" | ".join(f"{share[name]:.0f} %" for name in [k for k, _ in kinds] + ["other"]))
'
}

ROWS=()
for case in "GET /health|/health" "GET /users/me|/users/me" "GET /projects/{id}/tasks (20 items)|/projects/$LIST/tasks"; do
    name=${case%%|*} path=${case#*|}
    log "$name: $CONNS connections for $DURATION s"
    s0=$(switches) c0=$(cpu_ticks)
    wrk -t2 -c"$CONNS" -d"$DURATION" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path" >"$WORK/wrk.txt" &
    wrk_pid=$!
    breakdown="– | – | – | – | – | – | – | –"
    if ((PERF)); then
        sleep 1
        perf record -q -F 999 -p "$SERVER_PID" -o "$WORK/perf.data" -- sleep $((DURATION - 2)) 2>/dev/null
        breakdown=$(categorise "$WORK/perf.data")
    fi
    wait "$wrk_pid"
    s1=$(switches) c1=$(cpu_ticks)
    rps=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk.txt")
    total=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")
    row=$("$PY" -c "print(f'{$rps:,.0f} | {($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / $total:.0f} | {($s1 - $s0) / $total:.2f}')")
    ROWS+=("| \`$name\` | $row | $breakdown |")
done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/$STAMP-profile.md
{
    echo "# Gatehouse profile, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo
    echo "- commit: \`$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)\`; $(nproc) cores; load average before the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- release build on a fresh SQLite file, wrk with 2 threads and $CONNS connections over loopback, $DURATION s per endpoint; perf samples of the server process at 999 Hz"
    echo
    echo "| endpoint | req/s | server CPU µs/req | context switches/req | kernel | SQLite | diesel | chrono | JSON | allocation | actix, tokio | other |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
} | tee "$OUT"
log "written to bench/results/$STAMP-profile.md"
