"""Salt Edge's callbacks: ``success``, ``fail``, ``notify``, ``destroy`` and
``service``, POSTed to the URLs set with ``set_callback_urls`` (one per kind,
as in Salt Edge's dashboard), from a background thread, in order.

Body ``{"data": {...}, "meta": {"version": "6", "time": iso}}``; header
``Signature`` = base64 of RSA PKCS#1 v1.5 SHA-256 over ``callback_url + "|" +
raw body`` with the simulator's own Salt Edge key (public PEM:
``callback_public_key_pem``). Redirects are not followed. Every delivery is
logged in ``callback_deliveries`` (``url``, ``kind``, ``status``, ``body``,
``signature``, ``error``); a failed one is logged, never raised.
"""

import base64
import json
import ssl
import threading
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from ..ponto.tls import cached_key
from ..ponto.util import iso

KINDS = ("success", "fail", "notify", "destroy", "service")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is the answer


def _post(url, body, signature, timeout):
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Signature": signature},
    )
    handlers = [_NoRedirect()]
    if url.startswith("https:"):  # a local receiver: its certificate is not checked
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


class CallbackMixin:
    @property
    def callback_key(self):
        return cached_key("saltedge-callbacks")

    @property
    def callback_public_key_pem(self):
        return (
            self.callback_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            .decode()
        )

    def set_callback_urls(self, urls=None, **more):
        """``{"success": url, "fail": url, ...}`` (or keywords); None removes one."""
        urls = {**(urls or {}), **more}
        unknown = set(urls) - set(KINDS)
        if unknown:
            raise ValueError("unknown callback kinds: " + ", ".join(sorted(unknown)))
        with self.lock:
            self.callback_urls.update(urls)
            self.callback_urls = {k: v for k, v in self.callback_urls.items() if v}
        return dict(self.callback_urls)

    def sign_callback(self, url, body):
        signed = url.encode() + b"|" + body
        raw = self.callback_key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    def callback_body(self, data):
        meta = {"version": "6", "time": iso(self.now())}
        return json.dumps({"data": data, "meta": meta}, separators=(",", ":")).encode()

    def _deliver(self, log, kind, url, body):
        entry = {"url": url, "kind": kind, "body": body.decode(), "status": None}
        entry["signature"] = self.sign_callback(url, body)
        entry["error"] = None
        try:
            entry["status"] = _post(
                url, body, entry["signature"], self.callback_timeout_s
            )
        except Exception as exc:  # delivery failures are logged, never raised
            entry["error"] = repr(exc)
        log.append(entry)
        return entry

    def queue_callbacks(self, items):
        """``[(kind, data), ...]`` sent in order from a thread; kinds with no URL
        are skipped (and not logged)."""
        jobs = [
            (kind, self.callback_urls[kind], self.callback_body(data))
            for kind, data in items
            if self.callback_urls.get(kind)
        ]
        if not jobs:
            return
        log = (
            self.callback_deliveries
        )  # a reset installs a new log: late ones land here

        def run():
            for kind, url, body in jobs:
                self._deliver(log, kind, url, body)

        thread = threading.Thread(target=run, name="saltedge-callbacks", daemon=True)
        self._callback_threads = [t for t in self._callback_threads if t.is_alive()]
        self._callback_threads.append(thread)
        thread.start()

    def send_callback(self, kind, connection_id=None, url=None, **data):
        """Send one callback now (synchronously) and return its delivery:
        ``data`` defaults to the connection's ``connection_id``,
        ``customer_id`` and ``custom_fields``; add ``stage``, ``reason``,
        ``error_class``, ``error_message``... as keywords."""
        if kind not in KINDS:
            raise ValueError(f"unknown callback kind {kind!r}")
        with self.lock:
            conn = self.world.connections.get(connection_id or "")
            payload = {"connection_id": connection_id}
            if conn is not None:
                payload["customer_id"] = conn.customer_id
                payload["custom_fields"] = dict(conn.last_attempt.custom_fields)
            payload.update(data)
            url = url or self.callback_urls.get(kind)
            body = self.callback_body(payload)
            log = self.callback_deliveries
        if not url:
            raise ValueError(f"no URL for {kind} callbacks: set_callback_urls() first")
        return self._deliver(log, kind, url, body)

    def wait_callbacks(self, count=1, kind=None, timeout=5.0):
        """The deliveries (of ``kind``) once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [d for d in self.callback_deliveries if kind in (None, d["kind"])]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.01)

    def flush_callbacks(self, timeout=5.0):
        """Wait for the callbacks queued so far to be delivered (or fail)."""
        for thread in list(self._callback_threads):
            thread.join(timeout)
