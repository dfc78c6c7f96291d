"""Webhook verification for Ponto Connect: RS512 compact JWS in the
``Signature`` header, keys fetched by ``kid`` from the provider's keys endpoint
and cached (fetched again once for an unknown ``kid``, as keys rotate)."""

from .errors import WebhookVerificationError
from .ponto_signing import jws_header, public_key_from_jwk, verify_webhook_jws


class WebhookVerifier:
    def __init__(self, fetch_json, *, keys_url, issuer, audience, clock):
        self._fetch_json = fetch_json
        self.keys_url = keys_url
        self.issuer = issuer
        self.audience = audience
        self._clock = clock
        self._keys = {}

    def verify(self, body, signature, *, now=None, leeway=30):
        """Return the JWS claims of a webhook whose raw body is ``body``."""
        if not self.audience:
            raise WebhookVerificationError("No application id configured")
        kid = jws_header(signature or "").get("kid")
        if kid not in self._keys:
            self._keys = self._fetch_keys()
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

    def _fetch_keys(self):
        keys = {}
        for jwk in self._fetch_json(self.keys_url).get("keys") or []:
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            if jwk.get("kty") != "RSA" or jwk.get("status", "ACTIVE") != "ACTIVE":
                continue
            try:
                keys[jwk["kid"]] = public_key_from_jwk(jwk)
            except (KeyError, ValueError):
                continue
        return keys
