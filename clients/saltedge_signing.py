"""Cryptography for Salt Edge: request signing and callback verification.

Requests (``shared/reference/saltedge-gocardless-api.md`` A1, S3) [V]: the
``Signature`` header is ``base64(RSA PKCS#1 v1.5 SHA-256)`` over
``f"{Expires-at}|{METHOD}|{full URL with its query}|{raw body}"``, the body
being empty for GET and DELETE (the string then ends with ``|``);
``Expires-at`` is integer UNIX seconds, at most now + 1 h. The signature is
made in a ``requests`` auth hook over the prepared request, so what is signed
is byte for byte what is sent. Without a private key nothing is signed
(allowed for Salt Edge test and pending clients only [V]).

Callbacks (A6, S2) [V]: Salt Edge signs ``callback_url + "|" + raw body`` with
its own key (RSA PKCS#1 v1.5 SHA-256, base64 in ``Signature``). The URL is the
one registered at Salt Edge, byte for byte (never the one rebuilt from the
request, which a proxy changes); the body is the raw bytes. Several public keys
may be configured (rotation): any one verifying is enough. The v6 callback key
is unverified [I]; the default is the v5 key, which v6 clients still embed [C].
"""

import base64
import binascii
import json
import time

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from requests.auth import AuthBase

from .errors import ConfigurationError, WebhookVerificationError

#: Salt Edge's callback public key, ``spectre_public.pem`` "v5" (2019) [V for
#: v5: it verifies a real 2020 callback, fixtures/saltedge/SOURCES.md; C/I for v6]
CALLBACK_PUBLIC_KEY_V5 = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvL/Xxdmj7/cpZgvDMvxr
nTTU/vkHGM/qkJ0Q+rmfYLru0Z/rSWthPDEK3orY5BTa0sAe2wUV5Fes677X6+Ib
roCF8nODW5hSVTrqWcrQ55I7InpFkpTxyMkiFN8XPS7qmYXl/xofbYq0olcwE/aw
9lfHlZD7iwOpVJqTsYiXzSMRu92ZdECV895kYS/ggymSEtoMSW3405dQ6OfnK53x
7AJPdkAp0Wa2Lk4BNBMd24uu2tasO1bTYBsHpxonwbA+o8BXffdTEloloJgW7pV+
TWvxB/Uxil4yhZZJaFmvTCefxWFovyzLdjn2aSAEI7D1y4IYOdByMOPYQ6Mn7J9A
9wIDAQAB
-----END PUBLIC KEY-----
"""
#: Salt Edge's advice: now + 60 s [V]; its limit: now + 1 h [V]
EXPIRES_IN = 60
MAX_EXPIRES_IN = 3600
#: what the longest validity leaves of Salt Edge's hour, so that a server
#: clock a little ahead of Salt Edge's is not refused (``ExpiresAtInvalid``)
CLOCK_MARGIN = 60


def _bytes(value):
    return value.encode() if isinstance(value, str) else value


def load_private_key(pem, password=None):
    """An RSA private key from PEM text; :class:`ConfigurationError` (never
    quoting the key) when it does not load."""
    try:
        key = serialization.load_pem_private_key(
            _bytes(pem), password=_bytes(password) if password else None
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError(
            "The Salt Edge private key cannot be read (not a PEM RSA key, or a "
            "wrong password)"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError("The Salt Edge private key is not an RSA key")
    return key


def load_public_key(pem):
    """An RSA public key from PEM text (or a key object, returned as is)."""
    if isinstance(pem, rsa.RSAPublicKey):
        return pem
    try:
        key = serialization.load_pem_public_key(_bytes(pem))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError(
            "A Salt Edge callback public key cannot be read (not a PEM key)"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigurationError("A Salt Edge callback public key is not an RSA key")
    return key


def signing_string(expires_at, method, url, body=b""):
    """``Expires-at|METHOD|url|body`` as bytes (the body as sent, or empty)."""
    head = f"{int(expires_at)}|{method.upper()}|{url}|".encode()
    return head + (_bytes(body) or b"")


def sign(private_key, message):
    """Standard base64 of the RSA PKCS#1 v1.5 SHA-256 signature of ``message``."""
    signature = private_key.sign(_bytes(message), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def sign_request(private_key, expires_at, method, url, body=b""):
    return sign(private_key, signing_string(expires_at, method, url, body))


def verify(public_key, message, signature):
    """Whether ``signature`` (base64 text) is ``public_key``'s RSA PKCS#1 v1.5
    SHA-256 signature of ``message``; never raises on a bad signature."""
    try:
        raw = base64.b64decode(_bytes(signature).strip(), validate=True)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        return False
    try:
        public_key.verify(raw, _bytes(message), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


class SaltEdgeSignatureAuth(AuthBase):
    """Adds ``Expires-at`` and ``Signature`` to a prepared request, over its
    final URL and body (what ``requests`` sends, byte for byte).

    ``expires_in`` seconds of validity: Salt Edge advises 60 [V]; the client
    adds the longest wait of its own retries (a retried request is sent again
    with the same headers), within Salt Edge's 1 h limit less
    :data:`CLOCK_MARGIN`."""

    def __init__(self, private_key, *, expires_in=EXPIRES_IN, clock=time.time):
        self.private_key = private_key
        self.expires_in = max(1, min(MAX_EXPIRES_IN - CLOCK_MARGIN, int(expires_in)))
        self.clock = clock

    def __call__(self, request):
        expires_at = int(self.clock()) + self.expires_in
        request.headers["Expires-at"] = str(expires_at)
        request.headers["Signature"] = sign_request(
            self.private_key, expires_at, request.method, request.url, request.body
        )
        return request

    def __repr__(self):
        return f"<SaltEdgeSignatureAuth expires_in={self.expires_in}>"


def verify_callback(callback_url, raw_body, signature_header, public_keys=None):
    """Verify a Salt Edge callback and return its parsed body
    ``{"data": {...}, "meta": {...}}``.

    ``callback_url``: the URL registered at Salt Edge, exactly; ``raw_body``:
    the request's raw bytes; ``public_keys``: PEM texts or key objects (one, or
    several during a rotation), by default :data:`CALLBACK_PUBLIC_KEY_V5`.
    Raises :class:`WebhookVerificationError` (whose message never quotes the
    body or the signature) when the signature is absent or verifies with none
    of the keys, or the body is not a callback.
    """
    if public_keys is None:
        public_keys = [CALLBACK_PUBLIC_KEY_V5]
    elif isinstance(public_keys, str | bytes | rsa.RSAPublicKey):
        public_keys = [public_keys]
    keys = [load_public_key(pem) for pem in public_keys if pem]
    if not keys:
        raise ConfigurationError("No Salt Edge callback public key is configured")
    if not signature_header or not str(signature_header).strip():
        raise WebhookVerificationError("The Salt Edge callback has no signature")
    if not callback_url:
        raise ConfigurationError("The Salt Edge callback URL is not configured")
    body = _bytes(raw_body or b"")
    message = _bytes(callback_url) + b"|" + body
    if not any(verify(key, message, signature_header) for key in keys):
        raise WebhookVerificationError(
            "The Salt Edge callback signature does not verify"
        )
    try:
        parsed = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("The Salt Edge callback is not JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("data"), dict):
        raise WebhookVerificationError("The Salt Edge callback has no data object")
    return parsed
