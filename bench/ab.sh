#!/usr/bin/env bash
# `just bench-ab REF`: the release server of an older commit (REF, any git ref) against the
# working tree's, side by side on this machine, so a regression is measured as a ratio of two
# runs of the same day instead of across result files of different machines.
#
#   bench/ab.sh e6b8b56
#
# 1. Builds REF's release binary into target/ab/<short sha>/ from a copy of REF's source outside
#    the checkout (git archive into ${TMPDIR:-/tmp}/ab-src-<sha>; the working tree, its index
#    and target/release are untouched; a binary already there is reused; with line tables, for
#    callgrind_annotate), and the working tree's into target/release/ (or, with BENCH_AB_NEW,
#    a second ref like the first). Every cargo command takes /tmp/cargo.lock first, so it never
#    runs beside another build of this checkout. Both binaries are copied into the scratch
#    folder, so a rebuild of target/release during the run cannot swap one of them.
# 2. wrk: BENCH_AB_ROUNDS rounds, the two binaries alternating (ABBA order: old, new, new, old,
#    ...); each run is one server on a fresh SQLite file in its own folder (APP_ENV=test, rate
#    limiting off, bcrypt cost 4, log level warn: settings keys both commits know; each binary
#    reads its own commit's config/), seeded over HTTP by bench.py fixtures (one account, a
#    project of 20 tasks, an empty project), then GET /health, GET /users/me, the 20-task list
#    and task creation, at each connection count of BENCH_AB_CONNS. Per run: req/s, p99 and
#    max latency (wrk, through lua/report.lua), server CPU µs per answer (user + system ticks
#    of /proc/<pid>/stat during the run ÷ answers).
# 3. callgrind (when valgrind is installed and BENCH_AB_CALLGRIND is not 0): user-space
#    instructions per request. One server under `valgrind --tool=callgrind --instr-atstart=no`
#    with one worker (APP__SERVER__WORKERS=1), seeded before instrumentation is switched on;
#    then, for each endpoint, 100 warm-up requests, zero the counters, N1 requests, dump, N2
#    requests, dump: instructions per request = (Ir of the N2 dump − Ir of the N1 dump) ÷
#    (N2 − N1). What is the same in both dumps (the dump itself, the first request's wake-up,
#    timer work that does not depend on the count) cancels. The requests come one at a time
#    over one keep-alive connection from a small Python loop (exact bytes, exact count), so the
#    figure repeats to under 1 %; what still moves it is work on a clock (the SQLite
#    checkpointer's 100 ms turns, the outbox sender's), which grows with the run's wall time
#    and which valgrind's slowness inflates about 50-fold per request: the calls into
#    BENCH_AB_CG_BACKGROUND's functions are counted apart, and the rest (the request path) is
#    the figure to compare. The dump files are kept in the scratch folder with BENCH_AB_KEEP=1,
#    for callgrind_annotate (dumps 1-2 /health, 3-4 /users/me, 5-6 the list, 7-8 creation).
# 4. Prints a Markdown table (per endpoint and measure: REF's median, the working tree's median,
#    new ÷ old, and every run) and writes it with the machine, both commits and the dirty flag
#    to bench/results/<UTC time>-ab-<sha>.md (-ab-<sha>-<new sha>.md with BENCH_AB_NEW).
#
# Settings (environment):
#   BENCH_AB_NEW         a second ref to measure instead of the working tree (built like REF)
#   BENCH_AB_ROUNDS      wrk rounds per binary (default 3)
#   BENCH_AB_CONNS       connection counts (default "16"; e.g. "16 64")
#   BENCH_AB_DURATION    seconds per wrk run (default 5)
#   BENCH_AB_CALLGRIND   0 skips the instruction counts (default 1)
#   BENCH_AB_CG_ROUNDS   callgrind servers per binary (default 1; the count is deterministic)
#   BENCH_AB_CG_LIGHT    N1 N2 for /health and /users/me (default "500 2500")
#   BENCH_AB_CG_HEAVY    N1 N2 for the task list and task creation (default "300 1300")
#   BENCH_AB_CG_BACKGROUND  regex of the functions whose calls are counted apart
#                        (default: the SQLite checkpointer's turn, the in-commit checkpoint,
#                        the outbox sender's turn)
#   BENCH_AB_KEEP=1      keep the scratch folder (server logs, wrk output, callgrind dumps)
#   BENCH_AB_LOCK        1 (default): hold /tmp/cargo.lock while measuring, so builds of this
#                        checkout that take it wait instead of sharing the 2 cores; 0: do not
#
# Takes about 2 × ROUNDS × (4 × conns counts × (DURATION + 2) + 5) s for wrk, plus 2 × 1 min
# for callgrind, plus the builds (about 10 min each on 2 cores when nothing is cached).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
REF=${1:?usage: bench/ab.sh REF (a git ref: commit, tag, branch)}
ROUNDS=${BENCH_AB_ROUNDS:-3}
read -r -a CONNS <<<"${BENCH_AB_CONNS:-16}"
DURATION=${BENCH_AB_DURATION:-5}
CALLGRIND=${BENCH_AB_CALLGRIND:-1}
CG_ROUNDS=${BENCH_AB_CG_ROUNDS:-1}
read -r -a CG_LIGHT <<<"${BENCH_AB_CG_LIGHT:-500 2500}"
read -r -a CG_HEAVY <<<"${BENCH_AB_CG_HEAVY:-300 1300}"
BACKGROUND=${BENCH_AB_CG_BACKGROUND:-'^(infra_diesel::checkpoint::checkpoint|sqlite3WalDefaultHook|domain::services::outbox::OutboxSender::deliver_due)$'}
CORES=$(nproc)
CLK_TCK=$(getconf CLK_TCK)
PASSWORD=bench-password-0123456789 # what the seeded account uses (not a secret)
LOCK=/tmp/cargo.lock                # shared with every other build of this checkout

# The servers' settings come from this script alone: inherited APP__* and log filters go.
while IFS='=' read -r name _; do
    [[ $name == APP__* ]] && unset "$name"
done < <(env)
unset RUST_LOG DATABASE_URL SECRET_KEY APP_ENV APP_CONFIG_DIR

PY=$(python3 -c 'import sys; print(sys.executable)')
SHA=$(git -C "$ROOT" rev-parse --short=7 "$REF^{commit}") || { echo "bench-ab: $REF is not a commit" >&2; exit 2; }
NEW_SHA=""
if [[ -n ${BENCH_AB_NEW:-} ]]; then
    NEW_SHA=$(git -C "$ROOT" rev-parse --short=7 "$BENCH_AB_NEW^{commit}") || { echo "bench-ab: $BENCH_AB_NEW is not a commit" >&2; exit 2; }
    HEAD_SHA=$NEW_SHA DIRTY=0 NEW_TEXT="$BENCH_AB_NEW (\`$NEW_SHA\`)"
else
    HEAD_SHA=$(git -C "$ROOT" rev-parse --short=7 HEAD)
    DIRTY=0
    git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || DIRTY=1
    NEW_TEXT="the working tree (\`$HEAD_SHA\`$( ((DIRTY)) && echo ', with uncommitted changes' || true))"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-ab.XXXXXX")
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
SERVER_PID=""
SRC_MADE=""

log() { printf '[bench-ab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

stop_server() {
    local pid=$SERVER_PID
    SERVER_PID=""
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    stop_server
    [[ -z $SRC_MADE ]] || rm -rf $SRC_MADE
    if [[ ${BENCH_AB_KEEP:-0} == 1 || $status -ne 0 ]]; then
        log "scratch files (server logs, wrk output, callgrind dumps) kept in $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in wrk curl flock git; do
    command -v "$tool" >/dev/null || { log "$tool is needed (wrk: apt-get install wrk)"; exit 1; }
done

# ---------------------------------------------------------------------------------------------
# Builds

# build_ref SHA: REF's release binary in target/ab/SHA/release (with SHA's config/ beside it),
# built from a copy of its source outside the checkout; reused when already there. Line tables
# only (CARGO_PROFILE_RELEASE_DEBUG=line-tables-only): callgrind_annotate can then name the
# file and line of inlined code; debug info does not change the code generated.
build_ref() {
    local sha=$1 dir=$ROOT/target/ab/$1 src=${TMPDIR:-/tmp}/ab-src-$1
    if [[ -x $dir/release/gatehouse && -d $dir/config ]]; then
        log "reusing $sha: target/ab/$sha/release/gatehouse"
        return 0
    fi
    if [[ ! -f $src/Cargo.toml ]]; then
        mkdir -p "$src"
        SRC_MADE+=" $src"
        git -C "$ROOT" archive "$sha" | tar -x -C "$src"
    fi
    log "building $sha from $src into target/ab/$sha (waits for $LOCK)"
    (cd "$src" && CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_TARGET_DIR=$dir \
        flock "$LOCK" cargo build --release --quiet -p http-actix --bin gatehouse)
    rm -rf "$dir/config"
    cp -r "$src/config" "$dir/config"
}

build_ref "$SHA"
OLD_DIR=$ROOT/target/ab/$SHA
if [[ -n $NEW_SHA ]]; then
    build_ref "$NEW_SHA"
    NEW_BIN=$ROOT/target/ab/$NEW_SHA/release/gatehouse NEW_CONFIG=$ROOT/target/ab/$NEW_SHA/config
else
    log "building the working tree (target/release/gatehouse; waits for $LOCK)"
    (cd "$ROOT" && flock "$LOCK" cargo build --release --quiet -p http-actix --bin gatehouse)
    NEW_BIN=$ROOT/target/release/gatehouse NEW_CONFIG=$ROOT/config
fi

# Private copies: a build of target/release by someone else during the run cannot swap them.
mkdir -p "$WORK/old" "$WORK/new"
cp "$OLD_DIR/release/gatehouse" "$WORK/old/gatehouse"
cp -r "$OLD_DIR/config" "$WORK/old/config"
cp "$NEW_BIN" "$WORK/new/gatehouse"
cp -r "$NEW_CONFIG" "$WORK/new/config"
OLD_SUM=$(sha256sum "$WORK/old/gatehouse" | cut -c1-12)
LOCK_FD=""
if [[ ${BENCH_AB_LOCK:-1} == 1 ]]; then
    exec {LOCK_FD}>>"$LOCK"
    log "measuring holds $LOCK (BENCH_AB_LOCK=0 to not): waiting for builds that hold it"
    flock "$LOCK_FD"
fi
NEW_SUM=$(sha256sum "$WORK/new/gatehouse" | cut -c1-12)

# ---------------------------------------------------------------------------------------------
# Servers

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server WHICH(old|new) DIR [WRAPPER...]: one server on a fresh SQLite file in DIR.
# Extra environment: EXTRA_ENV (words NAME=VALUE).
start_server() {
    local which=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    PORT=$(free_port)
    local extra=()
    [[ -n ${EXTRA_ENV:-} ]] && read -r -a extra <<<"$EXTRA_ENV"
    (
        cd "$dir"
        [[ -z $LOCK_FD ]] || exec {LOCK_FD}>&- # the server must not keep the lock after the script
        exec env APP_ENV=test APP_CONFIG_DIR="$WORK/$which/config" SECRET_KEY="$SECRET" \
            DATABASE_URL="sqlite://$dir/gatehouse.db" APP__SERVER__HOST=127.0.0.1 APP__SERVER__PORT="$PORT" \
            APP__RATE_LIMIT__ENABLED=false APP__AUTH__BCRYPT_COST=4 APP__LOG__LEVEL=warn "${extra[@]}" \
            "$@" "$WORK/$which/gatehouse" serve
    ) >>"$dir/server.log" 2>&1 &
    SERVER_PID=$!
    local limit=$((${READY_TIMEOUT:-30} * 10))
    for _ in $(seq "$limit"); do
        kill -0 "$SERVER_PID" 2>/dev/null || { log "$which server exited before it was ready: $dir/server.log"; tail -5 "$dir/server.log" >&2; exit 1; }
        curl -fs -o /dev/null "http://127.0.0.1:$PORT/health" && return 0
        sleep 0.1
    done
    log "$which server: no 200 on /health within ${READY_TIMEOUT:-30} s"
    exit 1
}

# seed: one account, a project of 20 tasks, an empty project (bench.py checks every answer).
seed() {
    { read -r TOKEN; read -r LIST; read -r CREATE; } < <("$PY" "$BENCH/bench.py" fixtures --port "$PORT" --prefix ab --password "$PASSWORD")
    [[ -n $TOKEN && -n $LIST && -n $CREATE ]] || { log "seeding failed"; exit 1; }
}

cpu_server() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }

# The measured cases: name|lua script|path (LIST and CREATE filled in per server).
cases() {
    printf '%s\n' "GET /health|get.lua|/health" "GET /users/me|get.lua|/users/me" \
        "GET /projects/{id}/tasks (20 items)|get.lua|/projects/$LIST/tasks" \
        "POST /projects/{id}/tasks|create_task.lua|/projects/$CREATE/tasks"
}

# wrk_round WHICH ROUND: one server, every case at every connection count.
wrk_round() {
    local which=$1 round=$2 dir=$WORK/wrk-$1-$2
    start_server "$which" "$dir"
    seed
    sleep 1
    local name script path conns threads out json before after
    while IFS='|' read -r name script path; do
        for conns in "${CONNS[@]}"; do
            threads=$((conns < CORES ? conns : CORES))
            before=$(cpu_server)
            out=$(BENCH_LUA_DIR="$BENCH/lua" BENCH_TOKEN=$TOKEN wrk -t"$threads" -c"$conns" -d"${DURATION}s" \
                --timeout 30s -s "$BENCH/lua/$script" "http://127.0.0.1:$PORT$path" 2>&1) || {
                printf '%s\n' "$out" >&2
                log "wrk failed: $which, $name"
                exit 1
            }
            after=$(cpu_server)
            printf '%s\n' "$out" >>"$dir/wrk.txt"
            json=$(sed -n 's/^BENCH_JSON //p' <<<"$out")
            [[ -n $json ]] || { printf '%s\n' "$out" >&2; log "wrk printed no summary: $which, $name"; exit 1; }
            printf '{"kind":"wrk","which":"%s","round":%d,"case":"%s","conns":%d,"cpu_ticks":%d,"clk_tck":%d,"wrk":%s}\n' \
                "$which" "$round" "$name" "$conns" $((after - before)) "$CLK_TCK" "$json" >>"$RESULTS"
            log "$which round $round: $name, $conns conns: $json"
            sleep 1
        done
    done < <(cases)
    stop_server
}

# requests N METHOD PATH [BODY]: exactly N requests, one at a time over one keep-alive
# connection, the same bytes each time; fails on any answer that is not 2xx.
requests() {
    "$PY" - "$PORT" "$TOKEN" "$@" <<'PY'
import socket, sys
port, token, n, method, path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
body = sys.argv[6].encode() if len(sys.argv) > 6 else b""
head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
if body:
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
request = head.encode() + b"\r\n" + body
conn = socket.create_connection(("127.0.0.1", port), timeout=120)
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b""
for i in range(n):
    conn.sendall(request)
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit(f"bench-ab: connection closed after {i} answers")
        buf += chunk
    header, _, buf = buf.partition(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next((int(l.split(b":", 1)[1]) for l in lines[1:] if l.lower().startswith(b"content-length:")), None)
    if length is None:
        sys.exit(f"bench-ab: answer without Content-Length: {lines[0]!r}")
    while len(buf) < length:
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit("bench-ab: connection closed in a body")
        buf += chunk
    buf = buf[length:]
    if not 200 <= status < 300:
        sys.exit(f"bench-ab: {method} {path} answered {status}")
conn.close()
PY
}

# control ARGS...: callgrind_control on the server. Valgrind only reads the command while one of
# the server's threads runs; when all of them sleep, a /health request wakes one up (before the
# zero and the dumps alike, so its cost cancels in the difference).
control() {
    local ctl_pid i
    callgrind_control "$@" "$SERVER_PID" >"$CG_DIR/control.log" 2>&1 &
    ctl_pid=$!
    for i in $(seq 600); do
        kill -0 "$ctl_pid" 2>/dev/null || break
        if ((i % 20 == 0)); then curl -fs -o /dev/null --max-time 30 "http://127.0.0.1:$PORT/health" || true; fi
        sleep 0.05
    done
    wait "$ctl_pid" || { cat "$CG_DIR/control.log" >&2; log "callgrind_control $* failed"; exit 1; }
}

# last_dump_ir: the instructions of the newest dump file, and of them the inclusive cost of the
# calls into the functions that BACKGROUND names (checkpoints, outbox turns).
last_dump_ir() {
    local file
    file=$(ls -t "$CG_DIR"/cg.out.* | head -1)
    "$PY" - "$file" "$BACKGROUND" <<'PY'
import re, sys
path, pattern = sys.argv[1], re.compile(sys.argv[2])
names, total, background = {}, 0, 0
fn = cfn = ""
in_call = False
for line in open(path, encoding="utf-8", errors="replace"):
    if line.startswith(("summary:", "totals:")) and not total:
        total = int(line.split()[1])
    elif line.startswith(("fn=", "cfn=")):
        key, _, value = line.rstrip("\n").partition("=")
        m = re.match(r"\((\d+)\)(?: (.*))?$", value)
        name = value
        if m:
            if m.group(2) is not None:
                names[m.group(1)] = m.group(2)
            name = names.get(m.group(1), value)
        if key == "fn":
            fn = name
        else:
            cfn = name
    elif line.startswith("calls="):
        in_call = True
    elif in_call:
        in_call = False
        parts = line.split()
        if len(parts) > 1 and pattern.search(cfn) and not pattern.search(fn):
            background += int(parts[1])
print(total, background)
PY
}

BODY='{"title":"benchmark task","description":"created by bench/run.sh","priority":"high","due_date":"2030-01-31"}'

# cg_round WHICH ROUND: one server under callgrind, every case.
cg_round() {
    local which=$1 round=$2
    CG_DIR=$WORK/cg-$which-$round
    mkdir -p "$CG_DIR"
    EXTRA_ENV="APP__SERVER__WORKERS=1" READY_TIMEOUT=300 start_server "$which" "$CG_DIR" \
        valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$CG_DIR/cg.out"
    seed
    control -i on
    local name script path method body n1 n2 ir1 ir2 bg1 bg2 per bg
    while IFS='|' read -r name script path; do
        method=GET body=""
        [[ $script == create_task.lua ]] && method=POST body=$BODY
        if [[ $path == /health || $path == /users/me ]]; then n1=${CG_LIGHT[0]} n2=${CG_LIGHT[1]}; else n1=${CG_HEAVY[0]} n2=${CG_HEAVY[1]}; fi
        requests 100 "$method" "$path" ${body:+"$body"}
        control -z
        requests "$n1" "$method" "$path" ${body:+"$body"}
        control -d "$which-$round-$n1"
        read -r ir1 bg1 < <(last_dump_ir)
        requests "$n2" "$method" "$path" ${body:+"$body"}
        control -d "$which-$round-$n2"
        read -r ir2 bg2 < <(last_dump_ir)
        per=$(((ir2 - ir1) / (n2 - n1)))
        bg=$(((bg2 - bg1) / (n2 - n1)))
        printf '{"kind":"cg","which":"%s","round":%d,"case":"%s","n1":%d,"n2":%d,"ir1":%d,"ir2":%d,"per_request":%d,"background":%d}\n' \
            "$which" "$round" "$name" "$n1" "$n2" "$ir1" "$ir2" "$per" "$bg" >>"$RESULTS"
        log "$which callgrind $round: $name: $per instructions per request, $bg of them checkpoints and outbox turns (N1 $n1: $ir1, N2 $n2: $ir2)"
    done < <(cases)
    stop_server
}

# ---------------------------------------------------------------------------------------------

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "A = $REF ($SHA, binary $OLD_SUM), B = $NEW_TEXT (binary $NEW_SUM); scratch $WORK"
for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then order=(old new); else order=(new old); fi
    for which in "${order[@]}"; do wrk_round "$which" "$round"; done
done
if [[ $CALLGRIND != 0 ]] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
    for round in $(seq "$CG_ROUNDS"); do
        for which in old new; do cg_round "$which" "$round"; done
    done
else
    log "no instruction counts (valgrind missing or BENCH_AB_CALLGRIND=0)"
fi

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH/results/$STAMP-ab-$SHA${NEW_SHA:+-$NEW_SHA}.md
mkdir -p "$BENCH/results"
REF_TEXT=$REF NEW_TEXT=$NEW_TEXT SHA=$SHA HEAD_SHA=$HEAD_SHA DIRTY=$DIRTY OLD_SUM=$OLD_SUM NEW_SUM=$NEW_SUM CORES=$CORES \
    LOAD_START=$LOAD_START LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg) KERNEL=$(uname -r) DURATION=$DURATION \
    ROUNDS=$ROUNDS WRK_VERSION=$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) \
    CG_LIGHT="${CG_LIGHT[*]}" CG_HEAVY="${CG_HEAVY[*]}" REF_SUBJECT=$(git -C "$ROOT" log -1 --format=%s "$SHA" | cut -c1-90) \
    "$PY" - "$RESULTS" "$OUT" <<'PY'
import json, os, statistics, sys, time
e = os.environ
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
cases = list(dict.fromkeys(r["case"] for r in rows))
out = [
    f"# A/B: {e['REF_TEXT']} (`{e['SHA']}`) against {e['NEW_TEXT']}",
    "",
    f"- date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}",
    f"- old (A): `{e['SHA']}` {e['REF_SUBJECT']} (binary sha256 {e['OLD_SUM']}…)",
    f"- new (B): {e['NEW_TEXT']}, uncommitted changes: {'yes' if e['DIRTY'] == '1' else 'no'} (binary sha256 {e['NEW_SUM']}…)",
    f"- machine: {e['CORES']} cores ({cpu}), {mem / 1048576:.0f} GiB RAM, Linux {e['KERNEL']}; load average {e['LOAD_START']} before, {e['LOAD_END']} after",
    f"- wrk ({e['WRK_VERSION']}, min(cores, conns) threads, {e['DURATION']} s a run), {e['ROUNDS']} rounds per binary, alternating A B B A …; "
    "each run a release server (workers = cores) on a fresh SQLite file, APP_ENV=test, rate limiting off, bcrypt cost 4, log level warn",
    f"- instructions: callgrind, one worker, one keep-alive connection, one request at a time; (Ir after N2 − Ir after N1) ÷ (N2 − N1), "
    f"N1 N2 = {e['CG_LIGHT']} for /health and /users/me, {e['CG_HEAVY']} for the task list and creation",
    "",
    "| endpoint | conns | measure | A median | B median | B ÷ A | A runs | B runs |",
    "|---|---:|---|---:|---:|---:|---|---|",
]
def fmt(v, digits):
    return f"{v:,.{digits}f}"
measures = [
    ("req/s", lambda r: r["wrk"]["rps"], 0),
    ("p99 ms", lambda r: r["wrk"]["p99_ms"], 2),
    ("max ms", lambda r: r["wrk"]["max_ms"], 1),
    ("server CPU µs/req", lambda r: r["cpu_ticks"] * 1e6 / r["clk_tck"] / r["wrk"]["requests"] if r["wrk"]["requests"] else 0.0, 1),
]
bad = []
for case in cases:
    for conns in sorted({r["conns"] for r in rows if r["kind"] == "wrk" and r["case"] == case}):
        for label, get, digits in measures:
            runs = {w: [get(r) for r in rows if r["kind"] == "wrk" and r["case"] == case and r["conns"] == conns and r["which"] == w] for w in ("old", "new")}
            if not runs["old"] or not runs["new"]:
                continue
            a, b = statistics.median(runs["old"]), statistics.median(runs["new"])
            ratio = f"{b / a:.2f}" if a else "–"
            out.append(f"| `{case}` | {conns} | {label} | {fmt(a, digits)} | {fmt(b, digits)} | {ratio} | "
                       f"{', '.join(fmt(v, digits) for v in runs['old'])} | {', '.join(fmt(v, digits) for v in runs['new'])} |")
        bad += [r for r in rows if r["kind"] == "wrk" and r["case"] == case and r["conns"] == conns and (r["wrk"]["non2xx"] or r["wrk"]["socket_errors"])]
    runs = {w: [r["per_request"] for r in rows if r["kind"] == "cg" and r["case"] == case and r["which"] == w] for w in ("old", "new")}
    if runs["old"] and runs["new"]:
        a, b = statistics.median(runs["old"]), statistics.median(runs["new"])
        out.append(f"| `{case}` | 1 | instructions/req (callgrind) | {a:,.0f} | {b:,.0f} | {b / a:.3f} | "
                   f"{', '.join(f'{v:,}' for v in runs['old'])} | {', '.join(f'{v:,}' for v in runs['new'])} |")
        bgs = {w: [r.get("background", 0) for r in rows if r["kind"] == "cg" and r["case"] == case and r["which"] == w] for w in ("old", "new")}
        rest = {w: [t - g for t, g in zip(runs[w], bgs[w])] for w in ("old", "new")}
        for label, vals in (("… of them WAL checkpoints and outbox turns", bgs), ("… of them the rest (request path)", rest)):
            a, b = statistics.median(vals["old"]), statistics.median(vals["new"])
            out.append(f"| `{case}` | 1 | {label} | {a:,.0f} | {b:,.0f} | {f'{b / a:.3f}' if a else '–'} | "
                       f"{', '.join(f'{v:,}' for v in vals['old'])} | {', '.join(f'{v:,}' for v in vals['new'])} |")
out.append("")
out.append("Medians over the rounds; B ÷ A above 1 is more for B (for req/s, more is better; for the others, less is). "
           "req/s and latencies of single runs on a shared 2-core machine move by 10-20 %: trust a ratio outside the spread of the runs; "
           "server CPU per answer moves less, and the instruction counts repeat to about 0.3 %. Timer work (the SQLite checkpointer's "
           "100 ms turns, an in-commit checkpoint, the outbox sender's turns) is counted apart: under callgrind a request takes about "
           "50 times longer than natively, so work done per unit of time weighs about 50 times more per request than it does in a real run; "
           "compare the request-path rows. Those calls are a difference of two dumps too, so they can come out slightly negative "
           "when a turn fell into the shorter run.")
if bad:
    out.append("")
    out.append("Runs with non-2xx answers or socket errors: " + "; ".join(f"{r['which']} round {r['round']} `{r['case']}` at {r['conns']} ({r['wrk']['non2xx']} non-2xx, {r['wrk']['socket_errors']} errors)" for r in bad))
text = "\n".join(out) + "\n"
open(sys.argv[2], "w", encoding="utf-8").write(text)
print(text, end="")
PY
log "written to ${OUT#"$ROOT"/}"
