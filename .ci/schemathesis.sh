#!/usr/bin/env bash
# Property-based API tests: the release server on a fresh SQLite database, schemathesis with
# every check against its own /openapi.json, signed in as a user and (for the admin-only
# operations) an admin through .ci/schemathesis_hooks.py. Exits non-zero on any failure and
# closes with `schemathesis: N passed, M failed` (operations).
#
# Knobs (environment): ST_MAX_EXAMPLES (default 200 per operation and phase),
# ST_STATEFUL_EXAMPLES (default 6000: the stateful phase's Hypothesis budget, some tens to
# hundreds of scenarios of up to 10 linked calls), ST_WORKERS (default 1: the hooks follow one
# test account through the changes the run makes to it), ST_SEED (default random; schemathesis
# prints the one it used), ST_TIMEOUT (default 900 s, a safety net well above the usual minute).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/schemathesis-venv
requirements=.ci/requirements-schemathesis.txt
report_dir=target/schemathesis-report

# 1. schemathesis, pinned, in a venv that is reinstalled only when the pin changes.
if [ ! -x "$venv/bin/st" ] || ! cmp -s "$requirements" "$venv/.requirements"; then
    echo "==> installing $(grep -v '^#' "$requirements" | tr '\n' ' ')into $venv"
    rm -rf "$venv"
    # Debian's own python3 needs python3-venv for this; install it when missing.
    if ! python3 -m venv "$venv" 2>/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/.requirements"
fi

# 2. The release binary (shared with the other release users of target/).
echo "==> cargo build --release -p http-actix"
cargo build --release -p http-actix
binary=$PWD/target/release/gatehouse

# 3. The server, on a free port with a fresh database; always stopped at exit.
tmp=$(mktemp -d)
server_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
random_hex() {
    python3 -c "import secrets; print(secrets.token_hex($1))"
}

port=$(free_port)
base_url="http://127.0.0.1:$port"
export APP_ENV=test
export DATABASE_URL="sqlite://$tmp/st.db"
export SECRET_KEY
SECRET_KEY=$(random_hex 32)
export APP__AUTH__BCRYPT_COST=4
export APP__RATE_LIMIT__ENABLED=false
# The lockout has its own switch: schemathesis guesses passwords of its own account by the hundred.
export APP__RATE_LIMIT__FAILED_LOGINS_PER_ACCOUNT=0
# The hooks' sign-ins stay fresh for the run (the maximum, a day): a fresh-session operation
# whose body leaves out `current_password` is then accepted, as the document allows.
export APP__AUTH__FRESH_WINDOW_SECS=86400
export APP__SERVER__PORT=$port
export APP__LOG__LEVEL=info
export APP__LOG__FORMAT=json

echo "==> starting $binary on $base_url (database $DATABASE_URL)"
server_log=$report_dir/server.log
rm -rf "$report_dir"
mkdir -p "$report_dir"
"$binary" serve >"$server_log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if curl -fsS "$base_url/health" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server exited during start-up:" >&2
        cat "$server_log" >&2
        exit 1
    fi
    sleep 0.2
done
curl -fsS "$base_url/health" >/dev/null

# 4. The accounts the hooks sign in with.
export GATEHOUSE_URL=$base_url
export GATEHOUSE_BIN=$binary
export ST_USER_EMAIL="st-user@example.com"
ST_USER_PASSWORD="user-$(random_hex 12)"
export ST_USER_PASSWORD
export ST_ADMIN_EMAIL="st-admin@example.com"
ST_ADMIN_PASSWORD="admin-$(random_hex 12)"
export ST_ADMIN_PASSWORD
status=$(curl -sS -o "$tmp/register.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"email\":\"$ST_USER_EMAIL\",\"password\":\"$ST_USER_PASSWORD\",\"name\":\"Schemathesis User\"}" \
    "$base_url/auth/register")
if [ "$status" != 201 ]; then
    echo "registering the test user answered $status: $(cat "$tmp/register.json")" >&2
    exit 1
fi
GATEHOUSE_ADMIN_PASSWORD=$ST_ADMIN_PASSWORD "$binary" create-admin --email "$ST_ADMIN_EMAIL" --name "Schemathesis Admin"

# 5. schemathesis: every phase, every check.
seed_args=()
if [ -n "${ST_SEED:-}" ]; then
    seed_args=(--seed "$ST_SEED")
fi
echo "==> schemathesis $("$venv/bin/st" --version | awk '{print $NF}') against $base_url/openapi.json"
# No cache of earlier runs (each run starts from a fresh database), and Hypothesis' files go to
# the report folder rather than the checkout. Examples are bounded, so the run ends by itself.
cat >"$tmp/schemathesis.toml" <<EOF
[cache]
enabled = false

[generation]
max-examples = ${ST_MAX_EXAMPLES:-200}

[phases.stateful]
max-steps = 10

[phases.stateful.generation]
max-examples = ${ST_STATEFUL_EXAMPLES:-6000}

# A provider's callback names its flow by a \`state\` Gatehouse made: a schema-valid one is one
# nobody issued, which the contract answers with 400 and no redirect (tests/api/oidc.rs runs
# real flows against a real provider). Every other check still runs on it.
[[operations]]
include-path = "/auth/oidc/{provider}/callback"
checks.positive_data_acceptance.expected-statuses = ["2XX", "3XX", 400, 401, 403, 404, 409, 429, "5XX"]

# A passkey's answer names a challenge Gatehouse issued and is signed by an authenticator: a
# schema-valid one answers a challenge nobody issued, which the contract refuses with 401
# (tests/api/passkeys.rs runs real ceremonies with a software authenticator, tests/browser with
# Chromium's). Every other check still runs on them.
[[operations]]
include-name = "POST /auth/passkey"
checks.positive_data_acceptance.expected-statuses = ["2XX", 401, 403, 429]

[[operations]]
include-name = "POST /users/me/passkeys"
checks.positive_data_acceptance.expected-statuses = ["2XX", 401, 409, 429]

# The second step takes a code or a passkey's answer in one object whose fields are each
# optional in the document (a oneOf would lose the per-field 422 errors): a schema-valid body
# with both, or with neither, is refused with 422 by contract (tests/api/mfa.rs and
# tests/api/passkeys.rs send both shapes).
[[operations]]
include-name = "POST /auth/login/mfa"
checks.positive_data_acceptance.expected-statuses = ["2XX", 401, 422, 429]
EOF
hooks=$PWD/.ci/schemathesis_hooks.py
export ST_HOOKS_LOG=$PWD/$report_dir/hooks.log
st=$PWD/$venv/bin/st
report_dir=$PWD/$report_dir
set +e
(
    cd "$report_dir"
    SCHEMATHESIS_HOOKS=$hooks timeout "${ST_TIMEOUT:-900}" "$st" --config-file "$tmp/schemathesis.toml" run "$base_url/openapi.json" \
        --checks all \
        --workers "${ST_WORKERS:-1}" \
        --request-timeout 30 \
        --generation-database none \
        --no-color \
        --report junit,ndjson --report-dir "$report_dir" \
        --report-junit-path "$report_dir/junit.xml" --report-ndjson-path "$report_dir/events.ndjson" \
        "${seed_args[@]}"
)
st_status=$?
set -e

if ! kill -0 "$server_pid" 2>/dev/null; then
    server_status=0
    wait "$server_pid" || server_status=$?
    server_pid=""
    echo "the server died during the run (exit status $server_status); its log:" >&2
    tail -n 50 "$server_log" >&2
    st_status=1
fi
# Malformed requests are logged as errors by actix itself; a 5xx would already be a failure.
errors=$(grep -c '"level":"ERROR"' "$server_log" || true)
echo "server log: $server_log ($errors error lines)"
if [ -f "$ST_HOOKS_LOG" ]; then
    echo "hooks: $(awk '{print $2 "/" $3}' "$ST_HOOKS_LOG" | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')" \
        "(slowest $(sort -k4 -rn -t' ' "$ST_HOOKS_LOG" | awk 'NR==1 {print $4}'))"
fi

# One closing line: operations that passed and failed, from the JUnit report.
read -r passed failed < <(python3 - "$report_dir/junit.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET

passed = failed = 0
try:
    cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
except (OSError, ET.ParseError):
    cases = []
for case in cases:
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
    elif case.find("skipped") is None:
        passed += 1
print(passed, failed)
PY
)
if [ "$st_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
fi
echo "schemathesis: $passed passed, $failed failed"
exit "$st_status"
