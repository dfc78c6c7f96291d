"""Webhook verification for Ponto Connect: RS512 compact JWS in the
``Signature`` header, keys fetched by ``kid`` from the provider's keys endpoint
and cached (fetched again once for an unknown ``kid``, as keys rotate).

The keys are kept ``keys_ttl`` seconds, then fetched again at the next
webhook; a ``kid`` the cache does not know fetches them again at most once
every ``refetch_interval`` seconds, so that forged events naming made-up keys
cannot make us hammer the keys endpoint."""

import json
from dataclasses import dataclass
from datetime import datetime

from .errors import InvalidResponse, WebhookVerificationError
from .parsing import parse_datetime
from .ponto_signing import (
    b64url_decode,
    jws_header,
    public_key_from_jwk,
    verify_webhook_jws,
)

#: seconds the keys are trusted before they are fetched again
KEYS_TTL = 3600.0
#: an unknown ``kid`` fetches the keys again, at most this often (seconds)
REFETCH_INTERVAL = 30.0


def unverified_audiences(signature):
    """The ``aud`` claim of a compact JWS, NOT verified: only to choose the
    configuration (the application) to verify it with. A list of strings,
    empty when there is none."""
    try:
        claims = json.loads(b64url_decode((signature or "").split(".")[1]))
    except (ValueError, IndexError):
        return []
    aud = claims.get("aud") if isinstance(claims, dict) else None
    values = aud if isinstance(aud, list) else [aud]
    return [value for value in values if isinstance(value, str) and value]


@dataclass(frozen=True)
class WebhookEvent:
    """One event of the JSON:API envelope (reference §3.14): its type and
    id, when Ponto created it, and the ids of its relationships (None when
    absent)."""

    type: str
    id: str
    created_at: datetime | None
    account_id: str | None
    organization_id: str | None
    synchronization_id: str | None


def _related_id(relationships, name):
    data = (relationships.get(name) or {}).get("data") if relationships else None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def parse_event(body):
    """The :class:`WebhookEvent` of a verified body; raises ``InvalidResponse``
    when it is not an event envelope."""
    try:
        data = json.loads(body).get("data")
    except (ValueError, AttributeError):
        data = None
    if not isinstance(data, dict):
        raise InvalidResponse("The webhook body is not an event")
    kind, ident = data.get("type"), data.get("id")
    if not (isinstance(kind, str) and kind and isinstance(ident, str) and ident):
        raise InvalidResponse("The webhook event has no type or id")
    attributes = data.get("attributes")
    relationships = data.get("relationships")
    if not isinstance(relationships, dict):
        relationships = {}
    created = attributes.get("createdAt") if isinstance(attributes, dict) else None
    try:
        created_at = parse_datetime(created)
    except InvalidResponse:
        created_at = None
    return WebhookEvent(
        kind,
        ident,
        created_at,
        _related_id(relationships, "account"),
        _related_id(relationships, "organization"),
        _related_id(relationships, "synchronization"),
    )


class WebhookVerifier:
    def __init__(
        self,
        fetch_json,
        *,
        keys_url,
        issuer,
        audience,
        clock,
        keys_ttl=KEYS_TTL,
        refetch_interval=REFETCH_INTERVAL,
    ):
        self._fetch_json = fetch_json
        self.keys_url = keys_url
        self.issuer = issuer
        self.audience = audience
        self._clock = clock
        self.keys_ttl = keys_ttl
        self.refetch_interval = refetch_interval
        self._keys = {}
        self._fetched_at = None

    def verify(self, body, signature, *, now=None, leeway=30):
        """Return the JWS claims of a webhook whose raw body is ``body``."""
        if not self.audience:
            raise WebhookVerificationError("No application id configured")
        kid = jws_header(signature or "").get("kid")
        if not isinstance(kid, str):
            raise WebhookVerificationError("The webhook signature names no key")
        if self._stale() or (kid not in self._keys and self._may_refetch()):
            self._keys = self._fetch_keys()
            self._fetched_at = self._clock()
        key = self._keys.get(kid)
        if key is None:
            raise WebhookVerificationError("The webhook is signed with an unknown key")
        return verify_webhook_jws(
            signature,
            body,
            key,
            issuer=self.issuer,
            audience=self.audience,
            now=now if now is not None else self._clock(),
            leeway=leeway,
        )

    def _stale(self):
        return (
            self._fetched_at is None or self._clock() - self._fetched_at > self.keys_ttl
        )

    def _may_refetch(self):
        return self._clock() - self._fetched_at >= self.refetch_interval

    def _fetch_keys(self):
        keys = {}
        for jwk in self._fetch_json(self.keys_url).get("keys") or []:
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            if jwk.get("kty") != "RSA" or jwk.get("status", "ACTIVE") != "ACTIVE":
                continue
            try:
                keys[jwk["kid"]] = public_key_from_jwk(jwk)
            except (KeyError, TypeError, ValueError):
                continue
        return keys
