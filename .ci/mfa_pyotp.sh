#!/usr/bin/env bash
# Two-step sign-in against the release server, with TOTP codes from pyotp (PyPI): an
# implementation that is not the server's checks what it enrols and accepts. Installs pyotp,
# starts the server on a fresh SQLite database and a free port, runs .ci/mfa_pyotp.py, and
# always stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import pyotp' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check pyotp==2.9.0
cargo build --release -q -p http-actix
tmp=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
    cd "$tmp"
    exec env APP_ENV=test DATABASE_URL="sqlite://$tmp/mfa.db" SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
        APP__AUTH__ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)" APP__AUTH__BCRYPT_COST=4 APP__RATE_LIMIT__ENABLED=false \
        APP__SERVER__PORT="$port" APP__LOG__LEVEL=warn "$OLDPWD/target/release/gatehouse" serve
) >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break; sleep 0.1; done
python3 .ci/mfa_pyotp.py "http://127.0.0.1:$port" || { tail -n 30 "$tmp/server.log" >&2; exit 1; }
