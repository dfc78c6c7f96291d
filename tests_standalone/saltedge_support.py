"""Test helpers for the Salt Edge simulator, independent of ``clients/``: a
signed API caller, a tiny id-driven browser for the widget pages, and a
loopback receiver for callbacks."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from simulators.saltedge import SaltEdgeSimulator
from simulators.saltedge.browser import Browser, query_of, run_widget  # noqa: F401

RETURN_TO = "https://odoo.example.test/bank_sync/saltedge/return?state=st-42"


def load_private_key(path=SaltEdgeSimulator.TEST_PRIVATE_KEY_FILE):
    with open(path, "rb") as fh:
        return serialization.load_pem_private_key(fh.read(), password=None)


def sign(key, message):
    raw = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def verify(public_pem, message, signature):
    key = serialization.load_pem_public_key(public_pem.encode())
    try:
        key.verify(
            base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return False
    return True


class Api:
    """Signed calls to ``sim.api_url`` (the full URL is built and signed here,
    then sent as is). ``headers`` overrides or removes (None) a header."""

    def __init__(self, sim, key=None):
        self.sim, self.key = sim, key or load_private_key()

    def url(self, path, params=None):
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.sim.api_url}{path}{query}"

    def call(self, method, path, params=None, body=None, headers=None, expires=None):
        import time

        url = self.url(path, params)
        raw = json.dumps(body, separators=(",", ":")) if body is not None else ""
        expires = str(int(time.time()) + 60) if expires is None else str(expires)
        sent = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "App-id": self.sim.app_id,
            "Secret": self.sim.secret,
            "Expires-at": expires,
            "Signature": sign(self.key, f"{expires}|{method}|{url}|{raw}"),
        }
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        return requests.request(
            method,
            url,
            data=raw.encode() or None,
            headers=sent,
            verify=self.sim.ca_file,
            timeout=10,
            allow_redirects=False,
        )

    def get(self, path, **params):
        return self.call("GET", path, params or None)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body=body if body is not None else {}, **kw)

    def ok(self, method, path, params=None, body=None):
        answer = self.call(method, path, params, body)
        assert answer.status_code == 200, (answer.status_code, answer.text[:400])
        return answer.json()

    def error_class(self, answer):
        return answer.json()["error"]["class"]

    def all_pages(self, path, **params):
        """Every ``data`` row, following ``meta.next_id``."""
        rows, pages = [], 0
        while True:
            body = self.ok("GET", path, params)
            rows += body["data"]
            pages += 1
            if body["meta"]["next_id"] is None:
                return rows, pages
            params["from_id"] = body["meta"]["next_id"]

    def customer(self, identifier="odoo-company-1"):
        body = self.ok("POST", "/customers", body={"data": {"identifier": identifier}})
        return body["data"]["customer_id"]

    def connect(self, customer_id, code="kbc_business_be", **extra):
        data = {
            "customer_id": customer_id,
            "consent": {"scopes": ["accounts", "transactions"], "period_days": 90},
            "attempt": {
                "return_to": RETURN_TO,
                "fetch_scopes": ["accounts", "transactions"],
                "custom_fields": {"state": "st-42"},
            },
            "provider": {"code": code, "include_sandboxes": code.endswith("_xf")},
        }
        data.update(extra)
        return self.ok("POST", "/connections/connect", body={"data": data})["data"]


class CallbackReceiver:
    """A loopback HTTP server that records the callbacks POSTed to it."""

    def __init__(self, status=200):
        self.received, self.status = [], status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url(self, kind):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/callbacks/{kind}/"

    def urls(self):
        kinds = ("success", "fail", "notify", "destroy", "service")
        return {kind: self.url(kind) for kind in kinds}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
