"""The HTTP calls the scripts in .ci make to a running Gatehouse: JSON or form bodies, an
optional bearer token, and the answer as (status, parsed JSON or None), errors included."""
import json
import urllib.error
import urllib.parse
import urllib.request


def call(base, method, path, body=None, token=None, form=None):
    data, kind = None, None
    if body is not None:
        data, kind = json.dumps(body).encode(), "application/json"
    if form is not None:
        data, kind = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    request = urllib.request.Request(base + path, data=data, method=method)
    if kind:
        request.add_header("content-type", kind)
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        return error.code, (json.loads(text) if text else None)
