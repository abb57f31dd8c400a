#!/usr/bin/env bash
# The served OpenAPI document against the official OpenAPI 3.1 schema, checked by a validator
# that is not ours (openapi-spec-validator, PyPI). First it shows that the validator catches
# what broke generated clients before (a response without a description): a copy with one
# description removed must fail. Then the real document must pass. Needs the gatehouse binary
# (builds it if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import openapi_spec_validator' 2>/dev/null ||
    python3 -m pip install -q --disable-pip-version-check -r .ci/requirements-openapi.txt

bin=${GATEHOUSE_BIN:-target/debug/gatehouse}
[ -x "$bin" ] || cargo build -q -p http-actix --bin gatehouse
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The document as `gatehouse openapi` prints it, the same one /openapi.json serves.
APP_ENV=test SECRET_KEY=openapi-check-secret-of-at-least-32-bytes "$bin" openapi >"$tmp/openapi.json"

python3 - "$tmp/openapi.json" <<'PY'
import copy, json, sys
from openapi_spec_validator import OpenAPIV31SpecValidator

document = json.load(open(sys.argv[1]))

# The validator must refuse a response without a description.
broken = copy.deepcopy(document)
response = broken["paths"]["/health"]["get"]["responses"]["200"]
del response["description"]
if not list(OpenAPIV31SpecValidator(broken).iter_errors()):
    sys.exit("openapi: the validator accepted a response without a description")

errors = list(OpenAPIV31SpecValidator(document).iter_errors())
for error in errors:
    print(f"openapi: {'/'.join(str(p) for p in error.absolute_path)}: {error.message}", file=sys.stderr)
operations = sum(1 for item in document["paths"].values() for method in item if method in ("get", "post", "put", "patch", "delete"))
print(f"openapi: {operations} operations, {len(errors)} errors against the OpenAPI 3.1 schema")
print(f"openapi: {1 if not errors else 0} passed, {1 if errors else 0} failed")
sys.exit(1 if errors else 0)
PY
