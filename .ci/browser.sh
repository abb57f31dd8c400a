#!/usr/bin/env bash
# Browser tests in Debian's headless Chromium, driven by playwright-core: Swagger UI at /docs as
# a person uses it (Authorize with a username and password, then GET /users/me, expecting 200),
# and a browser app on another origin with the refresh token in an HttpOnly cookie (two tabs
# refreshing at once, a not-allowed origin refused), and the emailed links (read from what a
# real SMTP server received: /account/verify and /account/reset), and signing in with an
# OpenID Connect provider from an app on another origin (the real test provider of
# tests/oidc-provider, its login form filled in), and passkeys with Chromium's virtual
# authenticator (a second server whose public_url is on localhost: Chromium refuses an IP
# address as a relying party id). Installs what it needs, starts aiosmtpd (PyPI)
# as the mail server and the test OIDC provider, builds and starts the release server (cookie
# mode, a grace window, CORS for the apps' origins, mail through aiosmtpd, the provider `acme`
# from a configuration folder of its own) on a fresh SQLite database and a free port, registers
# a user, runs tests/browser/*.spec.mjs, and always stops all three servers. Idempotent; run it
# from anywhere. A failure leaves target/browser-*failure.png.
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

step "npm ci (tests/oidc-provider, the test OpenID Connect provider)"
(cd tests/oidc-provider && npm ci --no-audit --no-fund --loglevel=error)

step "cargo build --release -p http-actix"
cargo build --release -p http-actix
bin=target/release/gatehouse

tmp=$(mktemp -d)
server_pid=
smtp_pid=
oidc_pid=
passkey_pid=
cleanup() {
    for pid in $server_pid $smtp_pid $oidc_pid $passkey_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
# `pick NAME` sets NAME to a free port that no earlier pick took: each is released at once, so
# the system may hand the same one out twice.
picked=
pick() {
    local p
    while p=$(free_port); [[ " $picked " == *" $p "* ]]; do :; done
    picked+=" $p"
    printf -v "$1" %s "$p"
}
pick port
pick app_port
pick evil_port
pick smtp_port
pick oidc_app_port
pick oidc_port
pick passkey_port
base="http://127.0.0.1:$port"
oidc_app_url="http://127.0.0.1:$oidc_app_port/oidc-app.html"

step "start aiosmtpd on 127.0.0.1:$smtp_port (messages kept in a Maildir)"
python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$tmp/mail" >"$tmp/smtp.log" 2>&1 &
smtp_pid=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
    sleep 0.1
done

# The provider needs Gatehouse's callback URL (known now that its port is) and Gatehouse needs
# the provider's issuer: the provider starts first, on a port picked above (PORT=0 could be
# handed Gatehouse's port, picked but not yet listened on), and prints {"issuer":…,"port":…}
# as its first line once it listens.
step "start the test OpenID Connect provider on 127.0.0.1:$oidc_port (redirect URI $base/auth/oidc/acme/callback)"
PORT="$oidc_port" OIDC_REDIRECT_URIS="$base/auth/oidc/acme/callback" \
    node tests/oidc-provider/provider.mjs >"$tmp/oidc.json" 2>"$tmp/oidc.log" &
oidc_pid=$!
oidc_issuer=
for _ in $(seq 1 100); do
    if [ -n "$(head -n 1 "$tmp/oidc.json" 2>/dev/null)" ]; then
        oidc_issuer=$(head -n 1 "$tmp/oidc.json" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).issuer))') && break
        oidc_issuer=
    fi
    kill -0 "$oidc_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$oidc_issuer" ]; then
    echo "the OIDC provider did not print its issuer:" >&2
    cat "$tmp/oidc.json" "$tmp/oidc.log" >&2
    exit 1
fi
echo "issuer $oidc_issuer"

# The provider block goes into a configuration folder of this run's own (APP_CONFIG_DIR): the
# repository's config/default.toml and config/test.toml, the latter with the block appended.
# Nothing in config/ changes, so no other run sees the provider.
mkdir "$tmp/config"
cp config/default.toml "$tmp/config/default.toml"
cp config/test.toml "$tmp/config/test.toml"
cat >>"$tmp/config/test.toml" <<TOML

# Added by .ci/browser.sh for tests/browser/oidc.spec.mjs.
[oidc]
allowed_redirect_uris = ["$oidc_app_url"]

[[oidc.providers]]
id = "acme"
name = "Acme SSO"
issuer = "$oidc_issuer"
client_id = "gatehouse"
client_secret = "gatehouse-secret"
scopes = ["openid", "email", "profile"]
allow_signup = true
TOML

step "start the server on $base (fresh SQLite database, the provider acme)"
APP_ENV=test \
    APP_CONFIG_DIR="$tmp/config" \
    DATABASE_URL="sqlite://$tmp/b.db" \
    SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
    APP__AUTH__BCRYPT_COST=4 \
    APP__RATE_LIMIT__ENABLED=false \
    APP__SERVER__HOST=127.0.0.1 \
    APP__SERVER__PORT="$port" \
    APP__SERVER__PUBLIC_URL="$base" \
    APP__AUTH__REFRESH_TRANSPORT=cookie \
    APP__AUTH__REFRESH_REUSE_GRACE_SECS=10 \
    APP__CORS__ALLOWED_ORIGINS="http://127.0.0.1:$app_port,http://127.0.0.1:$oidc_app_port" \
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

# The passkey spec's server: the relying party id is the host of server.public_url and
# Chromium refuses an IP address as one, so this one's public_url is on localhost (which the
# spec's Chromium maps to 127.0.0.1). Changing the shared server's would move the other specs'
# origins, cookies and redirect URIs. Body mode, the repository's config/, its own database.
passkey_base="http://localhost:$passkey_port"
step "start the passkey spec's server on 127.0.0.1:$passkey_port, public_url $passkey_base (fresh SQLite database)"
APP_ENV=test \
    DATABASE_URL="sqlite://$tmp/passkeys.db" \
    SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
    APP__AUTH__ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64 | tr -d '\n')" \
    APP__AUTH__BCRYPT_COST=4 \
    APP__RATE_LIMIT__ENABLED=false \
    APP__SERVER__HOST=127.0.0.1 \
    APP__SERVER__PORT="$passkey_port" \
    APP__SERVER__PUBLIC_URL="$passkey_base" \
    "$bin" serve >"$tmp/passkey-server.log" 2>&1 &
passkey_pid=$!
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$passkey_port/health" 2>/dev/null && break
    kill -0 "$passkey_pid" 2>/dev/null || break
    sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$passkey_port/health" || {
    echo "the passkey spec's server did not answer /health:" >&2
    tail -n 50 "$tmp/passkey-server.log" >&2
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
step "sign in with an OpenID Connect provider: an app on another origin, the provider's login form"
BASE_URL="$base" OIDC_ISSUER="$oidc_issuer" OIDC_APP_PORT="$oidc_app_port" node tests/browser/oidc.spec.mjs || rc=$?
step "passkeys: Chromium's virtual authenticator on $passkey_base, a discoverable sign-in, then one without user verification"
passkey_rc=0
PASSKEY_BASE_URL="$passkey_base" node tests/browser/passkeys.spec.mjs || passkey_rc=$?
if [ "$passkey_rc" != 0 ]; then
    rc=$passkey_rc
    echo "passkey server log (last 40 lines):" >&2
    tail -n 40 "$tmp/passkey-server.log" >&2
fi
if [ "$rc" != 0 ]; then
    echo "server log (last 40 lines):" >&2
    tail -n 40 "$tmp/server.log" >&2
    echo "OIDC provider log (last 20 lines):" >&2
    tail -n 20 "$tmp/oidc.log" >&2
fi
exit "$rc"
