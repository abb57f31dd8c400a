#!/usr/bin/env bash
# Two-step sign-in against the release server, with TOTP codes from pyotp (PyPI): an
# implementation that is not the server's checks what it enrols and accepts. Installs pyotp,
# starts the server on a fresh SQLite database and a free port, runs .ci/mfa_pyotp.py, and
# always stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import pyotp' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check pyotp==2.9.0
source .ci/release_server.sh
start_release_server mfa APP__AUTH__ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)"
python3 .ci/mfa_pyotp.py "http://127.0.0.1:$port" || server_failed
