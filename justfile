# Gatehouse recipes. `just` alone lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

postgres_url := env_var_or_default("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
mysql_url := env_var_or_default("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")

_default:
    @just --list

# Serve on SQLite with the development configuration (data/ holds the database and secret).
run *ARGS:
    cargo run -- {{ARGS}}

# The whole test suite on SQLite (what the README and CI run).
test:
    cargo test

# fmt check and clippy with warnings denied, every target and feature.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --all-features -- -D warnings

# The test suite again with PostgreSQL as the second backend.
test-pg:
    TEST_POSTGRES_URL={{postgres_url}} cargo test

# The test suite again with MySQL/MariaDB as the second backend (needs libmysqlclient-dev).
test-mysql:
    TEST_MYSQL_URL={{mysql_url}} cargo test --features http-actix/mysql,infra-diesel/mysql

# Build the API docs of every crate.
docs:
    cargo doc --workspace --no-deps

# Apply pending migrations to the configured database and exit.
migrate:
    cargo run -- migrate

# Print the OpenAPI document.
openapi:
    cargo run --quiet -- openapi

# Create an admin (password from GATEHOUSE_ADMIN_PASSWORD or stdin).
create-admin email name:
    cargo run -- create-admin --email {{email}} --name {{name}}

# Validate the served OpenAPI document against the OpenAPI 3.1 schema (openapi-spec-validator).
validate-openapi:
    bash .ci/openapi.sh

# Refresh the OpenAPI snapshot after an intended contract change.
snapshot:
    INSTA_UPDATE=always cargo test -p api-tests openapi

# Micro-benchmarks of the crypto layer.
bench-crypto:
    cargo bench -p infra-crypto

# Headless Chromium: Swagger UI (/docs, Authorize, GET /users/me), the refresh cookie of a browser app, and the emailed reset page (link read from aiosmtpd).
test-browser:
    bash .ci/browser.sh

# Load benchmark on SQLite (and PostgreSQL when TEST_POSTGRES_URL is set); writes bench/results/<UTC time>.md.
bench:
    bench/run.sh

# Where the server's CPU goes on /health, /users/me and the task list (perf, context switches); writes bench/results/<UTC time>-profile.md.
profile:
    bench/profile.sh

# Schemathesis (every check, authenticated) against the release server and /openapi.json.
test-api:
    bash .ci/schemathesis.sh

# What recording the metrics costs on /users/me: the same run with metrics off and on, alternating; writes bench/results/<UTC time>-metrics.md.
bench-metrics:
    bench/metrics_cost.sh

# /users/me and task creation with 1, 2 and 3 instances on one local PostgreSQL; writes bench/results/<UTC time>-scale.md.
bench-scale:
    bench/scale.sh

# An older commit's release server against the working tree's: wrk rounds alternating, callgrind instructions per request; writes bench/results/<UTC time>-ab-<sha>.md.
bench-ab REF:
    bench/ab.sh {{REF}}
