#!/usr/bin/env bash
# Browser tests in Debian's headless Chromium, driven by playwright-core: Swagger UI at /docs as
# a person uses it (Authorize with a username and password, then GET /users/me, expecting 200),
# and a browser app on another origin with the refresh token in an HttpOnly cookie (two tabs
# refreshing at once, a not-allowed origin refused), and the emailed links (read from what a
# real SMTP server received: /account/verify and /account/reset). Installs what it
# needs, starts aiosmtpd (PyPI) as the mail server, builds and starts the release server (cookie
# mode, a grace window, CORS for the app's origin, mail through aiosmtpd) on a fresh SQLite
# database and a free port, registers a user, runs tests/browser/*.spec.mjs, and always stops
# both servers. Idempotent; run it from anywhere. A failure leaves target/browser-*failure.png.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "chromium (Debian's; playwright never downloads a browser here)"
if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null | tail -n 1

step "aiosmtpd (the mail server of the emailed-links spec)"
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check aiosmtpd==1.4.6

step "npm ci (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

step "cargo build --release -p http-actix"
cargo build --release -p http-actix
bin=target/release/gatehouse

tmp=$(mktemp -d)
server_pid=
smtp_pid=
cleanup() {
    for pid in $server_pid $smtp_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
port=$(free_port)
app_port=$(free_port)
evil_port=$(free_port)
smtp_port=$(free_port)
base="http://127.0.0.1:$port"

step "start aiosmtpd on 127.0.0.1:$smtp_port (messages kept in a Maildir)"
python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$tmp/mail" >"$tmp/smtp.log" 2>&1 &
smtp_pid=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
    sleep 0.1
done

step "start the server on $base (fresh SQLite database)"
APP_ENV=test \
    DATABASE_URL="sqlite://$tmp/b.db" \
    SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
    APP__AUTH__BCRYPT_COST=4 \
    APP__RATE_LIMIT__ENABLED=false \
    APP__SERVER__HOST=127.0.0.1 \
    APP__SERVER__PORT="$port" \
    APP__AUTH__REFRESH_TRANSPORT=cookie \
    APP__AUTH__REFRESH_REUSE_GRACE_SECS=10 \
    APP__CORS__ALLOWED_ORIGINS="http://127.0.0.1:$app_port" \
    APP__EMAIL__TRANSPORT="smtp://127.0.0.1:$smtp_port" \
    APP__EMAIL__FROM="Gatehouse <no-reply@gatehouse.test>" \
    "$bin" serve >"$tmp/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$base/health" 2>/dev/null && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server exited before answering /health:" >&2
        cat "$tmp/server.log" >&2
        exit 1
    fi
    sleep 0.1
done
curl -fsS -o /dev/null "$base/health" || {
    echo "the server did not answer /health within 10 s:" >&2
    tail -n 50 "$tmp/server.log" >&2
    exit 1
}

step "register the browser user"
# The password holds characters that form encoding must escape (space + & = % and non-ASCII),
# so the test also proves Swagger UI's form and /auth/token's parser agree.
email="browser-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')@example.com"
password="Br0wser pass+&=%é-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
status=$(curl -sS -o "$tmp/register.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Browser Test\"}" "$base/auth/register")
if [ "$status" != 201 ]; then
    echo "POST /auth/register answered $status: $(cat "$tmp/register.json")" >&2
    exit 1
fi

rc=0
step "Swagger UI in headless Chromium"
BASE_URL="$base" BROWSER_EMAIL="$email" BROWSER_PASSWORD="$password" node tests/browser/swagger.spec.mjs || rc=$?
step "a browser app on another origin: the refresh cookie, two tabs, a not-allowed origin"
BASE_URL="$base" APP_PORT="$app_port" EVIL_PORT="$evil_port" BROWSER_EMAIL="$email" BROWSER_PASSWORD="$password" \
    node tests/browser/cookie.spec.mjs || rc=$?
step "the emailed links: verification and password reset pages, links from the mail server"
BASE_URL="$base" MAILDIR="$tmp/mail" node tests/browser/emailed.spec.mjs || rc=$?
if [ "$rc" != 0 ]; then
    echo "server log (last 40 lines):" >&2
    tail -n 40 "$tmp/server.log" >&2
fi
exit "$rc"
