"""A tiny Salt Edge v6 stand-in for the client tests (NOT the simulator of
``simulators/saltedge``): plain HTTP on 127.0.0.1, canned data in dicts, every
request logged with whether its ``Signature`` verifies with the synthetic test
key, and errors injected per route. Shapes follow
``shared-notes/saltedge_contract.md``."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from clients.saltedge import SaltEdgeClient
from clients.saltedge_signing import load_public_key, signing_string, verify
from tests_standalone.saltedge_fixtures import PRIVATE_PEM, PUBLIC_PEM

APP_ID, SECRET = "test-app-id", "test-secret-value"


def tx(id_, amount, made_on="2025-01-10", **fields):
    """A transaction row; ``amount`` as JSON text (e.g. ``"0.1"``)."""
    row = {
        "id": str(id_),
        "account_id": "900",
        "duplicated": False,
        "mode": "normal",
        "status": "posted",
        "made_on": made_on,
        "amount": f"@@{amount}@@",
        "currency_code": "EUR",
        "description": f"Transaction {id_}",
        "extra": {},
    }
    row.update(fields)
    return row


def _rid(row):
    return row.get("id") or row.get("customer_id")


def _num(row):
    return int(_rid(row) or 0)


class Fake:
    """State and routes; ``start()`` serves them."""

    def __init__(self, page_size=3, from_id_inclusive=True):
        self.page_size = page_size
        self.from_id_inclusive = from_id_inclusive
        self.requests = []
        self.faults = {}  # (METHOD, path) -> (status, class)
        self.transactions = {"900": [], "901": []}
        self.pending = {"900": []}
        self.providers = [
            {
                "id": "1",
                "code": "kbc_be",
                "name": "KBC",
                "country_code": "BE",
                "status": "active",
                "regulated": True,
                "max_consent_days": 60,
                "max_fetch_interval": 30,
                "refresh_timeout": 60,
                "bic_codes": ["KREDBEBB"],
                "timezone": "Europe/Brussels",
            },
            {
                "id": "2",
                "code": "belfius_be",
                "name": "Belfius",
                "country_code": "BE",
                "status": "inactive",
                "regulated": True,
            },
            {
                "id": "3",
                "code": "scrape_be",
                "name": "Old Bank",
                "country_code": "BE",
                "status": "active",
                "regulated": False,
            },
            {
                "id": "4",
                "code": "gone_be",
                "name": "Gone Bank",
                "country_code": "BE",
                "status": "disabled",
            },
            {
                "id": "5",
                "code": "fake_oauth_client_xf",
                "name": "Fake OAuth",
                "country_code": "XF",
                "status": "active",
                "regulated": True,
            },
        ]
        self.customers = [{"customer_id": "7001", "identifier": "odoo-company-1"}]
        self.connection = {
            "id": "5001",
            "customer_id": "7001",
            "provider_code": "kbc_be",
            "status": "active",
            "last_consent_id": "6001",
            "next_refresh_possible_at": None,
            "last_attempt": {
                "id": "1",
                "finished": True,
                "success_at": "2025-01-01T10:00:00Z",
                "custom_fields": {"state": "S-1"},
            },
        }
        self.consent = {
            "id": "6001",
            "status": "active",
            "created_at": "2025-01-01T10:00:00Z",
            "expires_at": "2025-03-01T10:00:00Z",
            "revoked_at": None,
        }
        self.accounts = [
            {
                "id": "900",
                "connection_id": "5001",
                "name": "Current",
                "nature": "account",
                "balance": "@@1234.10@@",
                "currency_code": "EUR",
                "extra": {"iban": "BE68539007547034", "holder_name": "ACME SA"},
            },
            {
                "id": "901",
                "connection_id": "5001",
                "name": "Card",
                "nature": "card",
                "balance": "@@-10.5@@",
                "currency_code": "EUR",
                "extra": {"account_number": "5555"},
            },
        ]
        self.customer_key = "customer_id"  # v6 [C]; "id" in v5
        self.refresh_polls = 1  # GETs of the connection before it is finished
        self.refresh_outcome = {"success_at": "2025-01-10T10:00:00Z"}
        self._polls = 0

    # --- routes -------------------------------------------------------------------

    def route(self, method, path, query, body):
        fault = self.faults.get((method, path))
        if fault:
            status, cls, *then = fault
            for change in then:
                change(self)
            return status, {
                "error": {"class": cls, "message": f"{cls} happened ({SECRET})"},
                "request": body or {},
            }
        parts = path.strip("/").split("/")
        handler = getattr(self, f"_{method.lower()}_{parts[0]}", None)
        if handler is None:
            return 404, {"error": {"class": "RouteNotFound", "message": path}}
        return handler(parts[1:], query, body)

    def _listing(self, rows, query):
        rows = sorted(rows, key=_num)
        if query.get("from_id"):
            start = int(query["from_id"])
            rows = [
                r
                for r in rows
                if _num(r) > start or (self.from_id_inclusive and _num(r) == start)
            ]
        page, rest = rows[: self.page_size], rows[self.page_size :]
        next_id = _rid(rest[0]) if rest else None
        if next_id and not self.from_id_inclusive:
            next_id = _rid(page[-1])
        return 200, {"data": page, "meta": {"next_id": next_id, "next_page": None}}

    def _get_transactions(self, parts, query, body):
        account = query["account_id"]
        if query.get("pending") == "true":
            return self._listing(self.pending.get(account, []), query)
        return self._listing(self.transactions.get(account, []), query)

    def _get_providers(self, parts, query, body):
        if parts:
            found = [p for p in self.providers if p["code"] == parts[0]]
            if not found:
                return 404, {"error": {"class": "ProviderNotFound", "message": "x"}}
            return 200, {"data": found[0]}
        rows = [
            p
            for p in self.providers
            if p["country_code"] == query.get("country_code", p["country_code"])
            and (p["country_code"] != "XF" or query.get("include_sandboxes"))
        ]
        return self._listing(rows, query)

    def _post_customers(self, parts, query, body):
        ident = body["data"]["identifier"]
        if any(c["identifier"] == ident for c in self.customers):
            return 409, {"error": {"class": "DuplicatedCustomer", "message": ident}}
        new_id = str(7001 + len(self.customers))
        self.customers.append({self.customer_key: new_id, "identifier": ident})
        return 200, {"data": self.customers[-1]}

    def _get_customers(self, parts, query, body):
        return self._listing(self.customers, query)

    def _get_connections(self, parts, query, body):
        if not parts:
            return self._listing([self.connection], query)
        if parts[0] != self.connection["id"]:
            return 404, {"error": {"class": "ConnectionNotFound", "message": "x"}}
        attempt = self.connection["last_attempt"]
        if not attempt["finished"]:
            self._polls += 1
            if self._polls > self.refresh_polls:
                attempt.update(finished=True, **self.refresh_outcome)
        return 200, {"data": self.connection}

    def _post_connections(self, parts, query, body):
        if parts == ["connect"] or parts[-1:] == ["reconnect"]:
            return 200, {
                "data": {
                    "connect_url": "https://connect.example/widget/abc",
                    "expires_at": "2025-01-10T11:00:00Z",
                }
            }
        if parts[-1:] == ["refresh"]:
            self._polls = 0
            self.connection["last_attempt"] = {"id": "2", "finished": False}
            return 200, {"data": self.connection}
        return 404, {"error": {"class": "RouteNotFound", "message": "x"}}

    def _delete_connections(self, parts, query, body):
        return 200, {"data": {"removed": True, "id": parts[0]}}

    def _get_accounts(self, parts, query, body):
        return self._listing(self.accounts, query)

    def _get_consents(self, parts, query, body):
        return 200, {"data": self.consent}

    def _put_consents(self, parts, query, body):
        self.consent.update(status="revoked", revoked_at="2025-01-11T00:00:00Z")
        return 200, {"data": self.consent}

    # --- server -------------------------------------------------------------------

    def start(self):
        fake = self
        key = load_public_key(PUBLIC_PEM)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = f"http://{self.headers['Host']}{self.path}"
                expires = self.headers.get("Expires-at")
                signature = self.headers.get("Signature")
                signed = bool(expires and signature) and verify(
                    key, signing_string(expires, self.command, url, raw), signature
                )
                split = urlsplit(self.path)
                query = dict(parse_qsl(split.query))
                body = json.loads(raw) if raw else None
                fake.requests.append(
                    {
                        "method": self.command,
                        "url": url,
                        "raw": raw,
                        "headers": dict(self.headers),
                        "signed": signed,
                        "query": query,
                    }
                )
                path = split.path.removeprefix("/api/v6")
                status, answer = fake.route(self.command, path, query, body)
                # amounts written "@@0.1@@" go out as bare JSON numbers
                text = json.dumps(answer).replace('"@@', "").replace('@@"', "")
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/api/v6"
        threading.Thread(
            target=self.server.serve_forever, args=(0.02,), daemon=True
        ).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def client(self, **kwargs):
        options = {
            "base_url": self.base_url,
            "client_id": APP_ID,
            "client_secret": SECRET,
            "private_key": PRIVATE_PEM,
            "connection_id": "5001",
            "customer_id": "7001",
            "retries": 0,
            "timeout": (5, 5),
            "sync_poll_interval": 0,
            "sync_poll_timeout": 5,
        }
        return SaltEdgeClient(**{**options, **kwargs})
