"""The mail server of the TLS tests: aiosmtpd keeping what it receives in a Maildir, refusing
mail without AUTH, and with --starttls refusing AUTH before STARTTLS (or, with --implicit,
speaking TLS from the first byte). A delivered message so proves the whole path: TLS, the
certificate check against SSL_CERT_FILE, and the URL's user and password."""

import argparse
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--maildir", required=True)
parser.add_argument("--user", required=True)
parser.add_argument("--password", required=True)
parser.add_argument("--implicit", action="store_true")
args = parser.parse_args()

context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(args.cert, args.key)


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == args.user
        and auth_data.password.decode() == args.password
    )
    # handled=False: aiosmtpd answers 535 itself (its default, handled=True, answers nothing).
    return AuthResult(success=ok, handled=False)


common = dict(authenticator=authenticate, auth_required=True)
if args.implicit:
    # aiosmtpd counts only STARTTLS as TLS for AUTH; here every byte is already encrypted.
    controller = Controller(
        Mailbox(args.maildir), hostname="127.0.0.1", port=args.port, ssl_context=context, auth_require_tls=False, **common
    )
else:
    controller = Controller(
        Mailbox(args.maildir), hostname="127.0.0.1", port=args.port, tls_context=context, require_starttls=True, **common
    )
controller.start()
print("ready", flush=True)
threading.Event().wait()
