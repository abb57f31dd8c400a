"""Schemathesis hooks for Gatehouse (loaded by .ci/schemathesis.sh through SCHEMATHESIS_HOOKS).

Authentication: the admin-only operations (`/users`, `/users/{id}`) run as an admin, every other
protected operation as an ordinary user. Some operations legitimately end the test account's
session or the account itself (logout, logout-all, session revoke, password change, account
deletion, deactivation by the admin); schemathesis then sees a 401 (or, for a demoted admin, a
403), drops the cached token and asks again, and `get` signs in again, with the new password
when a password change went through, or with a freshly registered account (a new admin through
`gatehouse create-admin`) when the old one is gone.

Positive cases of the password-checking `/users/me` operations get the account's real current
password: it is state the schema cannot know, like the token itself, and without it a valid
request could never succeed (the contract answers a wrong current password with 422). The
operations that need a *fresh session* (v1.2) may also leave it out: the script sets
`auth.fresh_window_secs` to its maximum, so the hooks' sign-ins stay fresh for the whole run.

Positive cases that must carry a code of the caller's authenticator app cannot know one (nobody
scanned the enrolment's secret), so they are dropped where no other answer is right; the
second factor is tested with real codes by tests/api/mfa.rs and .ci/mfa_pyotp.sh (pyotp).

Environment (set by the script): GATEHOUSE_URL, GATEHOUSE_BIN, ST_USER_EMAIL, ST_USER_PASSWORD,
ST_ADMIN_EMAIL, ST_ADMIN_PASSWORD, ST_HOOKS_LOG (optional), plus the server's own configuration
for `create-admin`.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
import uuid

import requests
import schemathesis
from schemathesis.generation import metrics as _metrics

# Schemathesis 4.32 always reports a success-rate target to Hypothesis while fuzzing, which
# starts Hypothesis' optimise phase; its hill climbing was seen spinning for over ten minutes
# without sending a request (CI stalled until its timeout; py-spy: Optimiser.hill_climb). This
# run asks for no metrics, so reporting none skips that phase; every generated case still runs.
_metrics.maximize = lambda metrics, case, response: None

BASE_URL = os.environ["GATEHOUSE_URL"].rstrip("/")
BINARY = os.environ["GATEHOUSE_BIN"]
TIMEOUT = 30

# The admin-only operations (`/audit`, `/users`, `/users/{id}` and its `mfa` and `tokens`);
# `/users/me*` belongs to the ordinary user.
ADMIN_PATHS = r"^/(audit|users(/\{[^}]+\}(/mfa|/tokens(/\{[^}]+\})?)?)?)$"
# Introspection takes a personal access token of scope `introspect` (a service's credential).
SERVICE_PATHS = r"^/auth/introspect$"
USER_PATHS = r"^/(auth/logout-all|auth/logout-others|users/me(/.*)?|projects(/.*)?|tasks(/.*)?)$"
# Operations whose body carries the caller's current password (the fresh-session ones take it
# when present; an email change needs it).
PASSWORD_CHECKED = {
    ("PATCH", "/users/me"),
    ("DELETE", "/users/me"),
    ("POST", "/users/me/password"),
    ("POST", "/users/me/mfa/totp"),
    ("DELETE", "/users/me/mfa"),
    ("POST", "/users/me/mfa/recovery-codes"),
    ("POST", "/users/me/tokens"),
    ("POST", "/users/me/passkeys/registration"),
}
# Confirming an enrolment needs the code the authenticator app shows now: a schema-valid code is
# one no app showed, which the contract answers with 422 on `code` (or 409 with no enrolment).
# Turning two-step sign-in off and regenerating recovery codes also take a code, but the test
# account never has two-step sign-in on (its enrolment is never confirmed), so they answer 409.
AUTHENTICATOR_CODE_OPERATIONS = {("POST", "/users/me/mfa/totp/confirm")}
# New passwords: the schema says 8 to 72 characters, the contract 72 bytes of UTF-8, which JSON
# Schema cannot state.
NEW_PASSWORD_FIELDS = {("POST", "/auth/register"): "password", ("POST", "/users/me/password"): "new_password"}
MAX_PASSWORD_BYTES = 72


class Account:
    """Credentials the hooks keep current through the run."""

    def __init__(self, email: str, password: str, name: str) -> None:
        self.email = email
        self.password = password
        self.name = name


_lock = threading.RLock()
USER = Account(os.environ["ST_USER_EMAIL"], os.environ["ST_USER_PASSWORD"], "Schemathesis User")
ADMIN = Account(os.environ["ST_ADMIN_EMAIL"], os.environ["ST_ADMIN_PASSWORD"], "Schemathesis Admin")
# The introspecting service's own account, registered on first use (and again if the run's admin
# deletes or deactivates it).
SERVICE = Account(f"st-service-{uuid.uuid4().hex[:12]}@example.com", os.environ["ST_USER_PASSWORD"], "Schemathesis Service")
# One line per sign-in, re-registration and admin restore, with its duration: what the run did
# to keep its accounts working (summarised by the script).
_LOG = os.environ.get("ST_HOOKS_LOG")


def _note(event: str, started: float) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{time.time():.3f} {event} {time.monotonic() - started:.3f}s\n")


def _login(account: Account) -> str | None:
    """An access token, or None when the credentials no longer work."""
    started = time.monotonic()
    response = requests.post(
        f"{BASE_URL}/auth/login", json={"email": account.email, "password": account.password}, timeout=TIMEOUT
    )
    _note(f"login {response.status_code}", started)
    if response.status_code == 200:
        return response.json()["access_token"]
    if response.status_code == 401:
        return None
    raise RuntimeError(f"login as {account.email} answered {response.status_code}: {response.text[:200]}")


def _role(token: str) -> str | None:
    response = requests.get(f"{BASE_URL}/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    return response.json().get("role") if response.status_code == 200 else None


def _register_fresh_user() -> None:
    """The test user is gone (deleted, deactivated, or its password is unknown): start another."""
    USER.email = f"st-user-{uuid.uuid4().hex[:12]}@example.com"
    started = time.monotonic()
    response = requests.post(
        f"{BASE_URL}/auth/register",
        json={"email": USER.email, "password": USER.password, "name": USER.name},
        timeout=TIMEOUT,
    )
    _note(f"register {response.status_code}", started)
    if response.status_code != 201:
        raise RuntimeError(f"re-registering the test user answered {response.status_code}: {response.text[:200]}")


def _restore_admin() -> None:
    """`create-admin` creates the admin again, or re-promotes, re-activates and resets it."""
    env = {**os.environ, "GATEHOUSE_ADMIN_PASSWORD": ADMIN.password}
    started = time.monotonic()
    result = subprocess.run(
        [BINARY, "create-admin", "--email", ADMIN.email, "--name", ADMIN.name],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    _note(f"create-admin {result.returncode}", started)
    if result.returncode != 0:
        raise RuntimeError(f"create-admin failed: {result.stderr.strip()[-500:]}")


def user_token() -> str:
    with _lock:
        token = _login(USER)
        if token is None:
            _register_fresh_user()
            token = _login(USER)
        if token is None:
            raise RuntimeError("cannot sign in as the freshly registered test user")
        return token


def admin_token() -> str:
    with _lock:
        token = _login(ADMIN)
        if token is not None and _role(token) == "admin":
            return token
        _restore_admin()
        token = _login(ADMIN)
        if token is None or _role(token) != "admin":
            raise RuntimeError("cannot sign in as the restored admin")
        return token


def service_token() -> str:
    """A personal access token of scope `introspect`, of the service's account."""
    with _lock:
        token = _login(SERVICE)
        if token is None:
            SERVICE.email = f"st-service-{uuid.uuid4().hex[:12]}@example.com"
            started = time.monotonic()
            response = requests.post(
                f"{BASE_URL}/auth/register",
                json={"email": SERVICE.email, "password": SERVICE.password, "name": SERVICE.name},
                timeout=TIMEOUT,
            )
            _note(f"register-service {response.status_code}", started)
            token = _login(SERVICE)
        if token is None:
            raise RuntimeError("cannot sign in as the introspecting service")
        response = requests.post(
            f"{BASE_URL}/users/me/tokens",
            json={"name": "schemathesis introspection", "scopes": ["introspect"], "expires_in_days": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        if response.status_code != 201:
            raise RuntimeError(f"creating the service's token answered {response.status_code}: {response.text[:200]}")
        return response.json()["token"]


def _set_bearer(case, token: str) -> None:
    case.headers = case.headers or {}
    case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.auth(retry_on=[401, 403]).apply_to(path_regex=ADMIN_PATHS)
class AdminAuth:
    """An admin's access token; a 401 or 403 (demoted) triggers a fresh sign-in."""

    def get(self, case, context):
        return admin_token()

    def set(self, case, data, context):
        _set_bearer(case, data)


@schemathesis.auth(retry_on=[401]).apply_to(path_regex=USER_PATHS)
class UserAuth:
    """An ordinary user's access token; a 401 triggers a fresh sign-in."""

    def get(self, case, context):
        return user_token()

    def set(self, case, data, context):
        _set_bearer(case, data)


@schemathesis.auth(retry_on=[401]).apply_to(path_regex=SERVICE_PATHS)
class ServiceAuth:
    """A service's personal access token; a 401 (revoked, its account gone) makes another."""

    def get(self, case, context):
        return service_token()

    def set(self, case, data, context):
        _set_bearer(case, data)


def _not_negative(case) -> bool:
    """Positive, or a phase that marks no generation mode (the examples phase)."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return mode is None or mode.is_positive


# The operations that take an emailed link's token: a schema-valid token is one nobody issued,
# which the contract answers with 422 on `token`, so their positive cases cannot be accepted
# (tests/api/links.rs uses real links); their negative cases still run.
LINK_TOKEN_OPERATIONS = {
    ("POST", "/auth/verify-email"),
    ("POST", "/auth/email-change/confirm"),
    ("POST", "/auth/password-reset/confirm"),
}


def _schema_valid_link_body(body) -> bool:
    """Whether `body` is valid by the document (the examples phase marks no generation mode)."""
    if not isinstance(body, dict) or not isinstance(body.get("token"), str):
        return False
    if "new_password" not in body:
        return True
    password = body["new_password"]
    return isinstance(password, str) and 8 <= len(password) <= MAX_PASSWORD_BYTES and not any(ord(c) < 32 or c == "\x7f" for c in password)


AUTHENTICATOR_CODE = re.compile(r"^[0-9]{3} ?[0-9]{3}$")


def _schema_valid_code_body(body) -> bool:
    """Whether `body` carries a code of the document's pattern (any phase, as for link tokens)."""
    return isinstance(body, dict) and isinstance(body.get("code"), str) and AUTHENTICATOR_CODE.match(body["code"]) is not None


@schemathesis.hook
def filter_case(context, case):
    """Drops the valid-looking cases whose new password is over 72 bytes but not 72 characters.

    `maxLength` counts characters; the byte limit is the one rule of the document JSON Schema
    cannot express (its description states it), and the server rightly answers those with 422.
    """
    if (case.method.upper(), case.path) in LINK_TOKEN_OPERATIONS and _schema_valid_link_body(case.body):
        return False
    if (case.method.upper(), case.path) in AUTHENTICATOR_CODE_OPERATIONS and _schema_valid_code_body(case.body):
        return False
    field = NEW_PASSWORD_FIELDS.get((case.method.upper(), case.path))
    if field is None or not _not_negative(case) or not isinstance(case.body, dict):
        return True
    value = case.body.get(field)
    return not (isinstance(value, str) and len(value.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES)


@schemathesis.hook
def before_call(context, case, kwargs):
    # A stateful link can carry a null field into a path (an audit event's `session_id` into
    # DELETE /users/me/sessions/{id}) and then counts the request as schema-valid, though the
    # document says the id is a UUID and `None` is none (the server rightly answers 400).
    # Such a step becomes an id nobody has, which must get 404.
    params = getattr(case, "path_parameters", None)
    if params:
        for name, value in list(params.items()):
            if value is None or value == "None":
                params[name] = str(uuid.uuid4())
    if (case.method.upper(), case.path) not in PASSWORD_CHECKED:
        return
    if not _not_negative(case) or not isinstance(case.body, dict):
        return
    body = case.body
    # An email change needs the current password; other fields take it when present.
    if "current_password" in body or (case.path == "/users/me" and "email" in body):
        with _lock:
            body["current_password"] = USER.password


@schemathesis.hook
def after_call(context, case, response):
    """Follows the test user's credentials through the changes the run itself makes."""
    if not 200 <= response.status_code < 300 or not isinstance(case.body, dict):
        return
    key = (case.method.upper(), case.path)
    if key == ("POST", "/users/me/tokens"):
        # A created token is revoked at once, so the run's hundreds of creations never reach the
        # limit of 50 live tokens (409, tested by tests/api/pats.rs).
        _revoke_created(case, response)
        return
    with _lock:
        if key == ("POST", "/users/me/password") and isinstance(case.body.get("new_password"), str):
            USER.password = case.body["new_password"]
        elif key == ("PATCH", "/users/me"):
            try:
                USER.email = response.json()["email"]
            except (ValueError, KeyError, TypeError):
                pass



def _revoke_created(case, response) -> None:
    try:
        token = response.json()["token"]
    except (ValueError, KeyError, TypeError):
        return
    requests.post(f"{BASE_URL}/auth/revoke", data={"token": token}, timeout=TIMEOUT)
