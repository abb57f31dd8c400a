#!/usr/bin/env python3
"""Proof + documentation of the test OIDC provider (provider.mjs): acts as the relying party.

Runs the authorization-code + PKCE flow over plain HTTP with redirects disabled and a cookie
jar, exactly what a reqwest-based Rust test does. Run: python3 tests/oidc-provider/demo_flow.py
(needs `npm ci` in tests/oidc-provider first).
"""
import base64, hashlib, http.cookiejar, json, os, secrets, socket, subprocess, sys
import urllib.error, urllib.parse, urllib.request
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ID, CLIENT_SECRET = "gatehouse", "gatehouse-secret"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # surface every 30x to the caller


def session():
    """A fresh 'browser': cookie jar + no automatic redirects."""
    jar = http.cookiejar.CookieJar()
    return jar, urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def call(opener, method, url, data=None, headers=None):
    """Returns (status, headers, body-bytes) without raising on 3xx/4xx/5xx."""
    if isinstance(data, dict):
        data = urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input" and "name" in a:
            self.fields[a["name"]] = a.get("value", "")


def verify_rs256(jwt, jwks):
    """PKCS#1 v1.5 / SHA-256 signature check with nothing but integers."""
    header_b64, payload_b64, sig_b64 = jwt.split(".")
    kid = json.loads(b64url_decode(header_b64))["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    n = int.from_bytes(b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(b64url_decode(jwk["e"]), "big")
    k = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(b64url_decode(sig_b64), "big"), e, n).to_bytes(k, "big")
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420")
    digest = hashlib.sha256(f"{header_b64}.{payload_b64}".encode()).digest()
    t = digest_info + digest
    return em == b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def login_flow(issuer, redirect_uri, login, password="pw", verbose=False):
    """Authorization code + PKCE flow; returns (token response, nonce)."""
    jar, opener = session()
    status, _, body = call(opener, "GET", issuer + "/.well-known/openid-configuration")
    assert status == 200, status
    disco = json.loads(body)
    verifier = b64url(secrets.token_bytes(32))  # 43 chars, the PKCE minimum
    state, nonce = b64url(secrets.token_bytes(16)), b64url(secrets.token_bytes(16))
    url = disco["authorization_endpoint"] + "?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": redirect_uri,
        "scope": "openid email profile", "state": state, "nonce": nonce,
        "code_challenge": b64url(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256"})

    def follow(status, headers, url):
        """Follow 30x redirects by hand until the redirect_uri (not fetched) or a non-30x."""
        while status in (302, 303):
            url = urllib.parse.urljoin(url, headers["Location"])
            if verbose:
                print(f"  {status} -> {url[:100]}")
            if url.startswith(redirect_uri):
                return None, url
            status, headers, body = call(opener, "GET", url)
        return (status, body), url

    # 1. GET /auth?... -> 303 /interaction/<uid> -> 200 login form.
    page, url = follow(*call(opener, "GET", url)[:2], url)
    assert page and page[0] == 200 and "/interaction/" in url, (page, url)
    form = FormParser()
    form.feed(page[1].decode())
    if verbose:
        print(f"  login form: POST {form.action} fields {sorted(form.fields)}")
        print(f"  cookies: {sorted((c.name, c.path) for c in jar)}")
    # 2. POST /interaction/<uid> (prompt=login, login, password) -> 303 /auth/<uid> -> 303 callback.
    fields = dict(form.fields, login=login, password=password)
    action = urllib.parse.urljoin(url, form.action)
    status, headers, body = call(opener, "POST", action, fields)
    final, cb = follow(status, headers, action)
    assert final is None, f"never reached the redirect_uri: {final}"
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(cb).query))
    if verbose:
        print(f"  callback params: {sorted(params)}; cookies now {sorted(c.name for c in jar)}")
    assert params["state"] == state and params["iss"] == issuer, params
    # 3. POST /token with client_secret_basic + code_verifier.
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    status, _, body = call(opener, "POST", disco["token_endpoint"], {
        "grant_type": "authorization_code", "code": params["code"],
        "redirect_uri": redirect_uri, "code_verifier": verifier},
        {"Authorization": "Basic " + basic})
    assert status == 200, (status, body)
    return json.loads(body), nonce


def main():
    with socket.socket() as s:  # a port where nothing listens: the callback is never fetched
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    redirect_uri = f"http://127.0.0.1:{dead_port}/auth/oidc/acme/callback"
    env = dict(os.environ, PORT="0", OIDC_REDIRECT_URIS=redirect_uri)
    proc = subprocess.Popen(["node", os.path.join(HERE, "provider.mjs")], env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line:
            sys.exit("provider.mjs exited before printing its JSON line (npm ci done?)")
        info = json.loads(line)
        issuer = info["issuer"]
        print(f"provider: {info}")
        _, api = session()
        put = lambda path, obj: call(api, "PUT", issuer + path, json.dumps(obj).encode(),
                                     {"Content-Type": "application/json"})[0]
        assert call(api, "GET", issuer + "/__test/health")[0] == 200
        assert call(api, "GET", issuer + "/__test/nope")[0] == 404
        assert put("/__test/accounts/alice",
                   {"email": "alice@example.com", "email_verified": True}) == 204

        tokens, nonce = login_flow(issuer, redirect_uri, "alice", verbose=True)
        claims = json.loads(b64url_decode(tokens["id_token"].split(".")[1]))
        print(f"id_token claims: {claims}")
        assert claims["iss"] == issuer and claims["aud"] == CLIENT_ID, claims
        assert claims["sub"] == "alice" and claims["nonce"] == nonce, claims
        assert claims["email"] == "alice@example.com" and claims["email_verified"] is True
        jwks = json.loads(call(api, "GET", issuer + "/jwks")[2])
        assert verify_rs256(tokens["id_token"], jwks), "signature must verify"
        assert not verify_rs256(tokens["id_token"][:-4] + "AAAA", jwks)

        # An account never set gets only sub (no email).
        bob = json.loads(b64url_decode(login_flow(issuer, redirect_uri, "bob")[0]["id_token"].split(".")[1]))
        assert bob["sub"] == "bob" and "email" not in bob, bob

        # Tamper: applies once to the next id_token, re-signed with the provider key.
        assert put("/__test/tamper", {"nonce": "not-the-one", "email": None}) == 204
        tokens, _ = login_flow(issuer, redirect_uri, "alice")
        tampered = json.loads(b64url_decode(tokens["id_token"].split(".")[1]))
        assert tampered["nonce"] == "not-the-one" and "email" not in tampered, tampered
        assert verify_rs256(tokens["id_token"], jwks), "re-signed token must verify"
        print(f"tampered id_token: nonce={tampered['nonce']!r}, email removed, signature valid")
        tokens, nonce = login_flow(issuer, redirect_uri, "alice")
        assert json.loads(b64url_decode(tokens["id_token"].split(".")[1]))["nonce"] == nonce

        # Discovery outage and recovery.
        assert put("/__test/fail", {"discovery": True}) == 204
        assert call(api, "GET", issuer + "/.well-known/openid-configuration")[0] == 503
        assert call(api, "GET", issuer + "/jwks")[0] == 503
        assert put("/__test/fail", {"discovery": False}) == 204
        assert call(api, "GET", issuer + "/.well-known/openid-configuration")[0] == 200
        print("discovery: 503 while failing, 200 after recovery")
        print("demo: ok")
    finally:
        proc.terminate()
        proc.wait(timeout=5)


if __name__ == "__main__":
    sys.exit(main())
