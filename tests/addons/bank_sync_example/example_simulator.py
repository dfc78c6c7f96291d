"""An HTTPS simulator of the Example Bank API (see ``example_client.py``), on
loopback, with the TLS material of the Ponto simulator's throw-away CA."""

import json
import shutil
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from odoo.addons.account_bank_sync.simulators.ponto import tls
from odoo.addons.account_bank_sync.simulators.ponto.server import server_context

APP_ID, APP_SECRET = "example-app", "example-secret"
CUSTOMER_ID = "cust-42"
BANK = {"id": "exb-1", "name": "Example Bank", "bic": "EXBKBE22", "country": "BE"}
PAGE_SIZE = 3
CONSENT_DAYS = 90


class ExampleSimulator:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = Counter()  # (method, path) -> count
        self.deny = False
        self.customers = set()
        self.accounts = {
            "exa-1": {
                "id": "exa-1",
                "iban": "BE71096123456769",
                "currency": "EUR",
                "name": "Example current account",
                "bank_id": BANK["id"],
                "balance": "1000.00",
            },
        }
        self.transactions = {"exa-1": []}  # newest first
        self.consent_until = self.now() + timedelta(days=CONSENT_DAYS)
        self._httpd = None

    @staticmethod
    def now():
        return datetime.now(UTC).replace(microsecond=0)

    def book(self, account_id, amount, description, day):
        """A new transaction of ``account_id`` (newest first)."""
        with self.lock:
            txs = self.transactions[account_id]
            txs.insert(
                0,
                {
                    "id": f"extx-{account_id}-{len(txs) + 1}",
                    "amount": f"{amount:.2f}",
                    "currency": "EUR",
                    "date": day.isoformat(),
                    "description": description,
                    "counterpart_name": "Example Customer",
                    "counterpart_iban": "BE68539007547034",
                },
            )
            return txs[0]["id"]

    def count(self, method, path):
        return self.requests[method, path]

    def visit(self, url):
        """The user's browser on one of the simulator's pages: where it sends
        them back to (its Location)."""
        response = requests.get(
            url, verify=self.ca_file, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, response.status_code
        return response.headers["Location"]

    # --- life cycle ----------------------------------------------------------

    def start(self):
        self._tmpdir = tempfile.mkdtemp(prefix="example-sim-")
        ca = tls.CertificateAuthority(self._tmpdir, key=tls.cached_key("ca"))
        cert, key = ca.server_files()
        self.ca_file = ca.ca_file
        with open(ca.ca_file) as handle:
            self.ca_pem = handle.read()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.socket = server_context(cert, key, ca.ca_file).wrap_socket(
            self._httpd.socket, server_side=True
        )
        threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        ).start()
        self.url = f"https://127.0.0.1:{self._httpd.server_address[1]}"
        return self

    def stop(self):
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        shutil.rmtree(self._tmpdir, ignore_errors=True)

    # --- the API ----------------------------------------------------------------

    def answer(self, method, path, query, headers, body):
        """(status, JSON body or None, Location or None)."""
        with self.lock:
            self.requests[method, path] = self.requests[method, path] + 1
        if path == "/authorize":  # the user's browser
            back = dict(query)
            params = {"state": back.get("state", "")}
            if self.deny:
                params["error"] = "access_denied"
            else:
                self.customers.add(CUSTOMER_ID)
                params["customer_id"] = CUSTOMER_ID
            return_to = back["return_to"]
            separator = "&" if "?" in return_to else "?"
            return 302, None, f"{return_to}{separator}{urlencode(params)}"
        if path == "/renew":  # the user's browser
            self.consent_until = self.now() + timedelta(days=CONSENT_DAYS)
            return 302, None, dict(query)["return_to"]
        if (headers.get("X-App-Id"), headers.get("X-App-Secret")) != (
            APP_ID,
            APP_SECRET,
        ):
            return 401, {"error": "unknown application"}, None
        if path == "/banks":
            return 200, {"banks": [BANK]}, None
        if headers.get("X-Customer-Id") not in self.customers:
            return 403, {"error": "unknown customer"}, None
        return self._customer_call(method, path.strip("/").split("/"), query, body)

    def _account(self, account_id):
        return {
            **self.accounts[account_id],
            "consent_until": self.consent_until.isoformat(),
        }

    def _customer_call(self, method, parts, query, body):
        if parts == ["accounts"]:
            return 200, {"accounts": [self._account(a) for a in self.accounts]}, None
        if parts == ["renewals"] and method == "POST":
            url = f"{self.url}/renew?{urlencode({'return_to': body['return_to']})}"
            return 200, {"url": url}, None
        if parts == ["customer"] and method == "DELETE":
            self.customers.clear()
            return 200, {}, None
        if parts[0] != "accounts" or parts[1] not in self.accounts:
            return 404, {"error": "not found"}, None
        account_id = parts[1]
        if len(parts) == 2:
            if method == "DELETE":
                self.accounts.pop(account_id)
                return 200, {}, None
            return 200, {"account": self._account(account_id)}, None
        if parts[2] == "refresh":
            return 200, {"status": "done"}, None
        txs = self.transactions[account_id]
        if len(parts) == 4:
            found = [tx for tx in txs if tx["id"] == parts[3]]
            return (200, {"transaction": found[0]}, None) if found else (404, {}, None)
        cursor = dict(query).get("cursor")
        start = next((i + 1 for i, tx in enumerate(txs) if tx["id"] == cursor), 0)
        page = txs[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(txs)
        return (
            200,
            {"transactions": page, "next_cursor": page[-1]["id"] if more else None},
            None,
        )


def _handler(sim):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def _serve(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, body, location = sim.answer(
                self.command,
                parts.path,
                parse_qsl(parts.query),
                self.headers,
                json.loads(raw) if raw else None,
            )
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

    return Handler
