"""Webhook events signed like Ibanity's: a compact JWS (RS512, header ``kid``)
in the ``Signature`` header, whose ``digest`` claim is the standard base64
SHA-512 of the exact body bytes.  Keys are served as a JWKS at /webhooks/keys."""

import base64
import datetime as _dt
import hashlib
import json
import ssl
import threading
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .tls import cached_key
from .util import b64url, iso, sim_uuid


def _int_b64(value):
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwks(key, kid):
    numbers = key.public_key().public_numbers()
    return {
        "keys": [
            {
                "alg": "RS512",
                "e": _int_b64(numbers.e),
                "kid": kid,
                "kty": "RSA",
                "n": _int_b64(numbers.n),
                "status": "ACTIVE",
                "use": "sig",
            }
        ]
    }


def event_body(
    sim,
    event_type,
    account_id=None,
    synchronization_id=None,
    attributes=None,
    count=None,
    subtype=None,
    event_id=None,
):
    if not event_type.startswith("pontoConnect."):
        event_type = "pontoConnect." + event_type
    n = sim.store.next()
    attrs = {"createdAt": iso(sim.now())}
    account = sim.store.accounts.get(account_id) if account_id else None
    if (
        synchronization_id is None
        and account is not None
        and (
            ".synchronization." in event_type
            or "ransactions" in event_type
            or "detailsUpdated" in event_type
        )
    ):
        synchronization_id = account.latest_sync_id
    sync = sim.store.syncs.get(synchronization_id)
    if ".synchronization." in event_type:
        attrs["synchronizationSubtype"] = subtype or (
            sync.subtype if sync else "accountTransactions"
        )
    if "ransactions" in event_type:
        attrs["count"] = count if count is not None else 1
    attrs.update(attributes or {})
    rel = {}
    if account_id:
        rel["account"] = {"data": {"id": account_id, "type": "account"}}
    rel["organization"] = {"data": {"id": sim.ORGANIZATION_ID, "type": "organization"}}
    if synchronization_id and "reauthorized" not in event_type:
        rel["synchronization"] = {
            "data": {"id": synchronization_id, "type": "synchronization"}
        }
    body = {
        "data": {
            "type": event_type,
            "id": event_id or sim_uuid("event", sim.seed, n),
            "attributes": attrs,
            "relationships": rel,
        }
    }
    return json.dumps(body, separators=(",", ":")).encode()


def sign(key, kid, body, issuer, audience, issued_at, ttl, jti):
    header = {"alg": "RS512", "kid": kid}
    claims = {
        "aud": audience,
        "digest": base64.b64encode(hashlib.sha512(body).digest()).decode(),
        "exp": issued_at + ttl,
        "iat": issued_at,
        "iss": issuer,
        "jti": jti,
    }
    signing_input = "{}.{}".format(
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(claims, separators=(",", ":")).encode()),
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA512())
    return f"{signing_input}.{b64url(signature)}"


def post(url, body, signature, timeout=10):
    """POST an event; returns (status, response body).  TLS is not verified: the
    target is a local test server."""
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Signature": signature},
    )
    ctx = None
    if url.startswith("https:"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class WebhookMixin:
    # --- webhooks --------------------------------------------------------------
    def _key(self):
        if self._webhook_key is None:
            self._webhook_key = cached_key("webhook")
        return self._webhook_key

    def jwks(self):
        return jwks(self._key(), self.webhook_kid)

    def make_webhook(
        self,
        event_type,
        account_id=None,
        *,
        issued_at=None,
        ttl=60,
        audience=None,
        tamper_body=False,
        forge_signature=False,
        kid=None,
        **event,
    ):
        """``(body_bytes, signature_header_value)``; extra keywords: synchronization_id,
        attributes, count, subtype, event_id. ``tamper_body``: the body changed
        after signing; ``forge_signature``: the signature's last bytes replaced."""
        with self.lock:
            body = event_body(self, event_type, account_id, **event)
            if isinstance(issued_at, _dt.datetime):
                issued_at = issued_at.timestamp()
            iat = int(issued_at if issued_at is not None else self.now().timestamp())
            jti = sim_uuid("jti", self.seed, self.store.next())
        signature = sign(
            self._key(),
            kid or self.webhook_kid,
            body,
            self.webhook_issuer or self.root_url,
            audience or self.application_id,
            iat,
            ttl,
            jti,
        )
        if tamper_body:
            data = json.loads(body)
            data["data"]["id"] = sim_uuid("tampered", data["data"]["id"])
            body = json.dumps(data, separators=(",", ":")).encode()
        if forge_signature:
            signature = signature[:-8] + (
                "A" * 8 if signature[-8:] != "A" * 8 else "B" * 8
            )
        return body, signature

    def send_webhook(self, url, event_type, account_id=None, **kwargs):
        """POST a signed event to ``url``; returns ``(status, response body)``."""
        body, signature = self.make_webhook(event_type, account_id, **kwargs)
        return post(url, body, signature)

    def emit_webhook(self, event_type, sync, account_id=None, count=None):
        """Automatic events (only when ``webhook_url`` is set), sent in a thread."""
        url = self.webhook_url
        if not url:
            return
        kw = {"count": count}
        if sync is not None:
            account_id = sync.account_id
            kw.update(synchronization_id=sync.id, subtype=sync.subtype)
        body, signature = self.make_webhook(event_type, account_id, **kw)
        self.deliver_webhook(url, event_type, body, signature)

    def deliver_webhook(self, url, event_type, body, signature):
        """POST a signed event to ``url`` in a thread of its own (as Ponto
        delivers, never holding the simulator's lock: the receiver may ask the
        keys endpoint first). When answered, ``webhook_deliveries`` gets
        ``(event_type, status, error, sent_at, answered_at, delivery_id)``
        (``time.time()`` values); returns ``delivery_id``."""
        with self.lock:
            delivery_id = sim_uuid("delivery", self.seed, self.store.next())

        def deliver():
            sent = time.time()
            try:
                status, _ = post(url, body, signature)
                outcome = (status, None)
            except Exception as exc:
                outcome = (None, repr(exc))
            self.webhook_deliveries.append(
                (event_type, *outcome, sent, time.time(), delivery_id)
            )

        threading.Thread(target=deliver, daemon=True).start()
        return delivery_id
