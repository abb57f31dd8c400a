"""Why introspection exists, shown by a resource server that is not ours: PyJWT (PyPI) with its
JWKS client verifies Gatehouse's EdDSA access tokens by signature alone, so it still accepts a
token after its session logged out; RFC 7662 introspection, called with a personal access token
of scope `introspect`, says `active: false` at once. Also: the token's checksum as a secret
scanner computes it (zlib's CRC-32), and RFC 7009 revocation of the service's own token.
Prints `introspection-pyjwt: N passed, M failed`.

usage: python3 introspection_pyjwt.py BASE_URL
"""
import sys
import uuid
import zlib

import gatehouse_http
import jwt

BASE = sys.argv[1].rstrip("/")
PASSWORD = "quartz lantern ferret obelisk"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def call(method, path, body=None, token=None, form=None):
    return gatehouse_http.call(BASE, method, path, body, token, form)


passed, failed = 0, 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print("FAILED:", what, file=sys.stderr)


def base62_six(value):
    digits = ""
    for _ in range(6):
        value, digit = divmod(value, 62)
        digits = BASE62[digit] + digits
    return digits


email = f"service-{uuid.uuid4().hex[:8]}@example.com"
status, _ = call("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "Billing service"})
check(status == 201, f"register: {status}")
status, owner = call("POST", "/auth/login", {"email": email, "password": PASSWORD})
check(status == 200, f"login: {status}")

# The service's token: created by a fresh session, its checksum as a scanner would check it.
status, created = call("POST", "/users/me/tokens", {"name": "billing", "scopes": ["introspect"]}, owner["access_token"])
check(status == 201, f"token created: {status} {created}")
service = created["token"]
random, checksum = service[len("gatehouse_pat_"):][:32], service[len("gatehouse_pat_"):][32:]
check(service.startswith("gatehouse_pat_") and len(random) == 32, "the token's shape")
check(checksum == base62_six(zlib.crc32(random.encode())), "the checksum is zlib's CRC-32 in base62")

# A user signs in; the resource server verifies the access token by the JWKS.
user = f"ada-{uuid.uuid4().hex[:8]}@example.com"
call("POST", "/auth/register", {"email": user, "password": PASSWORD, "name": "Ada"})
status, session = call("POST", "/auth/login", {"email": user, "password": PASSWORD})
access = session["access_token"]
jwks = jwt.PyJWKClient(BASE + "/.well-known/jwks.json")
key = jwks.get_signing_key_from_jwt(access)
claims = jwt.decode(access, key.key, algorithms=["EdDSA"], audience="gatehouse", issuer="gatehouse")
check(jwt.get_unverified_header(access)["alg"] == "EdDSA", "an EdDSA token")
status, answer = call("POST", "/auth/introspect", token=service, form={"token": access, "token_type_hint": "access_token"})
check(status == 200 and answer["active"] is True and answer["sub"] == claims["sub"] and answer["sid"] == claims["sid"], f"live: {answer}")
check(answer.get("username") == user and answer.get("exp") == claims["exp"], f"members: {answer}")

# Logged out: the signature still verifies, so the resource server alone would let it in.
status, _ = call("POST", "/auth/logout", {"refresh_token": session["refresh_token"]})
check(status == 204, f"logout: {status}")
still = jwt.decode(access, key.key, algorithms=["EdDSA"], audience="gatehouse", issuer="gatehouse")
check(still["sid"] == claims["sid"], "PyJWT still accepts the logged-out token by its signature")
status, answer = call("POST", "/auth/introspect", token=service, form={"token": access})
check(status == 200 and answer == {"active": False}, f"introspection after logout: {answer}")
status, _ = call("GET", "/users/me", token=access)
check(status == 401, f"Gatehouse itself refuses it: {status}")

# The service revokes its own token (RFC 7009) and can introspect no more.
status, _ = call("POST", "/auth/revoke", form={"token": service, "token_type_hint": "personal_access_token"})
check(status == 200, f"revoke: {status}")
status, _ = call("POST", "/auth/introspect", token=service, form={"token": access})
check(status == 401, f"a revoked token introspects nothing: {status}")

print(f"introspection-pyjwt: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
