"""Two-step sign-in driven end to end against a running server, with every TOTP code computed
by pyotp (PyPI), an implementation that is not the server's: enrol from the otpauth:// URI,
confirm, sign in with the second step, refuse a replayed code, use a recovery code once, make
new recovery codes, turn it off. Prints `mfa-pyotp: N passed, M failed`.

usage: python3 mfa_pyotp.py BASE_URL
"""
import base64
import sys
import time
import uuid

import gatehouse_http
import pyotp

BASE = sys.argv[1].rstrip("/")
PASSWORD = "quartz lantern ferret obelisk"


def call(method, path, body=None, token=None, form=None):
    return gatehouse_http.call(BASE, method, path, body, token, form)


def expect(status, answer, what):
    got, body = answer
    if got != status:
        raise AssertionError(f"{what}: expected {status}, got {got}: {body}")
    return body


def code_of_next_step(totp):
    """A code of the step after the current one: the current step's is used by the time it is
    needed again, and the server accepts the next step's."""
    return totp.at(time.time() + 30)


def run():
    email = f"pyotp-{uuid.uuid4().hex[:8]}@example.com"
    expect(201, call("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "Py OTP"}), "register")
    tokens = expect(200, call("POST", "/auth/login", {"email": email, "password": PASSWORD}), "login")
    access = tokens["access_token"]

    enrolment = expect(201, call("POST", "/users/me/mfa/totp", {}, access), "enrol")
    totp = pyotp.parse_uri(enrolment["otpauth_uri"])
    assert isinstance(totp, pyotp.TOTP) and totp.digits == 6 and totp.interval == 30, enrolment["otpauth_uri"]
    assert totp.issuer == "Gatehouse" and totp.name == email, (totp.issuer, totp.name)
    assert len(base64.b32decode(totp.secret + "=" * (-len(totp.secret) % 8))) >= 20, "at least 160 bits"
    codes = expect(200, call("POST", "/users/me/mfa/totp/confirm", {"code": totp.now()}, access), "confirm")["recovery_codes"]
    assert len(codes) == 10, codes

    first = expect(403, call("POST", "/auth/login", {"email": email, "password": PASSWORD}), "first step")
    assert first["type"] == "urn:gatehouse:mfa-required" and "access_token" not in first, first
    code = code_of_next_step(totp)
    signed_in = expect(200, call("POST", "/auth/login/mfa", {"mfa_token": first["mfa_token"], "code": code}), "second step")
    again = expect(403, call("POST", "/auth/login", {"email": email, "password": PASSWORD}), "first step again")
    expect(401, call("POST", "/auth/login/mfa", {"mfa_token": again["mfa_token"], "code": code}), "a replayed code")

    expect(200, call("POST", "/auth/login/mfa", {"mfa_token": again["mfa_token"], "code": codes[0]}), "a recovery code")
    third = expect(403, call("POST", "/auth/login", {"email": email, "password": PASSWORD}), "first step, third")
    expect(401, call("POST", "/auth/login/mfa", {"mfa_token": third["mfa_token"], "code": codes[0]}), "a used recovery code")

    access = signed_in["access_token"]
    fresh = expect(200, call("POST", "/users/me/mfa/recovery-codes", {"code": codes[1]}, access), "new recovery codes")["recovery_codes"]
    status = expect(200, call("GET", "/users/me/mfa", None, access), "status")
    assert status["totp"] is True and status["recovery_codes_left"] == 10, status
    expect(204, call("DELETE", "/users/me/mfa", {"code": fresh[0]}, access), "turn it off")
    expect(200, call("POST", "/auth/login", {"email": email, "password": PASSWORD}), "a password alone again")


try:
    run()
    print("mfa-pyotp: 1 passed, 0 failed")
except Exception as error:  # noqa: BLE001 - the one line CI sums, then the reason
    print(f"mfa-pyotp: 0 passed, 1 failed\n{type(error).__name__}: {error}")
    sys.exit(1)
