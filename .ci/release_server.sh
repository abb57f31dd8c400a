# Sourced by the scripts that drive the release server from outside: `start_release_server NAME
# [VAR=value ...]` builds it, starts it on a fresh SQLite database in a temporary folder ($tmp)
# and a free port ($port) with the test defaults and the given settings, waits for /health, and
# stops it (and removes $tmp) when the script exits. `server_failed` shows the end of its log.
tmp=$(mktemp -d)
server_pid=""
stop_release_server() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap stop_release_server EXIT

start_release_server() {
    local name=$1
    shift
    cargo build --release -q -p http-actix
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (
        cd "$tmp"
        exec env APP_ENV=test DATABASE_URL="sqlite://$tmp/$name.db" SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n')" \
            APP__AUTH__BCRYPT_COST=4 APP__RATE_LIMIT__ENABLED=false APP__SERVER__PORT="$port" APP__LOG__LEVEL=warn "$@" \
            "$OLDPWD/target/release/gatehouse" serve
    ) >"$tmp/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break; sleep 0.1; done
}

server_failed() {
    tail -n 30 "$tmp/server.log" >&2
    exit 1
}
