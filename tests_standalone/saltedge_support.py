"""Test helpers for the Salt Edge simulator, independent of ``clients/``: a
signed API caller, a tiny id-driven browser for the widget pages, and a
loopback receiver for callbacks."""

import base64
import json
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from simulators.saltedge import SaltEdgeSimulator

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


class _Page(HTMLParser):
    """Elements by id; forms with their inputs (checkboxes and radios with
    their checked state), the form each button belongs to, links."""

    def __init__(self):
        super().__init__()
        self.ids, self.forms, self.form = {}, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        attrs["tag"] = tag
        if tag == "form":
            self.form = {"action": attrs.get("action", ""), "inputs": []}
            self.forms.append(self.form)
        if self.form is not None and tag in ("input", "select", "button"):
            attrs["form"] = self.form
            if tag != "button":
                self.form["inputs"].append(attrs)
        if tag == "option" and self.form is not None:
            select = self.form["inputs"][-1]
            select.setdefault("value", attrs.get("value"))
        if attrs.get("id"):
            self.ids[attrs["id"]] = attrs

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None


class Browser:
    """Drives the widget the way a tour does: by element ids."""

    def __init__(self, sim):
        self.sim, self.url, self.page, self.status = sim, None, None, None

    def open(self, url):
        """GET ``url``, following redirects inside the simulator; returns the
        first URL outside it (the return URL), or None on a page."""
        while url.startswith(self.sim.root_url):
            answer = requests.get(
                url, verify=self.sim.ca_file, timeout=10, allow_redirects=False
            )
            if answer.status_code in (301, 302, 303):
                url = urljoin(url, answer.headers["Location"])
                continue
            self.url, self.status, self.page = url, answer.status_code, _Page()
            self.page.feed(answer.text)
            self.text = answer.text
            return None
        return url

    def has(self, ident):
        return ident in self.page.ids

    def check(self, ident):
        self.page.ids[ident]["checked"] = ""
        if self.page.ids[ident].get("type") == "radio":
            for other in self.page.ids[ident]["form"]["inputs"]:
                same = other.get("name") == self.page.ids[ident]["name"]
                if same and other is not self.page.ids[ident]:
                    other.pop("checked", None)

    def select(self, ident, value):
        self.page.ids[ident]["value"] = value

    def click(self, ident):
        """Submit the button's form; returns the URL outside the simulator
        where it ends, or None when it ends on a page."""
        element = self.page.ids[ident]
        if element["tag"] == "a":
            return self.open(urljoin(self.url, element["href"]))
        form, fields = element["form"], []
        for field in form["inputs"]:
            kind = field.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in field:
                continue
            if field.get("name"):
                fields.append((field["name"], field.get("value", "")))
        if element.get("name"):
            fields.append((element["name"], element.get("value", "")))
        answer = requests.post(
            urljoin(self.url, form["action"]),
            data=fields,
            verify=self.sim.ca_file,
            timeout=10,
            allow_redirects=False,
        )
        assert answer.status_code in (302, 303), (answer.status_code, answer.text)
        return self.open(urljoin(self.url, answer.headers["Location"]))


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def run_widget(sim, connect_url, deny=False):
    """Business -> Proceed -> terms -> Confirm -> Authorize (or Deny) ->
    fetching -> Return; returns the return URL."""
    browser = Browser(sim)
    browser.open(connect_url)
    browser.check("se-business")
    browser.click("se-proceed")
    browser.check("se-terms")
    browser.click("se-confirm")
    browser.click("se-deny" if deny else "se-authorize")
    if browser.has("se-continue"):
        browser.click("se-continue")
    return browser.click("se-return")


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
