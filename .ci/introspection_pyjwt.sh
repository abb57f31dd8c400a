#!/usr/bin/env bash
# Introspection seen from a resource server that is not ours: PyJWT with its JWKS client against
# the release server signing EdDSA tokens. Installs PyJWT with its cryptography backend, makes an
# Ed25519 key pair with openssl, starts the server on a fresh SQLite database and a free port, runs
# .ci/introspection_pyjwt.py, and always stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import jwt, cryptography' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check 'PyJWT[crypto]==2.10.1'
source .ci/release_server.sh
openssl genpkey -algorithm ed25519 -out "$tmp/ed25519.pem" 2>/dev/null
openssl pkey -in "$tmp/ed25519.pem" -pubout -out "$tmp/ed25519.pub.pem"
start_release_server introspection APP__AUTH__ALGORITHM=EdDSA \
    APP__AUTH__PRIVATE_KEY_FILE="$tmp/ed25519.pem" APP__AUTH__PUBLIC_KEY_FILE="$tmp/ed25519.pub.pem"
python3 .ci/introspection_pyjwt.py "http://127.0.0.1:$port" || server_failed
